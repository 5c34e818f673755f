"""An ASGI wrapper that rewrites the event streams of the reference server.

``StreamRewrite(app, edit=..., encode=..., deliver=...)`` lets every response
that is not an event stream pass untouched. An event stream is read to its end (the reference
server's streams are short and finite), parsed into ``SSE`` events, then:
- ``edit(stream)`` may change ``stream.events`` (a list of ``SSE``), ``stream.content_type`` and
  remember things in ``stream.state`` (shared by every response of one wrapper);
- ``encode(events)`` turns the events into bytes (default: the reference server's framing);
- ``deliver(body, send, receive)`` sends them (default: one chunk, then the end of the body).
Deliveries that hold the connection end as soon as the client goes away, and after ``HOLD``
seconds at most, so a test never waits for a server it has stopped listening to.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from broken.middleware import Middleware, response_headers, response_start

HOLD = 10.0  # the longest a delivery keeps a connection open
DONE_DATA = "[DONE]"


@dataclass
class SSE:
    event: str
    data: Any  # parsed JSON, or the raw text (done's [DONE], or anything a variant puts there)

    def raw(self) -> str:
        return self.data if isinstance(self.data, str) else json.dumps(self.data, separators=(",", ":"))


@dataclass
class Stream:
    path: str
    events: list[SSE]
    content_type: str
    state: dict[str, Any] = field(default_factory=dict)

    def index(self, event: str) -> int:
        """The position of the first event named ``event``."""
        return next(i for i, e in enumerate(self.events) if e.event == event)

    def named(self, event: str) -> list[SSE]:
        return [e for e in self.events if e.event == event]


Deliver = Callable[[bytes, Send, Receive], Awaitable[None]]


def parse(body: bytes) -> list[SSE]:
    """The reference server's framing: ``event: NAME\\ndata: DATA\\n\\n``, one data line."""
    events = []
    for block in body.decode().split("\n\n"):
        if block:
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            data = fields["data"]
            events.append(SSE(fields["event"], data if data == DONE_DATA else json.loads(data)))
    return events


def encode(events: list[SSE]) -> bytes:
    return "".join(f"event: {e.event}\ndata: {e.raw()}\n\n" for e in events).encode()


async def at_once(body: bytes, send: Send, receive: Receive) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def until_disconnect(receive: Receive, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the client to go away; True if it did."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(receive(), left)
        except asyncio.TimeoutError:
            return False
        if message["type"] == "http.disconnect":
            return True
    return False


@dataclass(eq=False)
class StreamRewrite(Middleware):
    _: KW_ONLY
    edit: Callable[[Stream], None] | None = None
    encode: Callable[[list[SSE]], bytes] = encode
    deliver: Deliver = at_once

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                if response_headers(message).get("content-type", "").startswith("text/event-stream"):
                    start.update(message)
                    return
            if start:
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(scope, receive, capture)
        if not start:
            return
        headers = response_headers(start)
        stream = Stream(scope["path"], parse(b"".join(chunks)), headers["content-type"], self.state)
        if self.edit is not None:
            self.edit(stream)
        headers["content-type"] = stream.content_type
        headers.pop("content-length", None)
        await send(response_start(start["status"], headers))
        await self.deliver(self.encode(stream.events), send, receive)
