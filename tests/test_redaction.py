"""The redactor: a secret in no form anywhere the suite shows it; and what evidence keeps, bounded."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from conformance.core import catalogue
from conformance.core.evidence import (
    BODY,
    EVENTS_AROUND,
    EVENTS_FIRST,
    HEADERS,
    MESSAGE,
    VALUE,
    kept_exchange,
    kept_finding,
)
from conformance.core.findings import Finding
from conformance.core.observation import Exchange, Headers, StreamEvent
from conformance.core.recorder import Recorder
from conformance.core.redaction import FRAGMENT, REDACTED, Redactor

KEY = "sk-proj-" + "".join(f"{n:02x}Rw" for n in range(40)) + "Zq_"
redactor = Redactor.of([KEY])


def pieces_of_the_key(text: str) -> list[str]:
    return [KEY[i:i + FRAGMENT] for i in range(len(KEY) - FRAGMENT + 1) if KEY[i:i + FRAGMENT] in text]


@pytest.mark.parametrize("form", [
    KEY,
    json.dumps(KEY).replace("-", "\\u002d"),  # some characters escaped, the rest not
    KEY.replace("R", "\\u0052").replace("w", "\\u0077"),
    json.dumps({"k": KEY}).replace("_", "\\u005F"),  # upper-case hex
    urllib.parse.quote(KEY, safe=""),
    "".join(f"%{byte:02X}" for byte in KEY.encode()),  # every character
    base64.b64encode(KEY.encode()).decode(),
    base64.b64encode(b"Bearer " + KEY.encode()).decode(),  # at another alignment
    base64.b64encode(b"u:" + KEY.encode()).decode(),  # and the third
    base64.urlsafe_b64encode(b"x" + KEY.encode()).decode(),
    KEY[:50],  # cut after its start
    KEY[-20:],  # its end
    KEY[37:61],  # its middle
    f"{KEY[:8]}{'*' * 30}{KEY[-4:]}",  # masked as OpenAI masks keys
    f"{KEY[:5]}...{KEY[-5:]}",
])
def test_every_form_of_the_key_is_redacted(form: str) -> None:
    text = f"Incorrect API key provided: {form}. Try again."
    shown = redactor.text(text)
    assert REDACTED in shown and pieces_of_the_key(shown) == []
    assert shown.startswith("Incorrect API key provided: ") and shown.endswith(". Try again.")


def test_text_that_is_not_the_key_is_left_alone() -> None:
    text = "not-conformant: keys like sk-proj… answered 401 (see https://example.com/a%20b and \\u0041)"
    assert redactor.text(text) == text


def test_redact_first_then_cut() -> None:
    text = "x" * 95 + KEY + "y" * 100
    shown = redactor.shown(text, 100)  # the cut falls inside the key
    assert pieces_of_the_key(shown) == [] and shown.startswith("x" * 95 + REDACTED[:5])
    assert "more characters]" in shown


def test_headers_are_redacted_by_name_and_by_value() -> None:
    headers = Redactor.of([KEY], secret_headers={"X-Tenant"}).headers(
        {"Authorization": "Bearer whatever", "X-Tenant": "acme", "X-Echo": f"you sent {KEY}", "Accept": "*/*"})
    assert dict(headers) == {"Authorization": REDACTED, "X-Tenant": REDACTED, "X-Echo": f"you sent {REDACTED}",
                             "Accept": "*/*"}


def test_evidence_keeps_the_events_around_the_fault_and_says_how_many_it_dropped() -> None:
    events = [StreamEvent("thread.message.delta", json.dumps({"n": n}), n / 1000) for n in range(100_000)]
    exchange = Exchange("POST", "http://t/v1/threads/runs", Headers(), status=200, events=events)
    kept = kept_exchange(exchange, redactor, fault=50_000)
    indexes = [event.index for event in kept.events or []]
    assert indexes == [*range(EVENTS_FIRST), *range(50_000 - EVENTS_AROUND, 50_000 + EVENTS_AROUND + 1)]
    assert kept.events_omitted == 100_000 - len(indexes)
    at_the_end = kept_exchange(exchange, redactor, fault=None)  # the fault is the stream's end
    assert [event.index for event in at_the_end.events or []][-1] == 99_999


def test_evidence_cuts_bodies_headers_and_event_data() -> None:
    exchange = Exchange(
        "GET", "http://t/v1/x", Headers({"Set-Cookie": "c" * 10_000}),
        status=200, response_headers=Headers((f"X-{n}", "v") for n in range(1000)),
        response_body="b" * 1_000_000, events=[StreamEvent("e", "d" * 100_000, 0.0)], content=b"z" * 1000)
    kept = kept_exchange(exchange, redactor, fault=None)
    assert len(kept.response_body) < BODY + 100 and kept.response_body.endswith("more characters]")
    assert len(kept.response_headers) == HEADERS + 1 and len(kept.request_headers["Set-Cookie"]) < 600
    assert len((kept.events or [])[0].data) < 3000 and kept.content == b""


def test_findings_are_redacted_then_cut() -> None:
    requirement = catalogue.get("REQ-001")
    finding = Finding(requirement, "answered " + "m" * 5000 + KEY, observed={"echo": KEY, "big": "o" * 10_000},
                      expected=[KEY])
    kept = kept_finding(finding, redactor)
    assert len(kept.message) < MESSAGE + 100 and KEY not in kept.message
    assert isinstance(kept.observed, str) and len(kept.observed) < VALUE + 100
    assert kept.expected == [REDACTED]


def test_the_recorder_keeps_findings_and_evidence_redacted_and_bounded() -> None:
    from conformance.engine.checks.requests import accepted

    recorder = Recorder({"assistant_id": "asst_1"}, redactor)
    answer = Exchange("POST", "http://t/v1/threads/runs", Headers(), status=401,
                      response_body=f"Incorrect API key provided: {KEY}" + "x" * 100_000,
                      content=json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}}).encode())
    [finding] = recorder.apply(accepted, answer, evidence=answer)
    [record] = recorder.outcome.failures
    assert KEY in finding.message  # what the check said, to the scenario
    assert pieces_of_the_key(repr(record)) == []  # what the run keeps
    assert record.exchange is not None and len(record.exchange.response_body) < BODY + 100
