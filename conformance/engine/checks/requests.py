"""Checks on how a request was answered: accepted, rejected, unauthorized, not found; the error envelope."""

from __future__ import annotations

from typing import Any, Protocol

from conformance.core.catalogue import AUTH_001, ERR_001, REQ_001, REQ_006, REQ_007, Requirement
from conformance.core.checks import Check, check, register
from conformance.core.findings import Finding, FindingMaker
from conformance.core.observation import EVENT_STREAM, Exchange
from conformance.core.spec import schema_problems
from conformance.engine.checks.common import is_error, json_body_findings
from strategies.invalid import INVALID_RULES


class Labelled(Protocol):
    """An invalid request as the strategies describe it (``strategies.InvalidRequest``)."""

    requirement: Requirement
    rule: str
    description: str


def _answer(answer: Exchange) -> str:
    """The status and, when the body says, the error message: "status 500 (boom)"."""
    described = answer.describe()
    body = answer.json_or_none() if answer.status is not None else None
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f"{described} ({str(message)[:200]})" if isinstance(message, str) else described


@check(REQ_001)
def accepted(finding: FindingMaker, answer: Exchange) -> list[Finding]:
    """A valid request body is answered 200."""
    if answer.status == 200:
        return []
    return [finding(f"a valid request was answered {_answer(answer)}", expected=200, observed=answer.status)]


def _rejected(finding: FindingMaker, invalid: Labelled, answer: Exchange) -> list[Finding]:
    """An invalid request is answered 400."""
    if answer.status == 400:
        return []
    verb = "accepted" if answer.status is not None and 200 <= answer.status < 300 else "answered"
    return [finding(f"an invalid request ({invalid.rule}: {invalid.description}) was {verb} {_answer(answer)}",
                    expected=400, observed=answer.status)]


# One rejection check per requirement an invalid-request rule belongs to: an invalid example is
# judged under its own rule's requirement.
REJECTED: dict[Requirement, Check[[Labelled, Exchange]]] = {
    requirement: register(Check(f"rejected ({requirement.id})", requirement, _rejected))
    for requirement in dict.fromkeys(rule.requirement for rule in INVALID_RULES)
}


@check(REQ_006)
def rejected_before_stream(finding: FindingMaker, answer: Exchange) -> list[Finding]:
    """An invalid ``stream: true`` request that is rejected gets its error as JSON, up front.

    Rejected in a stream means an event stream with an error status, or with an ``error`` event
    (validation after the stream started). A 2xx stream with no error event is no rejection at
    all: the request was accepted, which the rule's own requirement reports (``REJECTED``).
    """
    if answer.media_type != EVENT_STREAM:
        return []
    events = answer.events or []
    error_events = [event for event in events if event.event == "error"]
    if (answer.status or 0) < 400 and not error_events:
        return []
    how = f"status {answer.status}" + (f" and an error event (event {events.index(error_events[0])})"
                                       if error_events else "")
    return [finding(f"an invalid stream: true request was rejected inside an event stream ({how}) "
                    "instead of with a JSON error before any event",
                    expected="application/json error", observed=answer.content_type)]


@check(AUTH_001)
def unauthorized(finding: FindingMaker, answer: Exchange, credentials: str) -> list[Finding]:
    """A request with missing or wrong credentials is answered 401."""
    if answer.status == 401:
        return []
    return [finding(f"a request with {credentials} was answered {_answer(answer)}", expected=401,
                    observed=answer.status)]


@check(REQ_007)
def unknown_assistant(finding: FindingMaker, answer: Exchange) -> list[Finding]:
    """An assistant_id the server does not know is answered 404."""
    if answer.status == 404:
        return []
    return [finding(f"an unknown assistant_id was answered {_answer(answer)}", expected=404,
                    observed=answer.status)]


@check(ERR_001, applies=is_error, otherwise="no answer had an error status (>= 400)")
def error_envelope(finding: FindingMaker, answer: Exchange) -> list[Finding]:
    """An answer >= 400, to whatever request, is application/json with a valid ErrorResponse body."""
    body, findings = json_body_findings(finding, answer, f"the body of a {answer.status} answer")
    if findings:
        return findings
    problems = schema_problems("ErrorResponse", body)
    if problems:
        return [finding(f"the body of a {answer.status} answer is not the error envelope",
                        expected='{"error": {"message", "type", "param", "code"}}', observed=_shown(body, problems))]
    return []


def _shown(body: Any, problems: list[str]) -> dict[str, Any]:
    return {"body": body if len(str(body)) < 2000 else str(body)[:2000], "errors": problems}
