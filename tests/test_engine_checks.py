"""The engine's pure parts: the state graph, echo comparison, and the attribution rules of checks."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.core import catalogue
from conformance.core.findings import Severity
from conformance.core.observation import Exchange, Headers, StreamEvent
from conformance.core.spec import spec_for
from conformance.core.spec.runs import STATUSES, TERMINAL, illegal_transitions, is_legal_transition
from conformance.engine.checks.common import echoes
from conformance.engine.checks.lifecycle import immutable, transitions
from conformance.engine.checks.requests import REJECTED, error_envelope, rejected_before_stream
from conformance.engine.checks.run_object import STATUS_TABLE, run_document as check_run_document, status_fields


def reply(status: int, body: bytes, content_type: str = "application/json") -> Exchange:
    return Exchange("POST", "http://target/v1/threads/runs", Headers(), status=status,
                    response_headers=Headers({"Content-Type": content_type}), content=body)


def run_document(status: str = "completed", **changes: Any) -> dict[str, Any]:
    run = {
        "id": "run_1", "object": "thread.run", "created_at": 1_700_000_000, "thread_id": "thread_1",
        "assistant_id": "asst_1", "status": status, "required_action": None, "last_error": None,
        "expires_at": None, "started_at": 1_700_000_001, "cancelled_at": None, "failed_at": None,
        "completed_at": 1_700_000_002, "model": "gpt-4o", "instructions": "", "tools": [], "metadata": {},
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, "incomplete_details": None,
        "max_prompt_tokens": None, "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None}, "tool_choice": "auto",
        "parallel_tool_calls": True, "response_format": "auto", "temperature": 1.0, "top_p": 1.0,
    }
    run.update(changes)
    return run


class Invalid:
    requirement, rule, description = catalogue.get("REQ-002"), "maximum", "temperature above 2"


def check_rejected(invalid: Invalid, answer: Exchange) -> list:
    return REJECTED[invalid.requirement](invalid, answer)


def test_terminal_states_are_absorbing_and_polling_may_skip_states() -> None:
    assert all(not is_legal_transition(end, other) for end in TERMINAL for other in STATUSES - {end})
    assert is_legal_transition("queued", "completed")  # in_progress skipped between two polls
    assert is_legal_transition("requires_action", "queued")  # after submit_tool_outputs
    assert not is_legal_transition("cancelling", "in_progress")
    assert illegal_transitions(["queued", "completed", "in_progress"]) == [("completed", "in_progress")]


def test_the_status_table_covers_every_status() -> None:
    assert set(STATUS_TABLE) == STATUSES


def test_a_consistent_completed_run_has_no_finding() -> None:
    assert check_run_document(run_document(), spec_for()) == []
    assert status_fields(run_document()) == []


def test_completed_at_while_in_progress_is_a_status_field_finding() -> None:
    findings = status_fields(run_document("in_progress", usage=None))
    assert [(f.requirement_id, f.message) for f in findings] == [
        ("RUN-007", "completed_at is set while the run is in_progress")]


def test_instructions_null_is_a_warning_and_the_rest_still_validates() -> None:
    findings = check_run_document(run_document(instructions=None), spec_for())
    assert [(f.requirement_id, f.severity) for f in findings] == [("RUN-001", Severity.WARN)]
    findings = check_run_document(run_document(instructions=None, object="run"), spec_for())
    assert [f.severity for f in findings] == [Severity.WARN, Severity.FAIL]


def test_a_run_that_leaves_a_terminal_state_is_a_transition_finding_only() -> None:
    observations = [run_document("in_progress", completed_at=None, usage=None), run_document(),
                    run_document("in_progress", completed_at=None, usage=None)]
    statuses = [run["status"] for run in observations]
    assert [f.requirement_id for f in transitions(statuses)] == ["LIFE-002"]
    assert immutable(observations) == []  # not also LIFE-003


def test_a_changed_terminal_timestamp_is_an_immutability_finding() -> None:
    findings = immutable([run_document(), run_document(completed_at=1_700_000_009)])
    assert [f.requirement_id for f in findings] == ["LIFE-003"]


@pytest.mark.parametrize(("expected", "observed", "equal"), [
    ({"type": "auto"}, {"type": "auto", "last_messages": None}, True),  # server-filled default
    ({"type": "function", "function": {"name": "f", "strict": None}},
     {"type": "function", "function": {"name": "f"}}, True),
    ({"parameters": {}}, {}, True),  # {} parameters may be left out
    ([{"type": "code_interpreter"}], [], False),
    (1, 1.0, True),
    (0.7, 0.7000000001, True),
    (True, 1, False),
    ({"name": "f"}, {"name": "g"}, False),
])
def test_echoes(expected: Any, observed: Any, equal: bool) -> None:
    assert echoes(expected, observed) is equal


def test_a_framework_422_is_two_findings_one_per_requirement() -> None:
    answer = reply(422, b'{"detail": [{"msg": "bad"}]}')
    assert [f.requirement_id for f in check_rejected(Invalid(), answer)] == ["REQ-002"]
    assert [f.requirement_id for f in error_envelope(answer)] == ["ERR-001"]


def test_a_400_with_the_envelope_and_a_charset_passes() -> None:
    body = b'{"error": {"message": "m", "type": "invalid_request_error", "param": "temperature", "code": null}}'
    answer = reply(400, body, "application/json; charset=utf-8")
    assert check_rejected(Invalid(), answer) == []
    assert error_envelope(answer) == []
    assert rejected_before_stream(answer) == []


def stream_reply(status: int, events: list[str]) -> Exchange:
    answer = reply(status, b"", "text/event-stream")
    answer.events = [StreamEvent(name, "{}", 0.0) for name in events]
    return answer


def test_an_error_sent_in_an_event_stream_is_req_006_only() -> None:
    for answer in (stream_reply(400, []), stream_reply(200, ["thread.created", "error", "done"])):
        assert [f.requirement_id for f in rejected_before_stream(answer)] == ["REQ-006"]


def test_an_accepted_invalid_stream_request_is_the_rules_requirement() -> None:
    answer = stream_reply(200, ["thread.created", "thread.run.created", "done"])
    assert rejected_before_stream(answer) == []
    assert [f.requirement_id for f in check_rejected(Invalid(), answer)] == ["REQ-002"]
