"""Server-sent events of a run: the wire format and the streaming loop.

Each event is ``event: NAME\\ndata: JSON\\n\\n`` (JSON on one line); the stream ends with
``event: done\\ndata: [DONE]\\n\\n`` and the connection closes. The events themselves are
produced by the run's transitions (run_plan.py) into the run's log; a stream tails that log
from a cursor, sleeping until the run's next transition is due, so the stream and the REST
view always show the same run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from conformance.core.spec.events import DONE, done_data
from conformance.server.responses import dumps

if TYPE_CHECKING:
    from conformance.server.store import Store

DONE_FRAME = f"event: {DONE}\ndata: {done_data()}\n\n".encode("ascii")
# A stream pauses at least this often to look at the run again, whatever is scheduled.
MAX_WAIT = 0.5


def frame(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {dumps(data)}\n\n".encode("ascii")


async def event_stream(store: Store, thread_id: str, run_id: str, cursor: int) -> AsyncIterator[bytes]:
    """The run's events from ``cursor`` until one that ends a stream, then ``done``."""
    while True:
        frames, cursor, ended, wait = store.read_events(thread_id, run_id, cursor)
        for chunk in frames:
            yield chunk
        if ended:
            break
        await asyncio.sleep(min(wait, MAX_WAIT))
    yield DONE_FRAME
