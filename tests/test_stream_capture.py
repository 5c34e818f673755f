"""Stream capture against tiny local servers: every way a stream can end, and never a hang.

Well-behaved endpoints are a Starlette app (chunked bodies, pooled connections); misbehaving
ones are raw sockets, where a test controls every byte and every silence. Elapsed-time bounds
are loose correctness bounds ("it did not hang past the limit"), not performance assertions.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from conformance.core.redaction import REDACTED, Redactor
from conformance.server.background import free_port, running_server
from conformance.engine.stream_capture import capture_stream
from conformance.engine.transport import bounded_client, deadline
from conformance.streaming.captured import CapturedStream, StreamLimits

SLACK = 0.6  # scheduling noise allowed past a limit on a busy 2-core machine
HOLD = 10.0  # how long a misbehaving server holds a connection at most (the test ends it sooner)
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
DONE = b"event: done\ndata: [DONE]\n\n"


def run_events(n: int) -> list[bytes]:
    return [f'event: thread.message.delta\ndata: {{"n": {i}}}\n\n'.encode() for i in range(n)]


# -- servers -----------------------------------------------------------------------------------


async def normal(request: Request) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for chunk in [b": hello\n\n", *run_events(3), b"event: thread.run.completed\r\ndata: {}\r\n\r\n", DONE]:
            yield chunk
            await asyncio.sleep(0.01)

    return StreamingResponse(body(), media_type="text/event-stream; charset=utf-8")


async def silent(request: Request) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        yield run_events(1)[0]
        await asyncio.sleep(HOLD)  # cancelled by Starlette when the client goes away

    return StreamingResponse(body(), media_type="text/event-stream")


async def invalid(request: Request) -> JSONResponse:
    error = {"message": "bad", "type": "invalid_request_error", "param": "model", "code": None}
    return JSONResponse({"error": error}, status_code=400)


app = Starlette(routes=[Route("/v1/normal", normal, methods=["POST"]), Route("/v1/silent", silent, methods=["POST"]),
                        Route("/v1/invalid", invalid, methods=["POST"])])


@contextmanager
def raw_server(respond: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A server that reads one request per connection, then lets ``respond`` write raw bytes."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", free_port()))
    listener.settimeout(0.05)

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request and not stop.is_set():
                    request += conn.recv(65536)
                head, _, body = request.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                respond(conn, stop)
            except OSError:
                pass  # the client went away: that is how most of these tests end

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()


def trickle(first: bytes, piece: bytes, period: float) -> Callable[[socket.socket, threading.Event], None]:
    """Send the headers and ``first``, then ``piece`` every ``period`` seconds until stopped."""

    def respond(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(HEADERS + first)
        deadline = time.monotonic() + HOLD
        while not stop.wait(period) and time.monotonic() < deadline:
            conn.sendall(piece)

    return respond


def hold(first: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def respond(conn: socket.socket, stop: threading.Event) -> None:
        if first:
            conn.sendall(first)
        stop.wait(HOLD)

    return respond


def flood(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS)
    deadline = time.monotonic() + HOLD
    while not stop.is_set() and time.monotonic() < deadline:
        conn.sendall(b"".join(run_events(100)))


def close_after(data: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def respond(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(data)

    return respond


# -- helpers -----------------------------------------------------------------------------------


def capture(base: str, path: str, limits: StreamLimits, client: httpx.Client | None = None,
            **kwargs: object) -> tuple[CapturedStream, float]:
    own = client is None
    client = client or bounded_client()
    try:
        request = client.build_request("POST", f"{base}/{path}", json={"assistant_id": "asst_1", "stream": True},
                                       headers={"Authorization": "Bearer sk-test-secret"})
        started = time.monotonic()
        captured = capture_stream(client, request, limits, **kwargs)  # type: ignore[arg-type]
        return captured, time.monotonic() - started
    finally:
        if own:
            client.close()


def no_worker_left() -> bool:
    return not any(thread.name == "stream-capture" for thread in threading.enumerate())


# -- tests -------------------------------------------------------------------------------------


def test_normal_stream_is_read_to_the_end() -> None:
    with running_server(app) as base:
        captured, elapsed = capture(base, "normal", StreamLimits(first_byte=5, idle=5, total=10))
    assert (captured.ending, captured.error, captured.status) == ("closed", None, 200)
    assert captured.is_event_stream and captured.content_type == "text/event-stream; charset=utf-8"
    assert [e.event for e in captured.events] == ["thread.message.delta"] * 3 + ["thread.run.completed", "done"]
    assert (captured.done_index, captured.events_after_done, captured.bytes_after_done) == (4, 0, 0)
    assert captured.comment_count == 1 and captured.defects == [] and captured.tail is not None
    assert captured.tail.unterminated is False and captured.tail.total_bytes == len(captured.body)
    assert captured.body.endswith(DONE)
    timings = captured.timings
    assert timings.headers is not None and timings.first_byte is not None
    assert 0 <= timings.headers <= timings.first_byte <= timings.total <= elapsed
    events = captured.events
    assert 0.005 < timings.max_gap < 5 and 0 < events[0].at <= events[-1].at <= timings.total
    assert no_worker_left()


def test_evidence_is_redacted_and_keeps_the_events() -> None:
    with running_server(app) as base:
        captured, _ = capture(base, "normal", StreamLimits(total=10), redactor=Redactor.of(secret_headers={"x-unused"}))
    exchange = captured.exchange
    assert exchange.method == "POST" and exchange.url.endswith("/v1/normal")
    assert exchange.request_headers["authorization"] == REDACTED
    assert "sk-test-secret" not in repr(captured) + repr(exchange)
    assert exchange.request_body == {"assistant_id": "asst_1", "stream": True}
    assert exchange.is_stream and [e.event for e in exchange.events or []][-1] == "done"
    assert exchange.events is not None and exchange.events[-1].data == "[DONE]" and exchange.response_body == ""
    assert exchange.status == 200 and exchange.transport_error is None


def test_non_stream_error_keeps_the_body() -> None:
    with running_server(app) as base:
        captured, _ = capture(base, "invalid", StreamLimits(total=10))
    assert (captured.ending, captured.status, captured.is_event_stream) == ("closed", 400, False)
    assert captured.events == [] and captured.tail is None
    exchange = captured.exchange
    assert exchange.events is None and '"invalid_request_error"' in exchange.response_body


def test_silent_stream_is_cut_at_the_idle_limit() -> None:
    limits = StreamLimits(first_byte=5, idle=0.5, total=10)
    with running_server(app) as base:
        captured, elapsed = capture(base, "silent", limits)
    assert captured.ending == "idle-timeout" and captured.status == 200
    assert [e.data for e in captured.events] == ['{"n": 0}']
    assert limits.idle <= captured.timings.total - (captured.timings.first_byte or 0) < limits.idle + SLACK
    assert elapsed < limits.idle + SLACK and no_worker_left()


def test_silent_stream_on_a_pooled_connection_is_cut_too() -> None:
    limits = StreamLimits(first_byte=5, idle=0.5, total=10)
    with running_server(app) as base, bounded_client() as client:
        first, _ = capture(base, "normal", limits, client)
        second, elapsed = capture(base, "silent", limits, client)  # reuses the first one's connection
    assert (first.ending, second.ending) == ("closed", "idle-timeout")
    assert elapsed < limits.idle + SLACK and no_worker_left()


def test_server_that_never_answers_is_cut_at_first_byte() -> None:
    limits = StreamLimits(first_byte=0.5, idle=5, total=10)
    with raw_server(hold(b"")) as base:
        captured, elapsed = capture(base, "x", limits)
    assert (captured.ending, captured.status, dict(captured.response_headers)) == ("first-byte-timeout", None, {})
    assert captured.error == "no response headers within 0.5 s"
    assert captured.exchange.transport_error == captured.error
    assert limits.first_byte <= elapsed < limits.first_byte + SLACK and no_worker_left()


def test_headers_without_body_is_a_first_byte_timeout() -> None:
    limits = StreamLimits(first_byte=0.5, idle=5, total=10)
    with raw_server(hold(HEADERS)) as base:
        captured, elapsed = capture(base, "x", limits)
    assert (captured.ending, captured.status, captured.error, captured.events) == ("first-byte-timeout", 200, None, [])
    assert captured.timings.first_byte is None and elapsed < limits.first_byte + SLACK


def test_trickle_under_the_idle_limit_still_ends_at_the_total_limit() -> None:
    # A check of the deadline only when a byte arrives would end up to `idle` late here.
    limits = StreamLimits(first_byte=1, idle=1.0, total=2.0)
    with raw_server(trickle(b"data: 1\n\n", b":", period=0.8)) as base:
        captured, elapsed = capture(base, "x", limits)
    assert captured.ending == "total-timeout"
    assert limits.total <= captured.timings.total < limits.total + 0.5
    assert elapsed < limits.total + SLACK and no_worker_left()
    assert captured.tail is not None and captured.tail.unterminated  # cut inside a comment line
    assert 0.6 < captured.timings.max_gap < 1.0


def test_endless_events_end_at_the_total_limit() -> None:
    limits = StreamLimits(first_byte=1, idle=1, total=1.0)
    with raw_server(trickle(b"", run_events(1)[0], period=0.02)) as base:
        captured, elapsed = capture(base, "x", limits)
    assert captured.ending == "total-timeout" and 10 < len(captured.events) < 100
    assert elapsed < limits.total + SLACK


def test_flood_ends_at_the_byte_cap() -> None:
    limits = StreamLimits(first_byte=1, idle=1, total=10, max_bytes=300_000)
    with raw_server(flood) as base:
        captured, elapsed = capture(base, "x", limits)
    assert captured.ending == "byte-cap" and len(captured.body) == limits.max_bytes
    assert captured.tail is not None and captured.tail.total_bytes == limits.max_bytes
    assert len(captured.events) == captured.body.count(b"\n\n")
    assert elapsed < 5 and no_worker_left()


def test_connection_held_open_after_done() -> None:
    limits = StreamLimits(first_byte=1, idle=5, total=10, after_done=0.5)
    with raw_server(hold(HEADERS + run_events(1)[0] + DONE + b": still here\n\n")) as base:
        captured, elapsed = capture(base, "x", limits)
    assert captured.ending == "open-after-done" and captured.done_index == 1
    assert (captured.events_after_done, captured.bytes_after_done) == (0, len(b": still here\n\n"))
    assert elapsed < limits.after_done + SLACK and no_worker_left()


def test_events_after_done_are_counted() -> None:
    after = run_events(2)
    with raw_server(close_after(HEADERS + DONE + after[0] + after[1])) as base:
        captured, _ = capture(base, "x", StreamLimits(total=10))
    assert captured.ending == "closed" and captured.done_index == 0
    assert (captured.events_after_done, captured.bytes_after_done) == (2, len(after[0] + after[1]))


def test_stream_cut_inside_an_event() -> None:
    with raw_server(close_after(HEADERS + run_events(1)[0] + b"event: thread.run.completed\ndata: {")) as base:
        captured, _ = capture(base, "x", StreamLimits(total=10))
    assert captured.ending == "closed" and len(captured.events) == 1
    assert captured.tail is not None and captured.tail.unterminated
    assert captured.tail.pending_event == "thread.run.completed" and captured.done_index is None


def test_connection_refused_is_a_transport_error() -> None:
    captured, elapsed = capture(f"http://127.0.0.1:{free_port()}/v1", "x", StreamLimits(first_byte=2))
    assert captured.ending == "transport-error" and captured.error and captured.error.startswith("ConnectError")
    assert captured.status is None and captured.exchange.transport_error == captured.error
    assert elapsed < 2


def test_a_bounded_client_cuts_a_silent_read_at_the_deadline_in_force() -> None:
    with raw_server(hold(HEADERS + b"data: 1\n\n")) as base, bounded_client() as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout), deadline(lambda: started + 0.5):
            with client.stream("POST", f"{base}/x") as response:
                for _ in response.iter_bytes():
                    pass
        assert time.monotonic() - started < 0.5 + SLACK


# -- what a hostile target can do to the transport ----------------------------------------------


def headers_trickled(conn: socket.socket, stop: threading.Event) -> None:
    """A status line, then the headers one byte at a time, never finishing them."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.05):
        conn.sendall(b"X")


def early_hints_forever(conn: socket.socket, stop: threading.Event) -> None:
    while not stop.wait(0.05):
        conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")


@pytest.mark.parametrize("respond", [headers_trickled, early_hints_forever], ids=["headers-trickled", "early-hints"])
def test_headers_that_never_end_are_cut_at_the_first_byte_deadline(respond: Any) -> None:
    limits = StreamLimits(first_byte=0.5, idle=5, total=10)
    with raw_server(respond) as base:
        captured, elapsed = capture(base, "x", limits)
    assert (captured.ending, captured.status) == ("first-byte-timeout", None)
    assert captured.error == "no response headers within 0.5 s"
    assert elapsed < limits.first_byte + SLACK


def test_headers_trickled_on_a_pooled_connection_are_cut_too() -> None:
    limits = StreamLimits(first_byte=0.5, idle=5, total=10)
    listener = socket.create_server(("127.0.0.1", free_port()))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            conn.recv(65536)  # the second request, on the same connection
            headers_trickled(conn, stop)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        with bounded_client() as client:
            first, _ = capture(base, "x", limits, client)
            second, elapsed = capture(base, "x", limits, client)
    finally:
        stop.set()
        listener.close()
    assert (first.ending, first.status, second.ending) == ("closed", 200, "first-byte-timeout")
    assert elapsed < limits.first_byte + SLACK


def encoded(body: bytes, encoding: str) -> Callable[[socket.socket, threading.Event], None]:
    def respond(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: " + encoding.encode()
                     + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    return respond


def gzipped(data: bytes, times: int = 1) -> bytes:
    for _ in range(times):
        data = gzip.compress(data, compresslevel=9)
    return data


def test_a_gzip_bomb_is_inflated_only_up_to_the_byte_cap() -> None:
    bomb = gzipped(b"0" * 200_000_000)  # about 200 KB that inflate to 200 MB
    limits = StreamLimits(total=10, max_bytes=1_000_000)
    tracemalloc.start()
    try:
        with raw_server(encoded(bomb, "gzip")) as base:
            captured, _ = capture(base, "x", limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert captured.ending == "byte-cap" and len(captured.body) == limits.max_bytes
    assert peak < 20 * limits.max_bytes


@pytest.mark.parametrize(("encoding", "body", "error"), [
    ("gzip, gzip", gzipped(b"{}", 2), "nested encodings are not read"),
    ("br", b"\x0b\x00\x80{}\x03", "'br' was not asked for"),
    ("gzip", b"not gzip at all", "the gzip body is corrupt"),
])
def test_bodies_the_client_cannot_read_are_transport_errors(encoding: str, body: bytes, error: str) -> None:
    with raw_server(encoded(body, encoding)) as base:
        captured, _ = capture(base, "x", StreamLimits(total=10))
    assert captured.ending == "transport-error" and error in (captured.error or "")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw"])
def test_gzip_and_deflate_bodies_are_read(encoding: str) -> None:
    data = b'{"ok": true}' * 1000
    body = {"gzip": gzip.compress(data), "deflate": zlib.compress(data),
            "deflate-raw": zlib.compress(data)[2:-4]}[encoding]
    with raw_server(encoded(body, encoding.removesuffix("-raw"))) as base:
        captured, _ = capture(base, "x", StreamLimits(total=10))
    assert (captured.ending, captured.body) == ("closed", data)


def test_a_flood_of_tiny_events_is_cut_at_the_event_cap() -> None:
    limits = StreamLimits(total=10, max_events=500)
    with raw_server(flood) as base:
        captured, elapsed = capture(base, "x", limits)
    assert captured.ending == "event-cap" and len(captured.events) == limits.max_events
    assert elapsed < 2
