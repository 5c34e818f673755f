"""A captured stream: the exchange, and what reading it as server-sent events found.

The engine's capture (``engine.stream_capture``) reads a ``stream: true`` answer under
``StreamLimits`` and builds one of these; the oracle judges it without touching the network.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from conformance.core.observation import EVENT_STREAM, Exchange, Headers
from conformance.core.spec.events import is_done
from conformance.streaming.sse import Comment, Defect, DefectKind, ServerSentEvent, StreamTail

Ending = Literal[
    "closed",  # the server ended the body
    "first-byte-timeout",  # no response headers, or no body byte, within first_byte of sending
    "idle-timeout",  # no byte for idle seconds after the first one
    "total-timeout",  # the whole exchange took longer than total
    "byte-cap",  # the body grew beyond max_bytes (after content decoding)
    "event-cap",  # the stream sent more than max_events events
    "open-after-done",  # the done event came, but the server did not close within after_done
    "not-read",  # an event stream answering a request that asked for none: only its first bytes were read
    "transport-error",  # refused, reset, malformed HTTP, an unreadable encoding (see the exchange's transport_error)
]
LIMIT_ENDINGS = frozenset({"first-byte-timeout", "idle-timeout", "total-timeout", "byte-cap", "event-cap"})


@dataclass(frozen=True)
class StreamLimits:
    first_byte: float = 30.0  # seconds from sending the request to the headers and the first body byte
    idle: float = 30.0  # longest silence allowed between body bytes
    total: float = 300.0  # the whole exchange
    max_bytes: int = 16 * 1024 * 1024  # body bytes read (after content decoding)
    after_done: float = 2.0  # how long the server may keep the connection open after the done event
    max_events: int = 20_000  # events read from one stream
    max_event_bytes: int = 1024 * 1024  # bytes of one event (its field lines)


@dataclass(frozen=True)
class StreamTimings:
    """Seconds since the request was sent; None: it did not happen."""

    headers: float | None
    first_byte: float | None
    max_gap: float  # the longest silence between two body chunks
    total: float  # until the capture ended (closed or cut)


@dataclass
class CapturedStream:
    # The observation, redacted: ``content`` is the whole body as received (content-decoded, up to
    # limits.max_bytes), ``events`` the decoded events as evidence, ``transport_error`` what went
    # wrong for a transport error (or no headers at all).
    exchange: Exchange
    limits: StreamLimits
    ending: Ending
    timings: StreamTimings
    # The body is decoded as SSE only when the response is text/event-stream: ``tail`` is None
    # otherwise, and the lists are empty. See sse.SSEDecoder for what each one holds.
    events: list[ServerSentEvent]
    defects: list[Defect]
    defect_counts: Counter[DefectKind]
    comments: list[Comment]
    comment_count: int
    bom_seen: bool
    tail: StreamTail | None
    unreachable: bool = False  # no connection could be made: the target is not there (not a finding)

    @property
    def status(self) -> int | None:
        """None: no response headers arrived."""
        return self.exchange.status

    @property
    def body(self) -> bytes:
        return self.exchange.content

    @property
    def error(self) -> str | None:
        return self.exchange.transport_error

    @property
    def response_headers(self) -> Headers:
        return self.exchange.response_headers

    @property
    def content_type(self) -> str | None:
        return self.exchange.response_headers.get("content-type")

    @property
    def is_event_stream(self) -> bool:
        """The media type is text/event-stream (parameters such as charset allowed)."""
        return self.exchange.media_type == EVENT_STREAM

    @property
    def done_index(self) -> int | None:
        """Index in ``events`` of the first event that ends the stream for a client (``is_done``)."""
        return next((index for index, event in enumerate(self.events) if is_done(event.event, event.data)), None)

    @property
    def events_after_done(self) -> int:
        index = self.done_index
        return 0 if index is None else len(self.events) - index - 1

    @property
    def bytes_after_done(self) -> int:
        """Bytes the server sent after the done event ended (comments, blank lines, events...)."""
        index = self.done_index
        if index is None or self.tail is None:
            return 0
        if index == len(self.events) - 1:
            return self.tail.trailing_bytes  # exact even when a CRLF was split after the CR
        return self.tail.total_bytes - self.events[index].end
