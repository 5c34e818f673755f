"""Checks on one run document: its schema, then what the schema cannot say (status fields, tool
calls, usage, timestamps), which the scenarios apply to every run they can read, polled or
streamed. A run that failed its schema is read leniently (``core.reading``): each check judges the
fields it reads, and one that reads a broken field cannot judge (the schema's requirement reports
the field)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from conformance.core.catalogue import RUN_001, RUN_007, RUN_008, RUN_009, RUN_010
from conformance.core.checks import check
from conformance.core.findings import Finding, FindingMaker
from conformance.core.observation import Exchange
from conformance.core.reading import as_sent
from conformance.core.spec import NULL_INSTRUCTIONS, Spec
from conformance.core.spec.runs import REQUIRES_ACTION
from conformance.engine.checks.common import is_success, json_body_findings

CLOCK_SKEW = 24 * 3600  # seconds: created_at further than this from our clock is not Unix seconds

SET, NULL, EITHER = "set", "null", "either"
STATUS_FIELDS = ("started_at", "completed_at", "failed_at", "cancelled_at", "required_action",
                 "last_error", "incomplete_details", "usage")
_NOT_ENDED = dict(completed_at=NULL, failed_at=NULL, cancelled_at=NULL, required_action=NULL,
                  last_error=NULL, incomplete_details=NULL, usage=NULL)
# status -> field -> whether it must be set, must be null, or may be either (RUN_007's table;
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


@check(RUN_001, applies=lambda answer, spec: is_success(answer),
       otherwise="no request that returns a run was answered with success (2xx)")
def run_answer(finding: FindingMaker, answer: Exchange, spec: Spec) -> list[Finding]:
    """A success answer carrying a run is application/json and a valid RunObject (of ``spec``)."""
    body, findings = json_body_findings(finding, answer, "a run response")
    if findings:
        return findings
    return run_document(body, spec)


@check(RUN_001)
def run_document(finding: FindingMaker, run: Any, spec: Spec) -> list[Finding]:
    """A run already parsed (a list entry, a streamed event's data) is a valid RunObject."""
    problems, null_instructions = spec.run_object_problems(run)
    findings = []
    if null_instructions:
        findings.append(finding.warning(NULL_INSTRUCTIONS, expected="string", observed=None))
    if problems:
        findings.append(finding("the run does not validate against RunObject", expected="RunObject",
                                observed=problems))
    return findings


@check(RUN_007)
def status_fields(finding: FindingMaker, run: Mapping[str, Any]) -> list[Finding]:
    """The status-dependent fields agree with the status (set or null, whatever their type: a value
    of the wrong type is still set; a missing one is RUN_001's alone)."""
    status = run["status"]
    sent = as_sent(run)
    findings = []
    for name, rule in STATUS_TABLE[status].items():
        if name not in sent:
            continue
        value = sent[name]
        if rule == SET and value is None:
            findings.append(finding(f"{name} is null while the run is {status}", expected="set", observed=None))
        elif rule == NULL and value is not None:
            findings.append(finding(f"{name} is set while the run is {status}", expected=None, observed=value))
    return findings


@check(RUN_008, applies=lambda run: run["status"] == REQUIRES_ACTION and run["required_action"] is not None,
       otherwise="no run was seen in requires_action")
def tool_calls(finding: FindingMaker, run: Mapping[str, Any]) -> list[Finding]:
    """A requires_action run's tool calls are usable."""
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    if not calls:
        return [finding("requires_action with no tool calls", expected="at least one", observed=[])]
    findings = []
    ids = [call["id"] for call in calls]
    if any(not call_id for call_id in ids) or len(set(ids)) != len(ids):
        findings.append(finding("tool call ids are not unique non-empty strings", observed=ids))
    functions = {tool["function"]["name"] for tool in run["tools"] if tool.get("type") == "function"}
    for call in calls:
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        if name not in functions:
            findings.append(finding(f"tool call {call['id']!r} names {name!r}, not a function tool of the run",
                                    expected=sorted(functions), observed=name))
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            findings.append(finding(f"tool call {call['id']!r} arguments are not a JSON object",
                                    expected="a JSON object in a string", observed=arguments[:200]))
    return findings


@check(RUN_009, applies=lambda run: run.get("usage") is not None, otherwise="no run carried usage")
def usage_adds_up(finding: FindingMaker, run: Mapping[str, Any]) -> list[Finding]:
    """Usage counts are non-negative and add up."""
    usage = run["usage"]
    counts = {key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
    if any(value < 0 for value in counts.values()):
        return [finding("a usage count is negative", observed=counts)]
    if counts["total_tokens"] != counts["prompt_tokens"] + counts["completion_tokens"]:
        return [finding("total_tokens is not prompt_tokens + completion_tokens",
                        expected=counts["prompt_tokens"] + counts["completion_tokens"],
                        observed=counts["total_tokens"])]
    return []


@check(RUN_010)
def timestamps(finding: FindingMaker, run: Mapping[str, Any], now: float) -> list[Finding]:
    """Timestamps are Unix seconds near our clock and in order."""
    created = run["created_at"]
    if abs(created - now) > CLOCK_SKEW:
        return [finding("created_at is more than a day from the suite's clock: not the time, in Unix seconds, "
                        "of a run created now", expected=int(now), observed=created)]
    findings = []
    started = run["started_at"]
    if started is not None and started < created:
        findings.append(finding("started_at is before created_at", expected=f">= {created}", observed=started))
    floor_name, floor = ("started_at", started) if started is not None else ("created_at", created)
    for name in ("completed_at", "failed_at", "cancelled_at"):
        ended = run[name]
        if ended is not None and ended < floor:
            findings.append(finding(f"{name} is before {floor_name}", expected=f">= {floor}", observed=ended))
    expires = run["expires_at"]
    if expires is not None and expires <= created:
        findings.append(finding("expires_at is not after created_at", expected=f"> {created}", observed=expires))
    return findings
