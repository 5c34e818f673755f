"""Checks on how a request was answered: accepted, rejected, unauthorized, not found; the error envelope.

Attribution: the *status code* of an answer belongs to the requirement about that kind of
request (REQ-001 for a valid body, the invalid example's own requirement for a rejected one,
AUTH-001, REQ-007); the *body* of every answer >= 400 belongs to ERR-001 alone. So a framework
default ``422 {"detail": ...}`` for an invalid body is two violations, reported once each: the
request requirement (422 is not 400) and ERR-001 (no error envelope).
"""

from __future__ import annotations

from typing import Any, Protocol

from conformance.engine.checks.common import json_body_findings, schema_problems
from conformance.engine.client import EVENT_STREAM, Reply
from conformance.findings import Finding


class Labelled(Protocol):
    """An invalid request as the strategies describe it (``strategies.InvalidRequest``)."""

    requirement_id: str
    rule: str
    description: str


def _answer(reply: Reply) -> str:
    """The status and, when the body says, the error message: "status 500 (boom)"."""
    described = reply.describe()
    body = reply.json_or_none() if reply.status is not None else None
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f"{described} ({str(message)[:200]})" if isinstance(message, str) else described


def check_accepted(reply: Reply) -> list[Finding]:
    """REQ-001: a valid request body is answered 200."""
    if reply.status == 200:
        return []
    return [Finding("REQ-001", f"a valid request was answered {_answer(reply)}",
                    expected=200, observed=reply.status)]


def check_rejected(invalid: Labelled, reply: Reply) -> list[Finding]:
    """REQ-002..005 (the example's own requirement): an invalid request is answered 400."""
    if reply.status == 400:
        return []
    verb = "accepted" if reply.status is not None and 200 <= reply.status < 300 else "answered"
    return [Finding(invalid.requirement_id,
                    f"an invalid request ({invalid.rule}: {invalid.description}) was {verb} {_answer(reply)}",
                    expected=400, observed=reply.status)]


def check_rejected_before_stream(reply: Reply) -> list[Finding]:
    """REQ-006: an invalid ``stream: true`` request that is rejected gets its error as JSON, up front.

    Rejected in a stream means an event stream with an error status, or with an ``error`` event
    (validation after the stream started). A 2xx stream with no error event is no rejection at
    all: the request was accepted, which the rule's own requirement reports (``check_rejected``).
    """
    if reply.media_type != EVENT_STREAM:
        return []
    events = reply.exchange.events or []
    error_events = [event for event in events if event.event == "error"]
    if (reply.status or 0) < 400 and not error_events:
        return []
    how = f"status {reply.status}" + (f" and an error event (event {events.index(error_events[0])})"
                                        if error_events else "")
    return [Finding("REQ-006", f"an invalid stream: true request was rejected inside an event stream ({how}) "
                    "instead of with a JSON error before any event",
                    expected="application/json error", observed=reply.content_type)]


def check_unauthorized(reply: Reply, credentials: str) -> list[Finding]:
    """AUTH-001: a request with missing or wrong credentials is answered 401."""
    if reply.status == 401:
        return []
    return [Finding("AUTH-001", f"a request with {credentials} was answered {_answer(reply)}",
                    expected=401, observed=reply.status)]


def check_unknown_assistant(reply: Reply) -> list[Finding]:
    """REQ-007: an assistant_id the server does not know is answered 404."""
    if reply.status == 404:
        return []
    return [Finding("REQ-007", f"an unknown assistant_id was answered {_answer(reply)}",
                    expected=404, observed=reply.status)]


def check_error_envelope(reply: Reply) -> list[Finding]:
    """ERR-001: an answer >= 400 is application/json with a valid ErrorResponse body."""
    body, findings = json_body_findings("ERR-001", reply, f"the body of a {reply.status} answer")
    if findings:
        return findings
    problems = schema_problems("ErrorResponse", body)
    if problems:
        return [Finding("ERR-001", f"the body of a {reply.status} answer is not the error envelope",
                        expected='{"error": {"message", "type", "param", "code"}}', observed=_shown(body, problems))]
    return []


def _shown(body: Any, problems: list[str]) -> dict[str, Any]:
    return {"body": body if len(str(body)) < 2000 else str(body)[:2000], "errors": problems}
