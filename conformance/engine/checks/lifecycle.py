"""Checks on a run's life as observed by polling: it settles, moves legally, keeps its
creation-time fields, continues after tool outputs, and can be cancelled."""

from __future__ import annotations

from typing import Any

from conformance.core.catalogue import LIFE_001, LIFE_002, LIFE_003, LIFE_004, LIFE_005
from conformance.core.checks import check
from conformance.core.findings import Finding, FindingMaker
from conformance.core.observation import Exchange
from conformance.core.spec.runs import REQUIRES_ACTION, TERMINAL, illegal_transitions, pending_tool_calls

IMMUTABLE_FIELDS = ("id", "thread_id", "assistant_id", "created_at", "model", "instructions", "tools",
                    "metadata", "max_prompt_tokens", "max_completion_tokens", "truncation_strategy",
                    "tool_choice", "response_format", "parallel_tool_calls")
TERMINAL_TIMESTAMPS = ("completed_at", "failed_at", "cancelled_at")
COMPARED_ACROSS_OBSERVATIONS = ("status", *IMMUTABLE_FIELDS, *TERMINAL_TIMESTAMPS)  # all ``immutable`` reads


@check(LIFE_001)
def run_settled(finding: FindingMaker, statuses: list[str], settled: bool, waited: float) -> list[Finding]:
    """Polling reached a terminal state or requires_action within the deadline."""
    if settled:
        return []
    return [finding(f"the run did not reach a terminal state or requires_action within "
                    f"{waited:.1f} s", expected=sorted(TERMINAL | {REQUIRES_ACTION}), observed=statuses)]


@check(LIFE_002)
def transitions(finding: FindingMaker, statuses: list[str]) -> list[Finding]:
    """Every consecutive pair of observed statuses is a legal (possibly multi-step) transition."""
    return [finding(f"illegal status transition {before} -> {after}", observed=statuses)
            for before, after in illegal_transitions(statuses)]


@check(LIFE_003)
def immutable(finding: FindingMaker, observations: list[dict[str, Any]]) -> list[Finding]:
    """Creation-time fields never change; terminal timestamps never change once terminal."""
    findings = []
    first = observations[0]
    for name in IMMUTABLE_FIELDS:
        for later in observations[1:]:
            if later.get(name) != first.get(name):
                findings.append(finding(f"{name} changed between observations of the run",
                                        expected=first.get(name), observed=later.get(name)))
                break
    terminal = [run for run in observations if run.get("status") in TERMINAL]
    for name in TERMINAL_TIMESTAMPS:
        for later in terminal[1:]:
            if later.get(name) != terminal[0].get(name):
                findings.append(finding(f"{name} changed after the run was terminal",
                                        expected=terminal[0].get(name), observed=later.get(name)))
                break
    return findings


@check(LIFE_004)
def submit_accepted(finding: FindingMaker, reply: Exchange, submitted: list[str]) -> list[Finding]:
    """submit_tool_outputs with every pending call's output is answered 200 with a run
    that no longer waits for those calls."""
    if reply.status != 200:
        return [finding(f"submit_tool_outputs was answered {reply.describe()}",
                        expected=200, observed=reply.status)]
    run = reply.json_or_none()
    if isinstance(run, dict) and _still_waiting(run, submitted):
        return [finding("after submit_tool_outputs the run still waits for the submitted calls",
                        expected="queued or in_progress", observed=run.get("status"))]
    return []


@check(LIFE_004)
def continued(finding: FindingMaker, statuses_after: list[str], last_run: dict[str, Any] | None,
              submitted: list[str]) -> list[Finding]:
    """After the submission the run moves on (it does not wait for the same calls)."""
    if last_run is not None and _still_waiting(last_run, submitted):
        return [finding("the run did not continue after submit_tool_outputs",
                        expected="leaves requires_action", observed=statuses_after)]
    return []


def _still_waiting(run: dict[str, Any], submitted: list[str]) -> bool:
    if run.get("status") != REQUIRES_ACTION:
        return False
    return sorted(str(call.get("id")) for call in pending_tool_calls(run)) == sorted(submitted)


CANCEL_ANSWERS = TERMINAL | {"cancelling"}


@check(LIFE_005)
def cancel_answer(finding: FindingMaker, reply: Exchange, status_after: str | None) -> list[Finding]:
    """Cancel is answered 200 with cancelling/cancelled (or the terminal state reached
    first); a refusal is conformant only if the run had already ended (``status_after``)."""
    if reply.status == 200:
        run = reply.json_or_none()
        status = run.get("status") if isinstance(run, dict) else None
        if status not in CANCEL_ANSWERS:
            return [finding(f"cancel answered 200 with status {status!r}",
                            expected=sorted(CANCEL_ANSWERS), observed=status)]
        return []
    if reply.status is not None and 400 <= reply.status < 500 and status_after in TERMINAL:
        return []  # the run had finished before the cancel: refusing is right
    return [finding(f"cancelling an active run was answered {reply.describe()}",
                    expected=200, observed=reply.status)]


@check(LIFE_005)
def cancel_converged(finding: FindingMaker, statuses: list[str], settled: bool,
                     waited: float) -> list[Finding]:
    """A cancelled run reaches a terminal state (or requires_action) within the deadline."""
    if settled:
        return []
    return [finding(f"after cancel the run did not reach a terminal state within {waited:.1f} s",
                    expected=sorted(TERMINAL), observed=statuses)]
