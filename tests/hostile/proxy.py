"""A hostile target: a raw HTTP proxy in front of the reference server that misbehaves on purpose.

Each connection carries one request (answers say ``Connection: close``). The proxy records every
request it receives, then lets its ``Mode`` answer: by itself, with raw bytes written however it
likes (trickled headers, endless 103s, gzip bombs, 429s...), or by forwarding the request to the
reference server and rewriting what comes back (JSON answers) or adding headers. A proxy can also
stop listening after a number of requests: the target goes away mid-run.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.server.background import free_port

HOLD = 30.0  # the longest a misbehaving answer goes on (the suite must have cut it long before)


@dataclass
class Request:
    method: str
    target: str  # the request target as sent: path and query
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Forwarded:
    """The reference server's answer to a request, to be rewritten before it is sent on."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes  # the whole body (for an event stream too: streams are forwarded whole)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


Answer = Callable[[socket.socket, threading.Event], None]  # writes raw bytes to the client


@dataclass
class Mode:
    """How the target misbehaves. ``answer`` may answer a request by itself (else None: forward);
    ``rewrite`` may change a forwarded answer; ``stop_after``: stop listening after that many
    requests."""

    answer: Callable[[Request], Answer | None] = lambda request: None
    rewrite: Callable[[Request, Forwarded], None] = lambda request, forwarded: None
    stop_after: int | None = None


def raw(data: bytes) -> Answer:
    def write(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(data)
    return write


def response(status: int, body: bytes, headers: list[tuple[str, str]] | None = None,
             reason: str = "Whatever") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers or []]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_response(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> bytes:
    return response(status, json.dumps(document).encode(), [("Content-Type", "application/json"), *(headers or [])])


@dataclass
class HostileProxy:
    backend: str  # the reference server, e.g. http://127.0.0.1:PORT/v1
    mode: Mode
    requests: list[Request] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @contextmanager
    def serving(self) -> Iterator[str]:
        """The proxy's base URL (``.../v1``) while the context lasts."""
        listener = socket.create_server(("127.0.0.1", free_port()))
        listener.settimeout(0.05)
        origin = self.backend.removesuffix("/v1")
        with httpx.Client(base_url=origin, timeout=HOLD) as client:
            acceptor = threading.Thread(target=self._accept, args=(listener, client), daemon=True)
            acceptor.start()
            try:
                yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
            finally:
                self._stop.set()
                acceptor.join(5)
                listener.close()

    def _accept(self, listener: socket.socket, client: httpx.Client) -> None:
        while not self._stop.is_set():
            if self.mode.stop_after is not None and len(self.requests) >= self.mode.stop_after:
                listener.close()  # gone: every later connection is refused
                return
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, client), daemon=True).start()

    def _serve(self, conn: socket.socket, client: httpx.Client) -> None:
        with conn:
            try:
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                answer = self.mode.answer(request)
                if answer is None:
                    answer = raw(self._forward(request, client))
                answer(conn, self._stop)
            except OSError:
                pass  # the suite hung up: that is how most misbehaviours end

    def _forward(self, request: Request, client: httpx.Client) -> bytes:
        headers = {name: value for name, value in request.headers.items()
                   if name not in ("host", "content-length", "connection", "accept-encoding")}
        answer = client.request(request.method, request.target, headers=headers, content=request.body)
        forwarded = Forwarded(answer.status_code, [(name, value) for name, value in answer.headers.items()
                                                   if name.lower() not in ("content-length", "transfer-encoding",
                                                                           "connection", "content-encoding")],
                              answer.content)
        self.mode.rewrite(request, forwarded)
        return response(forwarded.status, forwarded.body, forwarded.headers, reason="OK")


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, target, headers, body)
