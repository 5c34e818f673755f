"""Streaming (``stream: true``) conformance: the stream oracle, with no network and no engine.

``sse`` decodes the bytes of an event stream by the WHATWG rules and records its defects;
``captured`` is what a capture saw (the engine's ``stream_capture`` makes one); the oracle judges
it along its seams: ``event_model`` (each event parsed and validated once), ``view`` (the stream
and what the rules derive from it), ``rules`` (one requirement each, and ``judge``), ``rest`` (the
stream against the REST view); ``sdk_replay`` replays a stream through the official SDK.
"""
