"""Checks on a run's life as observed by polling: it settles (LIFE-001), moves legally (LIFE-002),
keeps its creation-time fields (LIFE-003), continues after tool outputs (LIFE-004), and can be
cancelled (LIFE-005).

Attribution: a status change belongs to LIFE-002 alone (leaving a terminal state included);
LIFE-003 compares the terminal timestamps only between observations in a terminal state, so a
run that "un-finishes" is one LIFE-002 finding, not also a LIFE-003 one. A run that never
settles is LIFE-001, except after a cancel request, where it is LIFE-005 (the scenario knows).
"""

from __future__ import annotations

from typing import Any

from conformance.engine.client import Reply
from conformance.engine.lifecycle import REQUIRES_ACTION, TERMINAL, illegal_transitions, pending_tool_calls
from conformance.findings import Finding

IMMUTABLE_FIELDS = ("id", "thread_id", "assistant_id", "created_at", "model", "instructions", "tools",
                    "metadata", "max_prompt_tokens", "max_completion_tokens", "truncation_strategy",
                    "tool_choice", "response_format", "parallel_tool_calls")
TERMINAL_TIMESTAMPS = ("completed_at", "failed_at", "cancelled_at")


def check_settled(statuses: list[str], settled: bool, waited: float) -> list[Finding]:
    """LIFE-001: polling reached a terminal state or requires_action within the deadline."""
    if settled:
        return []
    return [Finding("LIFE-001", f"the run did not reach a terminal state or requires_action within "
                    f"{waited:.1f} s", expected=sorted(TERMINAL | {REQUIRES_ACTION}), observed=statuses)]


def check_transitions(statuses: list[str]) -> list[Finding]:
    """LIFE-002: every consecutive pair of observed statuses is a legal (possibly multi-step) transition."""
    return [Finding("LIFE-002", f"illegal status transition {before} -> {after}", observed=statuses)
            for before, after in illegal_transitions(statuses)]


def check_immutable(observations: list[dict[str, Any]]) -> list[Finding]:
    """LIFE-003: creation-time fields never change; terminal timestamps never change once terminal."""
    findings = []
    first = observations[0]
    for name in IMMUTABLE_FIELDS:
        for later in observations[1:]:
            if later.get(name) != first.get(name):
                findings.append(Finding("LIFE-003", f"{name} changed between observations of the run",
                                        expected=first.get(name), observed=later.get(name)))
                break
    terminal = [run for run in observations if run.get("status") in TERMINAL]
    for name in TERMINAL_TIMESTAMPS:
        for later in terminal[1:]:
            if later.get(name) != terminal[0].get(name):
                findings.append(Finding("LIFE-003", f"{name} changed after the run was terminal",
                                        expected=terminal[0].get(name), observed=later.get(name)))
                break
    return findings


def check_submit_accepted(reply: Reply, submitted: list[str]) -> list[Finding]:
    """LIFE-004: submit_tool_outputs with every pending call's output is answered 200 with a run
    that no longer waits for those calls."""
    if reply.status != 200:
        return [Finding("LIFE-004", f"submit_tool_outputs was answered {reply.describe()}",
                        expected=200, observed=reply.status)]
    run = reply.json_or_none()
    if isinstance(run, dict) and _still_waiting(run, submitted):
        return [Finding("LIFE-004", "after submit_tool_outputs the run still waits for the submitted calls",
                        expected="queued or in_progress", observed=run.get("status"))]
    return []


def check_continued(statuses_after: list[str], last_run: dict[str, Any] | None, submitted: list[str]) -> list[Finding]:
    """LIFE-004: after the submission the run moves on (it does not wait for the same calls)."""
    if last_run is not None and _still_waiting(last_run, submitted):
        return [Finding("LIFE-004", "the run did not continue after submit_tool_outputs",
                        expected="leaves requires_action", observed=statuses_after)]
    return []


def _still_waiting(run: dict[str, Any], submitted: list[str]) -> bool:
    if run.get("status") != REQUIRES_ACTION:
        return False
    return sorted(str(call.get("id")) for call in pending_tool_calls(run)) == sorted(submitted)


CANCEL_ANSWERS = TERMINAL | {"cancelling"}


def check_cancel_answer(reply: Reply, status_after: str | None) -> list[Finding]:
    """LIFE-005: cancel is answered 200 with cancelling/cancelled (or the terminal state reached
    first); a refusal is conformant only if the run had already ended (``status_after``)."""
    if reply.status == 200:
        run = reply.json_or_none()
        status = run.get("status") if isinstance(run, dict) else None
        if status not in CANCEL_ANSWERS:
            return [Finding("LIFE-005", f"cancel answered 200 with status {status!r}",
                            expected=sorted(CANCEL_ANSWERS), observed=status)]
        return []
    if reply.status is not None and 400 <= reply.status < 500 and status_after in TERMINAL:
        return []  # the run had finished before the cancel: refusing is right
    return [Finding("LIFE-005", f"cancelling an active run was answered {reply.describe()}",
                    expected=200, observed=reply.status)]


def check_cancel_converged(statuses: list[str], settled: bool, waited: float) -> list[Finding]:
    """LIFE-005: a cancelled run reaches a terminal state (or requires_action) within the deadline."""
    if settled:
        return []
    return [Finding("LIFE-005", f"after cancel the run did not reach a terminal state within {waited:.1f} s",
                    expected=sorted(TERMINAL), observed=statuses)]
