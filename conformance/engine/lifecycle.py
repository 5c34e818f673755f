"""The run state graph, and the client side of a run's life: polling, submitting tool outputs, cancelling.

The graph is the one of the run-status documentation (queued, in_progress, requires_action,
cancelling and the five terminal states). Polling sees only samples of a run's life, so an
observed pair of statuses is legal when the second is *reachable* from the first (states may be
skipped between two GETs); a status repeated is always legal, and nothing is reachable from a
terminal state.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Any

from conformance.engine.client import Reply, TargetClient, header

TERMINAL = frozenset({"completed", "incomplete", "failed", "cancelled", "expired"})
REQUIRES_ACTION = "requires_action"
SETTLED = TERMINAL | {REQUIRES_ACTION}  # where a poll stops: nothing more happens without us
STATUSES = frozenset({"queued", "in_progress", REQUIRES_ACTION, "cancelling"}) | TERMINAL

EDGES: dict[str, frozenset[str]] = {
    "queued": frozenset({"in_progress", "cancelling", "failed", "expired"}),
    "in_progress": frozenset({REQUIRES_ACTION, "completed", "incomplete", "failed", "cancelling", "expired"}),
    REQUIRES_ACTION: frozenset({"queued", "in_progress", "cancelling", "expired", "failed"}),
    "cancelling": frozenset({"cancelled", "completed", "failed", "incomplete", "expired"}),
    **{status: frozenset() for status in TERMINAL},
}

POLL_FIRST_INTERVAL = 0.05  # seconds; grows by POLL_BACKOFF up to POLL_MAX_INTERVAL
POLL_BACKOFF = 1.5
POLL_MAX_INTERVAL = 2.0
POLL_AFTER_BOUNDS = (0.01, 5.0)  # a target's openai-poll-after-ms hint is honoured within these


@cache
def reachable(status: str) -> frozenset[str]:
    """Every status a run in ``status`` can be in later (one or more edges away)."""
    seen: set[str] = set()
    frontier = list(EDGES.get(status, ()))
    while frontier:
        state = frontier.pop()
        if state not in seen:
            seen.add(state)
            frontier.extend(EDGES.get(state, ()))
    return frozenset(seen)


def is_legal_transition(before: str, after: str) -> bool:
    """True if a run seen in ``before`` may next be seen in ``after`` (skipped states allowed)."""
    return before == after or after in reachable(before)


def illegal_transitions(statuses: Iterable[str]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in pairwise(statuses) if not is_legal_transition(a, b)]


def status_of(document: Any) -> str | None:
    if isinstance(document, dict) and isinstance(document.get("status"), str):
        return document["status"]
    return None


def run_path(thread_id: str, run_id: str, suffix: str = "") -> str:
    return f"threads/{thread_id}/runs/{run_id}{suffix}"


@dataclass
class Poll:
    """What polling a run saw. ``replies`` holds every GET; the last one decided the stop."""

    replies: list[Reply] = field(default_factory=list)
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
        time.sleep(min(_poll_hint(reply) or interval, remaining))
        interval = min(interval * POLL_BACKOFF, POLL_MAX_INTERVAL)


def _poll_hint(reply: Reply) -> float | None:
    value = header(reply.exchange.response_headers, "openai-poll-after-ms")
    try:
        seconds = int(value) / 1000 if value is not None else None
    except ValueError:
        return None
    if seconds is None:
        return None
    low, high = POLL_AFTER_BOUNDS
    return min(max(seconds, low), high)


def pending_tool_calls(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls a requires_action run waits for ([] if the shape is not usable)."""
    action = run.get("required_action")
    calls = action.get("submit_tool_outputs", {}).get("tool_calls") if isinstance(action, dict) else None
    return [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []


def tool_outputs_for(calls: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One output per pending call, all in one submission (as the spec demands)."""
    outputs = []
    for call in calls:
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        outputs.append({"tool_call_id": str(call.get("id")), "output": f"ok {function.get('name', 'tool')}"})
    return outputs


def submit_tool_outputs(client: TargetClient, run: dict[str, Any]) -> tuple[Reply, dict[str, Any]]:
    body = {"tool_outputs": tool_outputs_for(pending_tool_calls(run))}
    return client.post(run_path(run["thread_id"], run["id"], "/submit_tool_outputs"), body), body


def cancel_run(client: TargetClient, thread_id: str, run_id: str) -> Reply:
    return client.post(run_path(thread_id, run_id, "/cancel"))
