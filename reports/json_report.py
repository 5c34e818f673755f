"""``report.json``: the result model as versioned JSON, and back.

The layout is ``reports.model``'s (and the schema generated from it, shipped as
``report.schema.json``). Derived fields (outcome, counts, ISO time, reproducers) are written for
readers of the file and recomputed, never trusted, when a report is loaded back.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conformance.core.catalogue import BY_ID, Requirement
from conformance.core.claims import Claims
from conformance.core.errors import ReportError
from conformance.core.findings import Finding
from conformance.core.observation import Exchange, Headers, StreamEvent
from conformance.core.results import FailureRecord, RequirementResult, SuiteResult
from reports import summary
from reports.model import (
    SCHEMA_VERSION,
    ClaimsEntry,
    Evidence,
    EvidenceEvent,
    FailureEntry,
    ReportDocument,
    Reproducer,
    RequirementEntry,
    VerdictCounts,
)
from reports.reproduce import reproducer

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: tuples and sets become lists, bytes a string, anything else its repr."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(item) for item in value), key=repr)
    if isinstance(value, bytes):  # a raw body; surrogate escapes keep undecodable bytes
        return value.decode("utf-8", "surrogateescape")
    return repr(value)


# --- to JSON --------------------------------------------------------------------------------


def _evidence(exchange: Exchange) -> Evidence:
    return Evidence(
        method=exchange.method,
        url=exchange.url,
        request_headers=dict(exchange.request_headers),
        request_body=jsonable(exchange.request_body),
        status=exchange.status,
        response_headers=dict(exchange.response_headers),
        response_body=exchange.response_body,
        events=None if exchange.events is None else [EvidenceEvent(event=e.event, data=e.data, at=e.at, index=e.index)
                                                      for e in exchange.events],
        events_omitted=exchange.events_omitted,
        elapsed=exchange.elapsed,
        transport_error=exchange.transport_error,
    )


def _failure_entry(failure: FailureRecord, base_url: str) -> FailureEntry:
    finding = failure.finding
    repro = reproducer(failure, base_url)
    return FailureEntry(
        message=finding.message,
        severity=finding.severity,
        expected=jsonable(finding.expected),
        observed=jsonable(finding.observed),
        event_index=finding.event_index,
        minimal_example=jsonable(failure.request),
        evidence=None if failure.exchange is None else _evidence(failure.exchange),
        reproducer=None if repro is None else Reproducer(curl=repro.curl, python=repro.python),
    )


def _requirement_entry(item: RequirementResult, base_url: str) -> RequirementEntry:
    requirement = item.requirement
    return RequirementEntry(
        id=requirement.id,
        level=requirement.level,
        area=requirement.area,
        text=requirement.text,
        spec=requirement.spec,
        verdict=item.verdict,
        exercised=item.exercised,
        failures=[_failure_entry(failure, base_url) for failure in item.failures],
        reasons=list(item.reasons),
    )


def document_of(result: SuiteResult) -> ReportDocument:
    return ReportDocument(
        schema_version=SCHEMA_VERSION,
        partial=result.partial,
        outcome=summary.outcome(result),
        suite_version=result.suite_version,
        spec_commit=result.spec_commit,
        spec_sha256=result.spec_sha256 or None,
        spec_profile=result.spec_profile,
        certification=result.certification,
        claims=ClaimsEntry(server_name=result.claims.server_name, server_version=result.claims.server_version,
                           unclaimed=sorted(result.claims.unclaimed)),
        profile=result.profile,
        seed=result.seed,
        base_url=result.base_url,
        started_at=result.started_at,
        started_at_iso=summary.utc_iso(result.started_at),
        duration=result.duration,
        requests_sent=result.requests_sent,
        counts=VerdictCounts.model_validate(summary.counts(result.results)),
        internal_errors=list(result.internal_errors),
        not_judged=result.not_judged,
        notes=list(result.notes),
        requirements=[_requirement_entry(item, result.base_url) for item in result.results],
    )


def result_to_dict(result: SuiteResult) -> dict[str, Any]:
    return document_of(result).model_dump(by_alias=True, mode="python")


def render_json(result: SuiteResult) -> str:
    return json.dumps(result_to_dict(result), indent=2, allow_nan=False) + "\n"


# --- from JSON ------------------------------------------------------------------------------


@cache
def report_schema() -> dict[str, Any]:
    """The shipped JSON Schema of report.json (generated from ``reports.model``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(data: Any) -> ReportDocument:
    """The report ``data`` describes; ReportError unless it is a report this suite can read."""
    if isinstance(data, dict):
        version = data.get("schema_version")
        if isinstance(version, str) and version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ReportError(f"unsupported report schema_version {version!r} (this suite reads {SCHEMA_VERSION})")
    try:
        return ReportDocument.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"]) or "(top level)"
        raise ReportError(f"not a conformance report: at {where}: {summary.one_line(first['msg'], 160)}") from None


def _exchange(evidence: Evidence) -> Exchange:
    return Exchange(
        method=evidence.method,
        url=evidence.url,
        request_headers=Headers(evidence.request_headers),
        request_body=evidence.request_body,
        status=evidence.status,
        response_headers=Headers(evidence.response_headers),
        response_body=evidence.response_body,
        events=None if evidence.events is None else [StreamEvent(e.event, e.data, e.at, e.index)
                                                     for e in evidence.events],
        events_omitted=evidence.events_omitted,
        elapsed=evidence.elapsed,
        transport_error=evidence.transport_error,
    )


def _failure(requirement: Requirement, entry: FailureEntry) -> FailureRecord:
    finding = Finding(requirement, entry.message, entry.severity, entry.expected, entry.observed, entry.event_index)
    return FailureRecord(finding, entry.minimal_example, None if entry.evidence is None else _exchange(entry.evidence))


def _requirement_result(entry: RequirementEntry) -> RequirementResult:
    # The saved text is what the run judged against: keep it even if the catalogue moved on.
    requirement = Requirement(entry.id, entry.level, entry.area, entry.text, entry.spec)
    if entry.failures and requirement.id not in BY_ID:
        raise ReportError(f"report cites {requirement.id!r}; re-render it with the suite version that wrote it")
    return RequirementResult(requirement, entry.verdict, entry.exercised,
                             [_failure(requirement, failure) for failure in entry.failures], list(entry.reasons))


def result_from_dict(data: Any) -> SuiteResult:
    """The SuiteResult a ``result_to_dict`` dict describes; ReportError if it is not one."""
    document = validate(data)
    return SuiteResult(
        suite_version=document.suite_version,
        spec_commit=document.spec_commit,
        profile=document.profile,
        seed=document.seed,
        base_url=document.base_url,
        started_at=document.started_at,
        duration=document.duration,
        results=[_requirement_result(entry) for entry in document.requirements],
        partial=document.partial,
        internal_errors=list(document.internal_errors),
        requests_sent=document.requests_sent,
        not_judged=document.not_judged,
        notes=list(document.notes),
        claims=Claims(frozenset(document.claims.unclaimed), document.claims.server_name,
                      document.claims.server_version),
        certification=document.certification,
        spec_profile=document.spec_profile,
        spec_sha256=document.spec_sha256 or "",
    )


def load_report(path: str | Path) -> SuiteResult:
    """Read a saved report.json; every problem is a one-line ReportError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not JSON: {error}") from None
    try:
        return result_from_dict(data)
    except ReportError as error:
        raise ReportError(f"{path}: {error}") from None
