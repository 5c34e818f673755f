"""Send one streaming request and read the whole response under hard limits.

A conformance run must never hang on a target: not on one that never answers, not on one that
goes silent holding the connection, not on one that trickles a byte now and then forever. httpx's
read timeout cannot promise that (it bounds one socket read, not the stream), so the blocking
send-and-read runs in a worker thread that hands each chunk over a queue, and this thread waits
on the queue with its own deadlines: first byte, idle gap, whole stream, and a short grace for
the server to close after the ``done`` event. At a deadline the capture ends on time and shuts
the socket down, which wakes the worker so the connection is released promptly.

The body is decoded as it arrives (``sse.SSEDecoder``) when it is an event stream; any response
is also kept as bytes, up to the byte cap: evidence, and what the SDK replay feeds the SDK.
The capture is an ``Exchange`` (redacted when it is built) with what decoding found.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from typing import Any

import httpx

from conformance.core.observation import BODY_LIMIT, EVENT_STREAM, Exchange, Headers, StreamEvent, media_type
from conformance.core.redaction import Redactor
from conformance.core.spec.events import is_done
from conformance.streaming.captured import CapturedStream, Ending, StreamLimits, StreamTimings
from conformance.streaming.sse import ServerSentEvent, SSEDecoder

SOCKET_TIMEOUT_MARGIN = 1.0  # httpx's own timeouts only stop the worker; ours must fire first
WORKER_EXIT_WAIT = 2.0  # after a shutdown, how long to wait for the worker to release the connection


def capture_stream(
    client: httpx.Client,
    request: httpx.Request,
    limits: StreamLimits = StreamLimits(),
    *,
    redactor: Redactor = Redactor(),
) -> CapturedStream:
    """Send ``request`` (built with ``client.build_request``) and read its response to the end or a limit.

    Never raises for anything the target does; an exception here is a bug of ours. The request's
    ``timeout`` and ``trace`` extensions are replaced (the limits govern this exchange).
    """
    worker = _Worker(client, request, limits)
    started = worker.start()
    decoder = SSEDecoder(origin=started)
    decoding = False  # the response is an event stream
    events: list[ServerSentEvent] = []
    body = bytearray()
    status: int | None = None
    response_headers: Headers = Headers()
    error: str | None = None
    headers_at: float | None = None  # seconds since started
    first_byte_at: float | None = None  # seconds since started
    last_byte_at: float | None = None  # clock reading
    done_at: float | None = None  # clock reading
    max_gap = 0.0

    while True:
        deadline, timeout_ending = _next_deadline(started, limits, last_byte_at, done_at)
        try:
            kind, value, at = worker.items.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            ending, ended_at = timeout_ending, time.monotonic()
            break
        if at > deadline:  # it came, but too late (we were busy decoding when it arrived)
            ending, ended_at = timeout_ending, deadline
            break
        if kind == "response":
            status, response_headers, headers_at = value.status_code, Headers(value.headers.items()), at - started
            decoding = media_type(response_headers.get("content-type")) == EVENT_STREAM
        elif kind == "chunk":
            if last_byte_at is None:
                first_byte_at = at - started
            else:
                max_gap = max(max_gap, at - last_byte_at)
            last_byte_at = at
            room = limits.max_bytes - len(body)
            piece = value[:room]
            body += piece
            if decoding:
                new = decoder.feed(piece, now=at)
                events += new
                if done_at is None and any(is_done(event.event, event.data) for event in new):
                    done_at = at
            if len(value) > room:
                ending, ended_at = "byte-cap", at
                break
        elif kind == "end":
            ending, ended_at = "closed", at
            break
        else:  # "error"
            if not isinstance(value, httpx.HTTPError):
                raise value
            ending, ended_at, error = "transport-error", at, f"{type(value).__name__}: {value}".rstrip(": ")
            break

    if ending == "first-byte-timeout" and status is None:
        error = f"no response headers within {limits.first_byte:g} s"
    worker.finish(abort=ending in ("first-byte-timeout", "idle-timeout", "total-timeout", "open-after-done"))
    tail = decoder.close()
    exchange = Exchange(
        method=request.method,
        url=redactor.text(str(request.url)),
        request_headers=redactor.headers(request.headers),
        request_body=redactor.value(_request_body(request)),
        status=status,
        response_headers=redactor.headers(response_headers),
        response_body="" if decoding else redactor.text(body[:BODY_LIMIT].decode("utf-8", errors="replace")),
        events=[StreamEvent(redactor.text(e.event), redactor.text(e.data), e.at) for e in events] if decoding else None,
        elapsed=ended_at - started,
        transport_error=None if error is None else redactor.text(error),
        content=bytes(body),
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
    )


def _next_deadline(
    started: float, limits: StreamLimits, last_byte_at: float | None, done_at: float | None
) -> tuple[float, Ending]:
    """The nearest limit and the ending it means (on a tie, the first listed)."""
    candidates: list[tuple[float, Ending]] = [(started + limits.total, "total-timeout")]
    if last_byte_at is None:
        candidates.append((started + limits.first_byte, "first-byte-timeout"))
    else:
        candidates.append((last_byte_at + limits.idle, "idle-timeout"))
    if done_at is not None:
        candidates.append((done_at + limits.after_done, "open-after-done"))
    return min(candidates, key=lambda candidate: candidate[0])


class _Worker:
    """Sends the request and reads the body in a daemon thread, posting what happens to ``items``.

    Items are ``(kind, value, time.monotonic() when it happened)``: ("response", httpx.Response),
    ("chunk", bytes), ("end", None) or ("error", exception); nothing follows "end" or "error".
    The worker stops by itself after more than max_bytes; ``finish(abort=True)`` makes it stop
    at once by shutting its socket down (when the transport has one).
    """

    def __init__(self, client: httpx.Client, request: httpx.Request, limits: StreamLimits) -> None:
        self.items: queue.SimpleQueue[tuple[str, Any, float]] = queue.SimpleQueue()
        self._client = client
        self._request = request
        self._max_bytes = limits.max_bytes
        self._stop = threading.Event()
        # The connection's socket while this request owns it; the lock keeps finish() from
        # shutting down a socket the worker has already handed back to the pool.
        self._socket: socket.socket | None = None
        self._socket_lock = threading.Lock()
        # httpx's timeouts are a backstop that ends the worker if the socket cannot be shut down.
        backstop = max(limits.first_byte, limits.idle) + SOCKET_TIMEOUT_MARGIN
        request.extensions = {
            **request.extensions,
            "timeout": httpx.Timeout(backstop).as_dict(),
            "trace": self._trace,
        }
        self._thread = threading.Thread(target=self._run, name="stream-capture", daemon=True)

    def start(self) -> float:
        started = time.monotonic()
        self._thread.start()
        return started

    def finish(self, abort: bool) -> None:
        """Stop the worker; ``abort``: it may be blocked reading, wake it by a socket shutdown."""
        self._stop.set()
        if abort:
            with self._socket_lock:
                if self._socket is None:
                    return  # nothing to wake it with: it ends at its next chunk or httpx's timeout
                with contextlib.suppress(OSError):  # closed meanwhile: the worker is done anyway
                    self._socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(WORKER_EXIT_WAIT)

    def _trace(self, name: str, info: dict[str, Any]) -> None:
        # A new connection's socket, so that even a target that never answers can be cut off.
        if name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self._own_socket(info["return_value"])

    def _own_socket(self, network_stream: Any) -> None:
        with self._socket_lock:
            self._socket = None if network_stream is None else network_stream.get_extra_info("socket")

    def _run(self) -> None:
        try:
            response = self._client.send(self._request, stream=True)
        except Exception as error:  # handed over: the capture decides what it means
            self.items.put(("error", error, time.monotonic()))
            return
        try:
            if self._socket is None:  # a pooled connection: no connect trace
                self._own_socket(response.extensions.get("network_stream"))
            self.items.put(("response", response, time.monotonic()))
            received = 0
            for chunk in response.iter_bytes():
                self.items.put(("chunk", chunk, time.monotonic()))
                received += len(chunk)
                if received > self._max_bytes or self._stop.is_set():
                    return
            self.items.put(("end", None, time.monotonic()))
        except Exception as error:
            self.items.put(("error", error, time.monotonic()))
        finally:
            self._own_socket(None)
            response.close()


def _request_body(request: httpx.Request) -> Any:
    content = request.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")
