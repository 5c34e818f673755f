"""``report.json``: the result model as versioned JSON, and back.

The layout is documented by ``report.schema.json`` (shipped next to this module). Derived
fields (outcome, counts, ISO time, reproducers) are written for readers of the file and
recomputed, never trusted, when a report is loaded back.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from conformance.catalogue import Area, Level, Requirement
from conformance.exchange import Exchange, StreamEvent
from conformance.findings import Finding, Severity
from conformance.results import FailureRecord, RequirementResult, SuiteResult, Verdict
from reports import summary
from reports.reproduce import reproducer

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


class ReportError(ValueError):
    """A saved report that cannot be read back; the message is one line for the user."""


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


def _exchange_to_dict(exchange: Exchange) -> dict[str, Any]:
    return {
        "method": exchange.method,
        "url": exchange.url,
        "request_headers": dict(exchange.request_headers),
        "request_body": jsonable(exchange.request_body),
        "status": exchange.status,
        "response_headers": dict(exchange.response_headers),
        "response_body": exchange.response_body,
        "events": (
            None
            if exchange.events is None
            else [{"event": e.event, "data": e.data, "at": e.at} for e in exchange.events]
        ),
        "elapsed": exchange.elapsed,
        "transport_error": exchange.transport_error,
    }


def _failure_to_dict(failure: FailureRecord, base_url: str) -> dict[str, Any]:
    finding = failure.finding
    repro = reproducer(failure, base_url)
    return {
        "message": finding.message,
        "severity": finding.severity.value,
        "expected": jsonable(finding.expected),
        "observed": jsonable(finding.observed),
        "event_index": finding.event_index,
        "minimal_example": jsonable(failure.request),
        "evidence": None if failure.exchange is None else _exchange_to_dict(failure.exchange),
        "reproducer": None if repro is None else {"curl": repro.curl, "python": repro.python},
    }


def _requirement_to_dict(item: RequirementResult, base_url: str) -> dict[str, Any]:
    requirement = item.requirement
    return {
        "id": requirement.id,
        "level": requirement.level.value,
        "area": requirement.area.value,
        "text": requirement.text,
        "spec": requirement.spec,
        "verdict": item.verdict.value,
        "exercised": item.exercised,
        "failures": [_failure_to_dict(failure, base_url) for failure in item.failures],
    }


def result_to_dict(result: SuiteResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "partial": result.partial,
        "outcome": summary.outcome(result),
        "suite_version": result.suite_version,
        "spec_commit": result.spec_commit,
        "profile": result.profile,
        "seed": result.seed,
        "base_url": result.base_url,
        "started_at": result.started_at,
        "started_at_iso": summary.utc_iso(result.started_at),
        "duration": result.duration,
        "requests_sent": result.requests_sent,
        "counts": summary.counts(result.results),
        "internal_errors": list(result.internal_errors),
        "requirements": [_requirement_to_dict(item, result.base_url) for item in result.results],
    }


def render_json(result: SuiteResult) -> str:
    return json.dumps(result_to_dict(result), indent=2, allow_nan=False) + "\n"


# --- from JSON ------------------------------------------------------------------------------


@cache
def report_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(data: Any) -> None:
    """Raise ReportError unless ``data`` is a report this suite can read."""
    import jsonschema  # only loading a saved report pays for it

    if isinstance(data, dict):
        version = data.get("schema_version")
        if isinstance(version, str) and version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ReportError(
                f"unsupported report schema_version {version!r} (this suite reads {SCHEMA_VERSION})"
            )
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(report_schema()).iter_errors(data)
    )
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ReportError(f"not a conformance report: at {where}: {summary.one_line(error.message, 160)}")


def _exchange_from_dict(data: dict[str, Any]) -> Exchange:
    events = data["events"]
    return Exchange(
        method=data["method"],
        url=data["url"],
        request_headers=dict(data["request_headers"]),
        request_body=data["request_body"],
        status=data["status"],
        response_headers=dict(data["response_headers"]),
        response_body=data["response_body"],
        events=None if events is None else [StreamEvent(e["event"], e["data"], e["at"]) for e in events],
        elapsed=data["elapsed"],
        transport_error=data["transport_error"],
    )


def _failure_from_dict(requirement_id: str, data: dict[str, Any]) -> FailureRecord:
    finding = Finding(
        requirement_id,
        data["message"],
        severity=Severity(data["severity"]),
        expected=data["expected"],
        observed=data["observed"],
        event_index=data["event_index"],
    )
    evidence = data["evidence"]
    return FailureRecord(
        finding, data["minimal_example"], None if evidence is None else _exchange_from_dict(evidence)
    )


def _requirement_from_dict(data: dict[str, Any]) -> RequirementResult:
    # The saved text is what the run judged against: keep it even if the catalogue moved on.
    requirement = Requirement(
        data["id"], Level(data["level"]), Area(data["area"]), data["text"], data["spec"]
    )
    try:
        failures = [_failure_from_dict(requirement.id, failure) for failure in data["failures"]]
    except KeyError as error:  # Finding refuses IDs this suite's catalogue does not have
        raise ReportError(
            f"report cites {error.args[0]}; re-render it with the suite version that wrote it"
        ) from None
    return RequirementResult(requirement, Verdict(data["verdict"]), data["exercised"], failures)


def result_from_dict(data: Any) -> SuiteResult:
    """The SuiteResult a ``result_to_dict`` dict describes; ReportError if it is not one."""
    validate(data)
    return SuiteResult(
        suite_version=data["suite_version"],
        spec_commit=data["spec_commit"],
        profile=data["profile"],
        seed=data["seed"],
        base_url=data["base_url"],
        started_at=data["started_at"],
        duration=data["duration"],
        results=[_requirement_from_dict(item) for item in data["requirements"]],
        partial=data["partial"],
        internal_errors=list(data["internal_errors"]),
        requests_sent=data["requests_sent"],
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
