"""Small helpers the checks share: JSON bodies of answers, list responses, echo comparison."""

from __future__ import annotations

import math
from typing import Any

from conformance.core.catalogue import LIFE_006, LIFE_007, Requirement
from conformance.core.findings import Finding, FindingMaker
from conformance.core.observation import JSON_MEDIA_TYPE, Exchange
from conformance.core.reading import Lenient, read
from conformance.core.spec import Spec

FLOAT32_TOLERANCE = 1e-6  # relative; a 32-bit float keeps ~7 significant digits (error < 6e-8)


def is_error(answer: Exchange) -> bool:
    return answer.status is not None and answer.status >= 400


def is_success(answer: Exchange) -> bool:
    """A 2xx answer: 200 is what the spec declares; another 2xx is its request's requirement's
    failure, and what it carries is judged all the same."""
    return answer.status is not None and 200 <= answer.status < 300


def json_body_findings(finding: FindingMaker, answer: Exchange, what: str) -> tuple[Any, list[Finding]]:
    """The answer's JSON body, or the findings saying why it has none usable (media type, syntax)."""
    if answer.media_type != JSON_MEDIA_TYPE:
        return None, [finding(f"{what} is not {JSON_MEDIA_TYPE}", expected=JSON_MEDIA_TYPE,
                              observed=answer.content_type or None)]
    try:
        return answer.json(), []
    except ValueError as error:
        return None, [finding(f"{what} is not valid JSON: {error}",
                              observed=answer.content[:200].decode("utf-8", errors="replace"))]


def json_answer(finding: FindingMaker, answer: Exchange, asked: str, what: str) -> tuple[Any, list[Finding]]:
    """The JSON body of a 200 answer to ``asked`` (e.g. "GET of the run's thread"), or the findings
    saying why there is none: another status, then as ``json_body_findings``."""
    if answer.status != 200:
        return None, [finding(f"{asked} was answered {answer.describe()}", expected=200, observed=answer.status)]
    return json_body_findings(finding, answer, what)


def list_findings(finding: FindingMaker, schema_name: str, document: Any, what: str, spec: Spec) -> list[Finding]:
    """Schema findings for a list response; first_id/last_id null on an empty list is only a warning.

    The spec types them as strings, but an empty list has no first or last id and real servers
    send null there: a deviation worth showing, not a failure.
    """
    document, nulls = _empty_list_ids_relaxed(document)
    findings = []
    if nulls:
        findings.append(finding.warning(f"{what}: {', '.join(nulls)} null on an empty list "
                                        "(the spec types them as strings)"))
    problems = spec.schema_problems(schema_name, document)
    if problems:
        findings.append(finding(f"{what} does not validate against {schema_name}", expected=schema_name,
                                observed=problems))
    return findings


# A list response -> the schema of its items, and the requirement that judges the listing (and so
# blocks what reads a broken item).
LISTED: dict[str, tuple[str, Requirement]] = {
    "ListRunStepsResponse": ("RunStepObject", LIFE_006),
    "ListMessagesResponse": ("MessageObject", LIFE_007),
}


def listed_items(answer: Exchange, schema_name: str, spec: Spec) -> list[Lenient] | None:
    """The items of a 200 list response, each read leniently (``core.reading``: an item's field
    that fails its schema blocks only what reads it); None when there is no list of objects to read
    (the listing's own check says why)."""
    body = answer.json_or_none() if answer.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        return None
    item_schema, blocker = LISTED[schema_name]
    return [read(item_schema, item, blocker, spec) for item in data]


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
