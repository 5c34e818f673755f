"""Certifying imperfect servers: each requirement judged on its own evidence, every unjudged one
explained, setting up that gets out of the way, overrides that can show, unclaimed features never
sent (and unsupported, not failed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from broken.middleware import Answer, Call, Middleware, Rewrite
from broken.variants import KEY, model_override_ignored, reference, rewrite
from broken_streams.middleware import Stream, StreamRewrite
from conformance.core.claims import Claims
from conformance.core.errors import SetupError
from conformance.core.results import SuiteResult, Verdict
from conformance.core.spec.profiles import get_profile
from conformance.engine.properties import PROPERTIES
from conformance.server.background import running_server
from engine_support import TEST_EXAMPLES, certify, exercised, verdicts

WITH_STREAMS = {**TEST_EXAMPLES, "accept-stream": 2, "tool-round-trip-stream": 1}


def result_of(result: SuiteResult, requirement_id: str) -> Any:
    return next(item for item in result.results if item.requirement.id == requirement_id)


def every_unjudged_says_why(result: SuiteResult) -> None:
    for item in result.results:
        if item.verdict in (Verdict.NOT_EXERCISED, Verdict.UNSUPPORTED):
            assert item.reasons and all(item.reasons), item.requirement.id


# --- a server whose timestamps are ISO-8601 strings, everywhere --------------------------------

def iso(value: Any) -> Any:
    """Every ``*_at`` integer of a JSON document as an ISO-8601 string (in place; returns it)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_at") and isinstance(item, int) and not isinstance(item, bool):
                value[key] = datetime.fromtimestamp(item, UTC).isoformat()
            else:
                iso(item)
    elif isinstance(value, list):
        for item in value:
            iso(item)
    return value


def iso_answers(call: Call, answer: Answer) -> None:
    if isinstance(answer.body, (dict, list)):
        iso(answer.body)


def iso_events(stream: Stream) -> None:
    for event in stream.events:
        iso(event.data)


def iso_timestamps() -> ASGIApp:
    return StreamRewrite(Rewrite(reference(), on_response=iso_answers), edit=iso_events)


def test_a_server_with_string_timestamps_is_still_judged_on_everything_else() -> None:
    result = certify(iso_timestamps(), counts=WITH_STREAMS)

    assert result.internal_errors == []
    # The timestamps themselves: the schema of each kind of object, where it is judged.
    assert verdicts(result, Verdict.FAIL) == {"RUN-001", "SSE-003", "RUN-003", "LIFE-006", "LIFE-007"}
    # What reads nothing but timestamps cannot be judged, and says which field blocks it.
    ten = result_of(result, "RUN-010")
    assert ten.verdict is Verdict.NOT_EXERCISED
    assert any("blocked by RUN-001" in reason and "created_at" in reason for reason in ten.reasons), ten.reasons
    # Everything else is judged: the run's fields, its lifecycle, what it created, the stream.
    judged = {"REQ-001", "RUN-002", "RUN-004", "RUN-005", "RUN-006", "RUN-007", "RUN-008", "RUN-009",
              "LIFE-001", "LIFE-002", "LIFE-003", "LIFE-004", "LIFE-005", "LIFE-008",
              "SSE-005", "SSE-006", "SSE-007", "SSE-008", "SSE-009", "SSE-011"}
    assert judged <= verdicts(result, Verdict.PASS), sorted(judged - verdicts(result, Verdict.PASS))
    every_unjudged_says_why(result)
    assert len(verdicts(result, Verdict.NOT_EXERCISED)) <= 2  # RUN-010, and the SDK replay of failed streams


def test_a_run_broken_in_one_field_is_judged_on_the_others() -> None:
    """A run whose every answer lacks one field: RUN-001 fails, the checks that do not read it judge."""
    result = certify(rewrite(on_response=lambda call, answer: [
        run.pop("usage", None) for run in _runs(answer)])())
    assert verdicts(result, Verdict.FAIL) == {"RUN-001"}
    assert {"RUN-004", "RUN-005", "RUN-007", "RUN-010", "LIFE-002", "LIFE-003"} <= verdicts(result, Verdict.PASS)
    usage = result_of(result, "RUN-009")
    assert usage.verdict is Verdict.NOT_EXERCISED and any("usage is missing" in r for r in usage.reasons)


def _runs(answer: Answer) -> list[dict[str, Any]]:
    body = answer.body
    if isinstance(body, dict) and body.get("object") == "thread.run":
        return [body]
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return [item for item in body["data"] if isinstance(item, dict) and item.get("object") == "thread.run"]
    return []


def test_a_refused_request_blocks_what_follows_with_the_reason() -> None:
    """Every valid request refused: REQ-001 fails, and what a run would have shown says why it was not judged."""
    def refuse(call: Call, answer: Answer) -> None:
        if call.method == "POST" and call.path == "/v1/threads/runs" and answer.status == 200:
            answer.status, answer.headers = 503, {"content-type": "application/json"}
            answer.body = {"error": {"message": "busy", "type": "server_error", "param": None, "code": None}}

    result = certify(rewrite(on_response=refuse)(), counts={"accept": 3, "follow": 1})
    assert "REQ-001" in verdicts(result, Verdict.FAIL)
    for requirement_id in ("RUN-004", "RUN-007", "LIFE-001", "LIFE-007"):
        reasons = result_of(result, requirement_id).reasons
        assert reasons and "blocked by REQ-001" in reasons[0] and "status 503" in reasons[0], reasons
    every_unjudged_says_why(result)


# --- setting up ----------------------------------------------------------------------------

def created_201(call: Call, answer: Answer) -> None:
    if call.method == "POST" and call.path == "/v1/assistants" and answer.status == 200:
        answer.status = 201


def test_assistant_creation_answered_201_proceeds_with_a_note() -> None:
    result = certify(rewrite(on_response=created_201)())
    assert result.exit_code(strict=True) == 0 and verdicts(result, Verdict.FAIL) == set()
    assert any("POST /assistants was answered status 201" in note for note in result.notes)


class NoAssistantCreation(Middleware):
    """The target's assistants are configured in code: POST /v1/assistants is 404 (but for the
    test's own setup, which says so in a header); GET /v1/models is 404 as on the reference server."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        if scope["method"] == "POST" and scope["path"] == "/v1/assistants" and b"x-test-setup" not in headers:
            scope = {**scope, "path": "/v1/no-such-endpoint", "raw_path": b"/v1/no-such-endpoint"}
        await self.app(scope, receive, send)


def test_no_way_to_create_assistants_names_the_flag_to_pass() -> None:
    with pytest.raises(SetupError, match="--assistant-id"):
        certify(NoAssistantCreation(reference()))


def test_only_an_assistant_id_is_enough_to_certify() -> None:
    app = NoAssistantCreation(reference())
    with running_server(app) as base_url:
        created = httpx.post(f"{base_url}/assistants", json={"model": "gpt-4o", "instructions": "Be brief."},
                             headers={"Authorization": f"Bearer {KEY}", "x-test-setup": "1"})
        assistant_id = created.json()["id"]
    result = certify(app, assistant_id=assistant_id, models=None)

    assert result.internal_errors == [] and result.not_judged is None
    assert verdicts(result, Verdict.FAIL) == set() and result.exit_code() == 0
    assert any("GET /models" in note for note in result.notes)
    # One model known (the assistant's): the model override cannot show, and the report says so.
    model = result_of(result, "RUN-004")
    assert model.verdict is Verdict.PASS
    assert any("run.model from the request" in reason and "only one model is known" in reason
               for reason in model.reasons), model.reasons


def test_an_ignored_model_override_is_caught_with_two_models_and_explained_with_one() -> None:
    ignored = rewrite(on_response=model_override_ignored)
    assert "RUN-004" in verdicts(certify(ignored()), Verdict.FAIL)  # two models: every override shows
    single = certify(ignored(), models=("gpt-4o",))
    assert "RUN-004" not in verdicts(single, Verdict.FAIL)
    assert any("only one model is known (gpt-4o)" in reason for reason in result_of(single, "RUN-004").reasons)


def test_models_listed_by_the_target_are_used_when_none_is_given() -> None:
    def models(call: Call, answer: Answer) -> None:
        if call.method == "GET" and call.path == "/v1/models":
            answer.status, answer.headers = 200, {"content-type": "application/json"}
            answer.body = {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": 0,
                                                       "owned_by": "system"},
                                                      {"id": "gpt-4o-mini", "object": "model", "created": 0,
                                                       "owned_by": "system"}]}

    result = certify(Rewrite(Rewrite(reference(), on_response=model_override_ignored), on_response=models),
                     models=None)
    assert "RUN-004" in verdicts(result, Verdict.FAIL)  # learned two models: the ignored override shows


# --- claims --------------------------------------------------------------------------------

def test_unclaimed_features_are_never_sent_and_their_requirements_are_unsupported() -> None:
    sent: list[Any] = []

    def record(call: Call) -> None:
        if call.method == "POST":
            sent.append(call.body)

    unclaimed = frozenset({"streaming", "function", "file_search", "authentication", "image_url"})
    result = certify(rewrite(on_request=record)(), counts={**WITH_STREAMS, "accept": 10, "echo": 10},
                     claims=Claims(unclaimed=unclaimed, server_name="acme", server_version="1.2"))

    text = json.dumps(sent, default=repr)  # raw (not JSON) bodies as their repr
    assert '"stream": true' not in text and '"type": "function"' not in text and "file_search" not in text
    assert "image_url" not in text
    unsupported = verdicts(result, Verdict.UNSUPPORTED)
    streaming = {f"SSE-{n:03}" for n in range(1, 12)} | {"SDK-001", "REQ-006"}
    assert unsupported == streaming | {"RUN-008", "LIFE-004", "AUTH-001"}
    assert all("does not claim" in result_of(result, r).reasons[0] for r in unsupported)
    assert verdicts(result, Verdict.FAIL) == set() and result.exit_code() == 0
    assert {"REQ-001", "REQ-002", "RUN-004", "LIFE-001"} <= exercised(result)


def test_auth_claimed_without_a_key_is_not_exercised_with_the_reason() -> None:
    result = certify(reference(api_key=None), key=None, counts={"accept": 2})
    auth = result_of(result, "AUTH-001")
    assert auth.verdict is Verdict.NOT_EXERCISED and "no key was given" in auth.reasons[0]


def test_every_property_states_what_it_needs() -> None:
    streamed = {prop.name for prop in PROPERTIES if "streaming" in prop.needs}
    assert streamed == {"reject-stream", "accept-stream", "tool-round-trip-stream"}
    everything = Claims().available(get_profile("v2-current"))
    assert all(prop.runs_on(everything) for prop in PROPERTIES)
    assert not any(prop.runs_on(everything - {"streaming"}) for prop in PROPERTIES if prop.name in streamed)
