"""Streaming (``stream: true``) conformance: reading server-sent events strictly and capturing streams.

``sse`` decodes the bytes of an event stream by the WHATWG rules and records its defects;
``capture`` sends one streaming request and reads it under hard limits, never hanging.
"""
