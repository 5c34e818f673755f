"""The hostile target's modes: one misbehaviour each (see ``proxy``)."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hostile.proxy import HOLD, Answer, Forwarded, Mode, Request, json_response, raw, response

# A key as long as a project key, so that a cut, a mask or an encoding of it can be recognised.
KEY = "sk-proj-" + "".join(f"{n:02x}Qz" for n in range(41)) + "t9X"
CREATE = "/v1/threads/runs"
ERROR = {"message": "overloaded", "type": "server_error", "param": None, "code": None}


def creates_run(request: Request) -> bool:
    return request.method == "POST" and request.path == CREATE


def streamed(request: Request) -> bool:
    body = request.json()
    return isinstance(body, dict) and body.get("stream") is True


# --- what a target can do to the transport ------------------------------------------------

def trickled_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    deadline = time.monotonic() + HOLD
    while not stop.wait(0.05) and time.monotonic() < deadline:
        conn.sendall(b"X")


def early_hints_forever(conn: socket.socket, stop: threading.Event) -> None:
    deadline = time.monotonic() + HOLD
    while not stop.wait(0.05) and time.monotonic() < deadline:
        conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")


def event_flood(conn: socket.socket, stop: threading.Event) -> None:
    """A stream of tiny events that never ends (until the suite hangs up)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    burst = b"event: thread.message.delta\ndata: {}\n\n" * 2000
    deadline = time.monotonic() + HOLD
    while not stop.is_set() and time.monotonic() < deadline:
        conn.sendall(burst)


@cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"0" * 200_000_000, compresslevel=9)  # about 200 KB that inflate to 200 MB


def on_create(answer: Answer) -> Mode:
    return Mode(answer=lambda request: answer if creates_run(request) else None)


# --- what a target can say -----------------------------------------------------------------

def key_forms() -> list[str]:
    """The key as a careless or hostile server may echo it."""
    escaped = json.dumps(KEY).strip('"').replace("-", "\\u002d").replace("Q", "\\u0051")
    return [
        f"Incorrect API key provided: {KEY}",
        f"escaped: {escaped}",
        f"url: {urllib.parse.quote(KEY, safe='')}",
        f"basic: {base64.b64encode(f'user:{KEY}'.encode()).decode()}",
        f"masked: {KEY[:8]}{'*' * 40}{KEY[-4:]}",
        f"cut: {KEY[:60]}",
        f"tail: {KEY[-30:]}",
    ]


INJECTION = ("\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b1m [click me](http://evil.example/x) "
             "<img src=x onerror=alert(1)> <script>alert(2)</script> \x00\x08\u202eevil")


def echo_key(request: Request, forwarded: Forwarded) -> None:
    """Every answer carries the key in a header; every error in its body, in many forms, and not in
    the error envelope (so that the evidence is kept)."""
    forwarded.headers.append(("X-Echo", KEY))
    if forwarded.status >= 400:
        forwarded.body = json.dumps({"detail": key_forms()}).encode()


def injection(request: Request, forwarded: Forwarded) -> None:
    """Errors answered 422 (so that a finding shows their message) with markup and control characters."""
    if forwarded.status == 400:
        forwarded.status = 422
        forwarded.body = json.dumps({"error": {**ERROR, "message": INJECTION}}).encode()


def huge_values(request: Request, forwarded: Forwarded) -> None:
    """Megabytes in every JSON answer, and errors that are not the envelope."""
    document = forwarded.json()
    if forwarded.status >= 400:
        forwarded.body = json.dumps({"detail": "x" * 1_000_000}).encode()
    elif isinstance(document, dict):
        document["x_padding"] = "y" * 2_000_000
        forwarded.body = json.dumps(document).encode()


def hostile_ids(request: Request, forwarded: Forwarded) -> None:
    """The runs createThreadAndRun returns have ids that are paths elsewhere."""
    document = forwarded.json()
    if creates_run(request) and not streamed(request) and isinstance(document, dict) and "id" in document:
        document["id"] = "../../../admin?steal=1#x"
        document["thread_id"] = "%2e%2e"
        forwarded.body = json.dumps(document).encode()


def bad_json(request: Request, forwarded: Forwarded) -> None:
    """Answers a JSON parser chokes on: absurd nesting, a lone surrogate, bytes that are not UTF-8,
    ids with newlines."""
    if forwarded.status != 200 or streamed(request):
        return
    if request.method == "GET" and "/runs/" in request.path:
        forwarded.body = b"[" * 200_000 + b"]" * 200_000
    elif request.method == "GET" and request.path.endswith("/messages"):
        forwarded.body = forwarded.body.replace(b'"object"', b'"\\ud800object"', 1)
    elif request.method == "GET" and request.path.endswith("/steps"):
        forwarded.body = b'{"data": "\xff\xfe"}'
    elif creates_run(request):
        document = forwarded.json()
        document["thread_id"] += "\nX-Injected: 1"
        forwarded.body = json.dumps(document).encode()


def rate_limited(request: Request) -> Answer:
    return raw(json_response(429, {"error": {**ERROR, "message": "slow down"}}, [("Retry-After", "1")]))


@dataclass
class Cookies:
    """Every answer sets thousands of cookies; the suite must send none back."""

    sent_back: list[str] = field(default_factory=list)

    def rewrite(self, request: Request, forwarded: Forwarded) -> None:
        if "cookie" in request.headers:
            self.sent_back.append(request.headers["cookie"])
        forwarded.headers += [("Set-Cookie", f"c{n}=v{n}; Path=/") for n in range(3000)]


def bomb_for_create(request: Request) -> Answer | None:
    if creates_run(request) and not streamed(request):
        return raw(response(200, gzip_bomb(), [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]))
    return None


def nested_encoding(request: Request) -> Answer | None:
    if creates_run(request) and not streamed(request):
        body = gzip.compress(gzip.compress(b'{"id": "run_1"}'))
        return raw(response(200, body, [("Content-Type", "application/json"), ("Content-Encoding", "gzip, gzip")]))
    return None


def flood_for_streams(request: Request) -> Answer | None:
    return event_flood if creates_run(request) and streamed(request) else None


def rate_limit_for(predicate: Any) -> Mode:
    return Mode(answer=lambda request: rate_limited(request) if predicate(request) else None)
