"""Checks on one run document: its schema (RUN-001), then what the schema cannot say.

Attribution: a document that fails the RunObject schema is reported under RUN-001 only; the
semantic checks here (RUN-007 status fields, RUN-008 tool calls, RUN-009 usage, RUN-010
timestamps) are meant for documents that passed it, and the engine calls them only then.
"""

from __future__ import annotations

import json
import time
from typing import Any

from conformance.engine.checks.common import json_body_findings, schema_problems
from conformance.engine.client import Reply
from conformance.findings import Finding, Severity

CLOCK_SKEW = 24 * 3600  # seconds: created_at further than this from our clock is not Unix seconds

SET, NULL, EITHER = "set", "null", "either"
STATUS_FIELDS = ("started_at", "completed_at", "failed_at", "cancelled_at", "required_action",
                 "last_error", "incomplete_details", "usage")
_NOT_ENDED = dict(completed_at=NULL, failed_at=NULL, cancelled_at=NULL, required_action=NULL,
                  last_error=NULL, incomplete_details=NULL, usage=NULL)
# status -> field -> whether it must be set, must be null, or may be either (the RUN-007 table;
# "either" where the spec's examples and descriptions disagree, see the catalogue text).
STATUS_TABLE: dict[str, dict[str, str]] = {
    "queued": dict(_NOT_ENDED, started_at=EITHER),  # EITHER: queued again after submit_tool_outputs
    "in_progress": dict(_NOT_ENDED, started_at=SET),
    "requires_action": dict(_NOT_ENDED, started_at=SET, required_action=SET, usage=EITHER),
    "cancelling": dict(_NOT_ENDED, started_at=EITHER),
    "cancelled": dict(_NOT_ENDED, started_at=EITHER, cancelled_at=SET, usage=EITHER),
    "failed": dict(_NOT_ENDED, started_at=EITHER, failed_at=SET, last_error=SET, usage=EITHER),
    "completed": dict(_NOT_ENDED, started_at=SET, completed_at=SET, usage=SET),
    "incomplete": dict(_NOT_ENDED, started_at=EITHER, completed_at=EITHER, incomplete_details=SET, usage=SET),
    "expired": dict(_NOT_ENDED, started_at=EITHER, failed_at=EITHER, last_error=EITHER, usage=EITHER),
}


def check_run_reply(reply: Reply) -> list[Finding]:
    """RUN-001: a 200 answer carrying a run is application/json and a valid RunObject.

    ``instructions: null`` is only a warning (the schema says string, the spec's own examples
    say null: analysis AMB-07); the rest of the document is validated as if it were a string.
    """
    body, findings = json_body_findings("RUN-001", reply, "a run response")
    if findings:
        return findings
    return check_run_document(body)


def check_run_document(run: Any) -> list[Finding]:
    """RUN-001 for a run already parsed (a list entry, a streamed event's data)."""
    findings = []
    if isinstance(run, dict) and "instructions" in run and run["instructions"] is None:
        findings.append(Finding("RUN-001", "instructions is null; the schema says string (the spec's "
                                "examples show null: a deviation, not a failure)", severity=Severity.WARN,
                                expected="string", observed=None))
        run = {**run, "instructions": ""}
    problems = schema_problems("RunObject", run)
    if problems:
        findings.append(Finding("RUN-001", "the run does not validate against RunObject",
                                expected="RunObject", observed=problems))
    return findings


def check_status_fields(run: dict[str, Any]) -> list[Finding]:
    """RUN-007: the status-dependent fields agree with the status."""
    status = run["status"]
    findings = []
    for name, rule in STATUS_TABLE[status].items():
        value = run.get(name)
        if rule == SET and value is None:
            findings.append(Finding("RUN-007", f"{name} is null while the run is {status}", expected="set",
                                    observed=None))
        elif rule == NULL and value is not None:
            findings.append(Finding("RUN-007", f"{name} is set while the run is {status}", expected=None,
                                    observed=value))
    return findings


def check_tool_calls(run: dict[str, Any]) -> list[Finding]:
    """RUN-008: a requires_action run's tool calls are usable (for a run in requires_action)."""
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    if not calls:
        return [Finding("RUN-008", "requires_action with no tool calls", expected="at least one", observed=[])]
    findings = []
    ids = [call["id"] for call in calls]
    if any(not call_id for call_id in ids) or len(set(ids)) != len(ids):
        findings.append(Finding("RUN-008", "tool call ids are not unique non-empty strings", observed=ids))
    functions = {tool["function"]["name"] for tool in run["tools"] if tool.get("type") == "function"}
    for call in calls:
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        if name not in functions:
            findings.append(Finding("RUN-008", f"tool call {call['id']!r} names {name!r}, not a function tool "
                                    "of the run", expected=sorted(functions), observed=name))
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            findings.append(Finding("RUN-008", f"tool call {call['id']!r} arguments are not a JSON object",
                                    expected="a JSON object in a string", observed=arguments[:200]))
    return findings


def check_usage(usage: dict[str, Any]) -> list[Finding]:
    """RUN-009: usage counts are non-negative and add up (for a run whose usage is set)."""
    counts = {key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
    if any(value < 0 for value in counts.values()):
        return [Finding("RUN-009", "a usage count is negative", observed=counts)]
    if counts["total_tokens"] != counts["prompt_tokens"] + counts["completion_tokens"]:
        return [Finding("RUN-009", "total_tokens is not prompt_tokens + completion_tokens",
                        expected=counts["prompt_tokens"] + counts["completion_tokens"],
                        observed=counts["total_tokens"])]
    return []


def check_timestamps(run: dict[str, Any], now: float) -> list[Finding]:
    """RUN-010: timestamps are Unix seconds near our clock and in order."""
    created = run["created_at"]
    if abs(created - now) > CLOCK_SKEW:
        return [Finding("RUN-010", "created_at is not Unix seconds within a day of the suite's clock",
                        expected=int(now), observed=created)]
    findings = []
    started = run["started_at"]
    if started is not None and started < created:
        findings.append(Finding("RUN-010", "started_at is before created_at", expected=f">= {created}",
                                observed=started))
    floor_name, floor = ("started_at", started) if started is not None else ("created_at", created)
    for name in ("completed_at", "failed_at", "cancelled_at"):
        ended = run[name]
        if ended is not None and ended < floor:
            findings.append(Finding("RUN-010", f"{name} is before {floor_name}", expected=f">= {floor}",
                                    observed=ended))
    expires = run["expires_at"]
    if expires is not None and expires <= created:
        findings.append(Finding("RUN-010", "expires_at is not after created_at", expected=f"> {created}",
                                observed=expires))
    return findings


def semantic_checks(run: dict[str, Any]) -> list[tuple[Any, tuple[Any, ...]]]:
    """The semantic checks that apply to a schema-valid run: (check, arguments) pairs."""
    applicable: list[tuple[Any, tuple[Any, ...]]] = [
        (check_status_fields, (run,)),
        (check_timestamps, (run, time.time())),
    ]
    if run["status"] == "requires_action" and run["required_action"] is not None:
        applicable.append((check_tool_calls, (run,)))
    if run["usage"] is not None:
        applicable.append((check_usage, (run["usage"],)))
    return applicable

