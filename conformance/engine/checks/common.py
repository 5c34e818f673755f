"""Small helpers the checks share: JSON bodies of replies, schema errors as text, echo comparison."""

from __future__ import annotations

import math
from typing import Any

from conformance.engine.client import Reply
from conformance.findings import Finding, Severity
from conformance.spec import validator

JSON_MEDIA_TYPE = "application/json"
SHOWN_SCHEMA_ERRORS = 5
FLOAT32_TOLERANCE = 1e-6  # relative; a 32-bit float keeps ~7 significant digits (error < 6e-8)


def schema_problems(schema_name: str, document: Any) -> list[str]:
    errors = [str(error) for error in validator(schema_name).errors(document)]
    if len(errors) > SHOWN_SCHEMA_ERRORS:
        errors = errors[:SHOWN_SCHEMA_ERRORS] + [f"... and {len(errors) - SHOWN_SCHEMA_ERRORS} more"]
    return errors


def json_body_findings(requirement_id: str, reply: Reply, what: str) -> tuple[Any, list[Finding]]:
    """The reply's JSON body, or the findings saying why it has none usable (media type, syntax)."""
    if reply.media_type != JSON_MEDIA_TYPE:
        return None, [Finding(requirement_id, f"{what} is not {JSON_MEDIA_TYPE}",
                              expected=JSON_MEDIA_TYPE, observed=reply.content_type or None)]
    try:
        return reply.json(), []
    except ValueError as error:
        return None, [Finding(requirement_id, f"{what} is not valid JSON: {error}",
                              observed=reply.content[:200].decode("utf-8", errors="replace"))]


def only_warnings(findings: list[Finding]) -> bool:
    """True if no finding is a failure (the judged document is still usable)."""
    return all(finding.severity is Severity.WARN for finding in findings)


def list_findings(requirement_id: str, schema_name: str, document: Any, what: str) -> list[Finding]:
    """Schema findings for a list response; first_id/last_id null on an empty list is only a warning.

    The spec types them as strings, but an empty list has no first or last id and real servers
    send null there: a deviation worth showing, not a failure.
    """
    document, nulls = _empty_list_ids_relaxed(document)
    findings = []
    if nulls:
        findings.append(Finding(requirement_id, f"{what}: {', '.join(nulls)} null on an empty list "
                                "(the spec types them as strings)", severity=Severity.WARN))
    problems = schema_problems(schema_name, document)
    if problems:
        findings.append(Finding(requirement_id, f"{what} does not validate against {schema_name}",
                                expected=schema_name, observed=problems))
    return findings


def is_valid_list(schema_name: str, document: Any) -> bool:
    """True if ``list_findings`` would find no failure."""
    return validator(schema_name).is_valid(_empty_list_ids_relaxed(document)[0])


def _empty_list_ids_relaxed(document: Any) -> tuple[Any, list[str]]:
    if not isinstance(document, dict) or document.get("data") != []:
        return document, []
    nulls = [key for key in ("first_id", "last_id") if key in document and document[key] is None]
    return {**document, **{key: "" for key in nulls}}, nulls


def echoes(expected: Any, observed: Any) -> bool:
    """True if ``observed`` carries everything ``expected`` states.

    Objects: every key of ``expected`` whose value is not null is echoed (the server may add
    keys and fill defaults); an empty object also matches an absent/null value (``parameters:
    {}`` means "no parameters"). Arrays: same length, item by item. Numbers compare with a
    relative tolerance of ``FLOAT32_TOLERANCE`` (a server may store a float in 32 bits: 0.7 then
    comes back as 0.699999988079071); booleans only equal booleans.
    """
    if isinstance(expected, dict):
        if not expected and observed is None:
            return True
        return isinstance(observed, dict) and all(
            echoes(value, observed.get(key)) for key, value in expected.items() if value is not None
        )
    if isinstance(expected, list):
        return isinstance(observed, list) and len(expected) == len(observed) and all(
            echoes(e, o) for e, o in zip(expected, observed, strict=True)
        )
    if isinstance(expected, bool) or isinstance(observed, bool):
        return expected is observed
    if isinstance(expected, (int, float)) and isinstance(observed, (int, float)):
        return math.isclose(expected, observed, rel_tol=FLOAT32_TOLERANCE, abs_tol=1e-9)
    return expected == observed

