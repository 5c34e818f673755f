"""The run as the spec describes it: its status graph, and the tool calls a paused run waits for.

The graph is the one of the run-status documentation (queued, in_progress, requires_action,
cancelling and the five terminal states). An observer sees only samples of a run's life (polls,
stream events), so an observed pair of statuses is legal when the second is *reachable* from the
first; a status repeated is always legal, and nothing is reachable from a terminal state.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import pairwise
from typing import Any

TERMINAL = frozenset({"completed", "incomplete", "failed", "cancelled", "expired"})
REQUIRES_ACTION = "requires_action"
SETTLED = TERMINAL | {REQUIRES_ACTION}  # nothing more happens to the run without the client
STATUSES = frozenset({"queued", "in_progress", REQUIRES_ACTION, "cancelling"}) | TERMINAL

EDGES: dict[str, frozenset[str]] = {
    "queued": frozenset({"in_progress", "cancelling", "failed", "expired"}),
    "in_progress": frozenset({REQUIRES_ACTION, "completed", "incomplete", "failed", "cancelling", "expired"}),
    REQUIRES_ACTION: frozenset({"queued", "in_progress", "cancelling", "expired", "failed"}),
    "cancelling": frozenset({"cancelled", "completed", "failed", "incomplete", "expired"}),
    **{status: frozenset() for status in TERMINAL},
}


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


def pending_tool_calls(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls a requires_action run waits for ([] if the shape is not usable)."""
    action = run.get("required_action")
    calls = action.get("submit_tool_outputs", {}).get("tool_calls") if isinstance(action, dict) else None
    return [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []
