"""The client side of a run's life: polling it, submitting tool outputs, cancelling it; and the
URLs of what the target created, built from the ids it chose."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from conformance.core.observation import Exchange
from conformance.core.spec.runs import SETTLED, status_of
from conformance.engine.client import TargetClient

POLL_FIRST_INTERVAL = 0.05  # seconds; grows by POLL_BACKOFF up to POLL_MAX_INTERVAL
POLL_BACKOFF = 1.5
POLL_MAX_INTERVAL = 2.0
POLL_AFTER_BOUNDS = (0.01, 5.0)  # a target's openai-poll-after-ms hint is honoured within these


class UnusableId(ValueError):
    """An id the target chose cannot be one URL path segment (the suite will not request it)."""


def path_segment(value: Any) -> str:
    """``value`` percent-encoded as one URL path segment: an id the target chose never reaches
    another path (``../``, ``?``, ``#``, ``%2e%2e`` are data). Raises ``UnusableId`` for what no
    segment can be: not a string, empty, ``.`` or ``..``, or not encodable as UTF-8."""
    if not isinstance(value, str) or value in ("", ".", ".."):
        raise UnusableId(f"{value!r} cannot be a URL path segment")
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise UnusableId(f"{value!r} is not text that UTF-8 can encode") from None


def thread_path(thread_id: str, suffix: str = "") -> str:
    return f"threads/{path_segment(thread_id)}{suffix}"


def run_path(thread_id: str, run_id: str, suffix: str = "") -> str:
    return thread_path(thread_id, f"/runs/{path_segment(run_id)}{suffix}")


@dataclass
class Poll:
    """What polling a run saw. ``replies`` holds every GET; the last one decided the stop."""

    replies: list[Exchange] = field(default_factory=list)
    settled: bool = False  # the last status is in the awaited set
    broken: bool = False  # the last GET did not return a run with a status (the poll stopped there)
    waited: float = 0.0

    @property
    def last_status(self) -> str | None:
        return status_of(self.replies[-1].json_or_none()) if self.replies else None


def poll_run(client: TargetClient, thread_id: str, run_id: str, *, timeout: float,
             until: frozenset[str] = SETTLED) -> Poll:
    """GET the run until its status is in ``until``, a GET fails, or ``timeout`` seconds pass."""
    poll = Poll()
    started = time.monotonic()
    interval = POLL_FIRST_INTERVAL
    while True:
        reply = client.get(run_path(thread_id, run_id))
        poll.replies.append(reply)
        poll.waited = time.monotonic() - started
        status = status_of(reply.json_or_none()) if reply.status == 200 else None
        if status is None:
            poll.broken = True
            return poll
        if status in until:
            poll.settled = True
            return poll
        remaining = timeout - poll.waited
        if remaining <= 0:
            return poll
        client.budget.sleep(min(_poll_hint(reply) or interval, remaining))
        interval = min(interval * POLL_BACKOFF, POLL_MAX_INTERVAL)


def _poll_hint(reply: Exchange) -> float | None:
    value = reply.response_headers.get("openai-poll-after-ms")
    try:
        seconds = int(value) / 1000 if value is not None else None
    except ValueError:
        return None
    if seconds is None:
        return None
    low, high = POLL_AFTER_BOUNDS
    return min(max(seconds, low), high)


def tool_outputs_for(calls: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One output per pending call, all in one submission (as the spec demands)."""
    outputs = []
    for call in calls:
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        outputs.append({"tool_call_id": str(call.get("id")), "output": f"ok {function.get('name', 'tool')}"})
    return outputs


def submit_tool_outputs(client: TargetClient, thread_id: str, run_id: str, calls: list[dict[str, Any]]) -> Exchange:
    """Submit an output for each of ``calls`` (the run's pending tool calls)."""
    return client.post(run_path(thread_id, run_id, "/submit_tool_outputs"), {"tool_outputs": tool_outputs_for(calls)})


def cancel_run(client: TargetClient, thread_id: str, run_id: str) -> Exchange:
    return client.post(run_path(thread_id, run_id, "/cancel"))
