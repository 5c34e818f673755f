"""An ASGI wrapper that lets a test variant change what the reference server sees and says.

``Rewrite(app, on_request=..., on_response=..., delay=...)``:
- ``on_request(call)`` may change ``call.body`` (the parsed JSON request body), ``call.method``
  and ``call.path`` before the app sees them;
- ``on_response(call, answer)`` may change ``answer.status``, ``answer.headers`` and
  ``answer.body`` (parsed JSON, or bytes when the body is not JSON) of every response that is
  not an event stream (streams pass through untouched, as they come);
- ``delay`` seconds are waited before each non-stream response is sent.
Each ``Rewrite`` has a ``state`` dict for variants that remember (e.g. runs seen finished).

``Middleware`` and the helpers on ASGI messages serve ``broken_streams.middleware`` too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOT_JSON: Any = object()


@dataclass
class Call:
    method: str
    path: str  # e.g. "/v1/threads/runs"
    body: Any  # parsed JSON, or NOT_JSON
    state: dict[str, Any]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or bytes


def response_headers(start: Message) -> dict[str, str]:
    """The headers of an ``http.response.start`` message, names in lower case."""
    return {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}


def response_start(status: int, headers: dict[str, str]) -> Message:
    return {"type": "http.response.start", "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


@dataclass(eq=False)
class Middleware:
    """An ASGI wrapper of ``app``: ``http`` handles HTTP, anything else (lifespan) passes through.
    ``state`` is shared by every request, for wrappers that remember."""

    app: ASGIApp
    state: dict[str, Any] = field(default_factory=dict, init=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


@dataclass(eq=False)
class Rewrite(Middleware):
    _: KW_ONLY
    on_request: Callable[[Call], None] | None = None
    on_response: Callable[[Call, Answer], None] | None = None
    delay: float = 0.0

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(receive)
        call = Call(scope["method"], scope["path"], _parse(raw), self.state)
        if self.on_request is not None:
            self.on_request(call)
            if call.body is not NOT_JSON:
                raw = json.dumps(call.body).encode()
            scope = {**scope, "method": call.method, "path": call.path, "raw_path": call.path.encode()}
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [
                (b"content-length", str(len(raw)).encode())]
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        streaming = False

        async def capture(message: Message) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start":
                start.update(message)
                streaming = response_headers(message).get("content-type", "").startswith("text/event-stream")
                if streaming:
                    await send(message)
                return
            if streaming:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._send_answer(call, start, b"".join(chunks), send)

        await self.app(scope, replay, capture)

    async def _send_answer(self, call: Call, start: dict[str, Any], body: bytes, send: Send) -> None:
        parsed = _parse(body)
        answer = Answer(start["status"], response_headers(start), body if parsed is NOT_JSON else parsed)
        if self.on_response is not None:
            self.on_response(call, answer)
        encoded = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        answer.headers["content-length"] = str(len(encoded))
        if self.delay:
            await asyncio.sleep(self.delay)
        await send(response_start(answer.status, answer.headers))
        await send({"type": "http.response.body", "body": encoded})


async def read_body(receive: Receive) -> bytes:
    """The whole request body of an ASGI request."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse(raw: bytes) -> Any:
    if not raw:
        return NOT_JSON
    try:
        return json.loads(raw)
    except ValueError:
        return NOT_JSON
