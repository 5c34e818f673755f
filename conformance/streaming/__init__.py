"""Streaming (``stream: true``) conformance: reading server-sent events strictly and capturing streams.

``sse`` decodes the bytes of an event stream by the WHATWG rules and records its defects;
``capture`` sends one streaming request and reads it under hard limits, never hanging;
``oracle`` judges a captured stream, one requirement per rule; ``sdk_replay`` replays it through
the official SDK; ``checker`` is the engine's ``StreamChecker`` that ties them together.
"""
