"""Every streaming variant of the reference server through the streamed scenario: each broken one
fails exactly its requirement, each conformant one passes (the reference server included).

Two examples per variant: a plain reply (text deltas) and a forced tool call (requires_action,
then the submit_tool_outputs continuation stream); timed variants are judged on the plain one
only, since each of their streams costs a deadline.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import JSONResponse

from broken.variants import CREATE, KEY, reference
from broken_streams.middleware import Stream
from broken_streams.variants import BROKEN, CONFORMANT, Variant, drop_done, streams
from conformance.core import catalogue
from conformance.core.errors import RateLimited
from conformance.core.findings import Severity
from conformance.core.recorder import Outcome, Recorder
from conformance.engine.client import RATE_LIMIT_RETRIES, ClientConfig, TargetClient
from conformance.engine.scenarios import Target
from conformance.engine.setup import Assistant, Setup, create_assistants
from conformance.engine.streamed import stream
from conformance.server.background import running_server
from conformance.streaming.captured import StreamLimits

LIMITS = StreamLimits(first_byte=3.0, idle=1.0, total=3.0, max_bytes=1_000_000, after_done=0.5)
USER_TEXT = "hello there my good friend"  # the fake model's reply comes in several deltas
RATE_LIMITED = {"error": {"message": "slow down", "type": "rate_limit", "param": None, "code": None}}


def suite_assistants(client: TargetClient) -> tuple[Assistant, ...]:
    setup = Setup()
    create_assistants(client, ("gpt-4o",), setup)
    return tuple(setup.assistants)


def plain(assistants: tuple[Assistant, ...]) -> dict[str, Any]:
    return {"assistant_id": assistants[1].id, "stream": True,
            "thread": {"messages": [{"role": "user", "content": USER_TEXT}]}}


def tool_call(assistants: tuple[Assistant, ...]) -> dict[str, Any]:
    return {"assistant_id": assistants[0].id, "stream": True, "tool_choice": "required",
            "thread": {"messages": [{"role": "user", "content": USER_TEXT}]}}


def check_variant(variant: Variant) -> list[Outcome]:
    with running_server(variant.build()) as base, TargetClient(ClientConfig(base_url=base, api_key=KEY)) as client:
        target = Target(client=client, assistants=suite_assistants(client), poll_timeout=10,
                        stream_limits=LIMITS)
        outcomes = []
        for example in (plain,) if variant.timed else (plain, tool_call):
            body = example(target.assistants)
            recorder = Recorder(body)
            stream(target, body, recorder)
            outcomes.append(recorder.outcome)
        return outcomes


def requirement_ids(outcomes: list[Outcome], severity: Severity) -> set[str]:
    return {record.finding.requirement_id for outcome in outcomes for record in outcome.failures
            if record.finding.severity is severity}


def exercised(outcome: Outcome) -> dict[str, int]:
    return {requirement.id: count for requirement, count in outcome.exercised.items()}


def messages(outcomes: list[Outcome]) -> list[str]:
    return [f"{r.finding.requirement_id}: {r.finding.message}" for o in outcomes for r in o.failures]


@pytest.mark.parametrize("variant", BROKEN + CONFORMANT, ids=lambda variant: variant.name)
def test_variant_fails_exactly_its_requirements(variant: Variant) -> None:
    outcomes = check_variant(variant)
    assert [error for outcome in outcomes for error in outcome.internal_errors] == []
    assert requirement_ids(outcomes, Severity.FAIL) == variant.fails, messages(outcomes)
    assert requirement_ids(outcomes, Severity.WARN) == variant.warns, messages(outcomes)
    judged = set().union(*(exercised(outcome) for outcome in outcomes))
    assert variant.fails | variant.warns <= judged
    if not variant.fails:  # a conformant stream is judged by every rule, the SDK and the REST view
        assert {f"SSE-{n:03}" for n in range(1, 12)} | {"SDK-001"} <= judged | variant.unjudged


def test_a_paused_run_is_continued_and_the_continuation_judged() -> None:
    [plain_outcome, tool_outcome] = check_variant(CONFORMANT[0])
    plain_counts, tool_counts = exercised(plain_outcome), exercised(tool_outcome)
    assert (plain_counts["SSE-005"], plain_counts.get("LIFE-004", 0)) == (1, 0)
    assert (tool_counts["SSE-005"], tool_counts["LIFE-004"]) == (2, 1)
    assert tool_counts["SDK-001"] == 2 and tool_outcome.failures == []


def test_every_streaming_requirement_has_a_variant() -> None:
    streaming = {r.id for r in catalogue.CATALOGUE if r.area in (catalogue.Area.STREAM, catalogue.Area.SDK)}
    failed = set().union(*(variant.fails for variant in BROKEN))
    warned = set().union(*(variant.warns for variant in BROKEN + CONFORMANT))
    assert failed & streaming == streaming - {"SSE-004"} and warned == {"SSE-004"}  # SSE-004 never fails


def test_evidence_never_holds_the_key() -> None:
    def leak_the_key(stream: Stream) -> None:
        drop_done(stream)  # a fault, so that the exchange is kept as evidence
        for event in stream.named("thread.created"):
            event.data["metadata"] = {"echo": f"Bearer {KEY}"}

    outcomes = check_variant(Variant("leaks-the-key", streams(leak_the_key), frozenset({"SSE-009"})))
    [record, *_] = [record for outcome in outcomes for record in outcome.failures]
    assert record.exchange is not None and record.exchange.events
    assert KEY not in repr(record.exchange) and "<redacted>" in record.exchange.events[0].data
    assert record.exchange.request_headers["authorization"] == "<redacted>"


def test_a_rate_limited_stream_is_retried_then_abandoned_not_judged() -> None:
    async def too_many(scope: Any, receive: Any, send: Any) -> None:
        await JSONResponse(RATE_LIMITED, status_code=429, headers={"Retry-After-Ms": "10"})(scope, receive, send)

    with running_server(too_many) as base, TargetClient(ClientConfig(base_url=base, api_key=KEY)) as client:
        target = Target(client=client, assistants=(), poll_timeout=1, stream_limits=LIMITS)
        recorder = Recorder({"assistant_id": "asst_1", "stream": True})
        with pytest.raises(RateLimited):
            stream(target, {"assistant_id": "asst_1", "stream": True}, recorder)
        assert recorder.outcome.failures == [] and not recorder.outcome.exercised
        assert client.budget.sent == 1 + RATE_LIMIT_RETRIES


def test_a_stream_answered_after_a_429_is_judged() -> None:
    server = reference()
    refused: list[str] = []

    async def refuse_the_first_create(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == CREATE and not refused:
            refused.append(scope["path"])
            await JSONResponse(RATE_LIMITED, status_code=429, headers={"Retry-After": "0"})(scope, receive, send)
        else:
            await server(scope, receive, send)

    with running_server(refuse_the_first_create) as base, TargetClient(ClientConfig(base_url=base, api_key=KEY)) as client:
        target = Target(client=client, assistants=suite_assistants(client), poll_timeout=10,
                        stream_limits=LIMITS)
        body = plain(target.assistants)
        recorder = Recorder(body)
        stream(target, body, recorder)
    assert refused and recorder.outcome.failures == [] and exercised(recorder.outcome)["SSE-005"] == 1
