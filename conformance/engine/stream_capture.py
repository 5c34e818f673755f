"""Send one request and read the whole response under hard limits: the one way the suite reads a target.

A run must never hang on a target: not on one that never answers, trickles its headers a byte at
a time, keeps sending ``103 Early Hints``, goes silent holding the connection, or trickles a byte
now and then forever. Every socket operation of the exchange is bounded by the nearest of its
deadlines (``transport.deadline``): first byte, idle gap, whole exchange, and a short grace for
the server to close after the ``done`` event. Whichever passes first ends the capture, on time.

Memory stays bounded whatever the target sends: the body is kept up to ``max_bytes`` *after*
content decoding (gzip and deflate are inflated a bounded piece at a time; nested or unasked-for
encodings are not read), an event stream is decoded as it arrives (``sse.SSEDecoder``) up to
``max_events`` events of at most ``max_event_bytes`` each. The capture is an ``Exchange``
(redacted as it is built) with what decoding found.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.core.observation import BODY_LIMIT, EVENT_STREAM, Exchange, Headers, StreamEvent, media_type
from conformance.core.redaction import Redactor
from conformance.core.spec.events import is_done
from conformance.engine import transport
from conformance.streaming.captured import CapturedStream, Ending, StreamLimits, StreamTimings
from conformance.streaming.sse import ServerSentEvent, SSEDecoder

ACCEPTED_ENCODINGS = "gzip, deflate"  # what the client asks for, and all it inflates


class UnreadableBody(Exception):
    """The body cannot be read as sent (an encoding not asked for, nested, or corrupt)."""


@dataclass
class _Clock:
    """The exchange's deadlines, and which one is nearest."""

    limits: StreamLimits
    started: float
    last_byte: float | None = None
    done: float | None = None

    def nearest(self) -> tuple[float, Ending]:
        """The nearest deadline and the ending it means (on a tie, the first listed)."""
        candidates: list[tuple[float, Ending]] = [(self.started + self.limits.total, "total-timeout")]
        if self.last_byte is None:
            candidates.append((self.started + self.limits.first_byte, "first-byte-timeout"))
        else:
            candidates.append((self.last_byte + self.limits.idle, "idle-timeout"))
        if self.done is not None:
            candidates.append((self.done + self.limits.after_done, "open-after-done"))
        return min(candidates, key=lambda candidate: candidate[0])

    def deadline(self) -> float:
        return self.nearest()[0]


class _Inflater:
    """Content decoding with a bound on what one call may produce (a small gzip body can inflate
    to gigabytes: never all at once)."""

    def __init__(self, content_encoding: str | None) -> None:
        codings = [coding.strip().lower() for coding in (content_encoding or "").split(",")]
        codings = [coding for coding in codings if coding and coding != "identity"]
        if len(codings) > 1:
            raise UnreadableBody(f"Content-Encoding {content_encoding!r}: nested encodings are not read")
        self.coding = codings[0] if codings else None
        if self.coding not in (None, "gzip", "x-gzip", "deflate"):
            raise UnreadableBody(f"Content-Encoding {self.coding!r} was not asked for "
                                 f"(Accept-Encoding: {ACCEPTED_ENCODINGS})")
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if self.coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)
        self._pending = b""
        self._raw_deflate_tried = False

    def inflate(self, data: bytes, room: int) -> bytes:
        """The decoded bytes of ``data`` (and of what earlier calls held back), at most ``room + 1``
        of them: one more than room says the body goes on beyond it."""
        if self.coding is None:
            return data[: room + 1]
        self._pending += data
        try:
            out = self._zlib.decompress(self._pending, room + 1)
        except zlib.error as error:
            if self.coding == "deflate" and not self._raw_deflate_tried:  # "deflate" sent as raw deflate
                self._raw_deflate_tried = True
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.inflate(b"", room)
            raise UnreadableBody(f"the {self.coding} body is corrupt: {error}") from None
        self._raw_deflate_tried = True
        self._pending = self._zlib.unconsumed_tail
        return out


def capture_stream(
    client: httpx.Client,
    request: httpx.Request,
    limits: StreamLimits = StreamLimits(),
    *,
    redactor: Redactor = Redactor(),
    disclosed: Collection[str] = (),
    decode_events: bool = True,
) -> CapturedStream:
    """Send ``request`` (built with ``client.build_request``) and read its response to the end or a limit.

    ``client`` is a ``transport.bounded_client()``: its connections are what enforce the deadlines.
    ``decode_events`` False: an event stream is not read beyond its first bytes (a request that
    did not ask for one keeps them as evidence). ``disclosed``: request headers whose values are
    known not to be secrets, kept in the evidence as sent. Never raises for anything the target does; an
    exception here is a bug of ours. The request's ``timeout`` extension is replaced: the limits
    govern this exchange.
    """
    started = time.monotonic()
    clock = _Clock(limits, started)
    decoder = SSEDecoder(origin=started, max_event_size=limits.max_event_bytes)
    decoding = False  # the response is an event stream read as such
    events: list[ServerSentEvent] = []
    chunks: list[bytes] = []  # the body, joined once at the end (no growing buffer to copy)
    size = 0
    status: int | None = None
    response_headers = Headers()
    error: str | None = None
    unreachable = False
    headers_at: float | None = None
    first_byte_at: float | None = None
    max_gap = 0.0
    ending: Ending = "closed"
    request.extensions = {**request.extensions, "timeout": httpx.Timeout(limits.total).as_dict()}

    with transport.deadline(clock.deadline):
        try:
            response = client.send(request, stream=True)
            try:
                status, response_headers = response.status_code, Headers(response.headers.items())
                headers_at = time.monotonic() - started
                is_event_stream = media_type(response_headers.get("content-type")) == EVENT_STREAM
                decoding = is_event_stream and decode_events
                inflater = _Inflater(response_headers.get("content-encoding"))
                for raw in response.iter_raw():
                    now = time.monotonic()
                    if clock.last_byte is None:
                        first_byte_at = now - started
                    else:
                        max_gap = max(max_gap, now - clock.last_byte)
                    clock.last_byte = now
                    room = limits.max_bytes - size
                    piece = inflater.inflate(raw, room)
                    chunks.append(piece[:room])
                    size += len(chunks[-1])
                    if decoding:
                        new = decoder.feed(piece[:room], now=now)
                        kept = new[: limits.max_events - len(events)]
                        events += kept
                        if clock.done is None and any(is_done(event.event, event.data) for event in kept):
                            clock.done = now
                        if len(kept) < len(new):
                            ending = "event-cap"
                            break
                    if len(piece) > room:
                        ending = "byte-cap"
                        break
                    if is_event_stream and not decode_events:
                        ending = "not-read"
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            ending = clock.nearest()[1]
            if status is None:
                error = f"no response headers within {clock.deadline() - started:g} s"
        except UnreadableBody as unreadable:
            ending, error = "transport-error", str(unreadable)
        except httpx.HTTPError as failure:
            ending, error = "transport-error", f"{type(failure).__name__}: {failure}".rstrip(": ")
            unreachable = status is None and isinstance(failure, (httpx.ConnectError, httpx.ConnectTimeout))
    ended_at = time.monotonic()
    tail = decoder.close()
    body = b"".join(chunks)
    del chunks
    exchange = Exchange(
        method=request.method,
        url=redactor.scrub(str(request.url)),
        request_headers=redactor.headers(request.headers, disclosed),
        request_body=redactor.value(_request_body(request)),
        status=status,
        response_headers=redactor.headers(response_headers),
        response_body="" if decoding else _evidence_text(body, redactor),
        events=[StreamEvent(redactor.scrub(e.event), redactor.scrub(e.data), e.at) for e in events]
        if decoding else None,
        elapsed=ended_at - started,
        transport_error=None if error is None else redactor.scrub(error),
        content=body,
    )
    return CapturedStream(
        exchange=exchange,
        limits=limits,
        ending=ending,
        timings=StreamTimings(headers_at, first_byte_at, max_gap, ended_at - started),
        events=events,
        defects=decoder.defects,
        defect_counts=decoder.defect_counts,
        comments=decoder.comments,
        comment_count=decoder.comment_count,
        bom_seen=decoder.bom_seen,
        tail=tail if decoding else None,
        unreachable=unreachable,
    )


def _evidence_text(body: bytes, redactor: Redactor) -> str:
    """The body as evidence: decoded as UTF-8 (replacing what is not), scrubbed, then cut. Only the
    start is decoded, but past the cut by more than any written form of a secret takes: a secret
    the cut would leave a part of is scrubbed whole first."""
    window = BODY_LIMIT + redactor.longest_form + 4  # UTF-8: at most 4 bytes a character
    return redactor.scrub(body[: 4 * window].decode("utf-8", errors="replace"))[:BODY_LIMIT]


def _request_body(request: httpx.Request) -> Any:
    content = request.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")
