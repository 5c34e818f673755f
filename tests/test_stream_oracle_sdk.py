"""The SDK rule: captured streams replayed through the official openai SDK (raw stream and event handler)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from broken_streams.middleware import SSE, encode, parse
from conformance.server import create_app
from conformance.server.background import running_server
from conformance.engine.stream_capture import capture_stream
from conformance.engine.transport import bounded_client
from conformance.streaming.captured import StreamLimits
from conformance.streaming.rules import judge, sdk_consumes
from conformance.streaming.sdk_replay import replay

SPEC_ERROR = {"type": "server_error", "message": "overloaded", "param": None, "code": None}


@pytest.fixture(scope="module")
def reference_stream() -> Iterator[bytes]:
    with running_server(create_app()) as base, httpx.Client(base_url=base + "/", timeout=10) as client:
        assistant = client.post("assistants", json={"model": "gpt-4o"}).json()
        body = {"assistant_id": assistant["id"], "stream": True,
                "thread": {"messages": [{"role": "user", "content": "hello there my good friend"}]}}
        yield client.post("threads/runs", json=body).content


def with_event(body: bytes, event: SSE, at: int = 3) -> bytes:
    events = parse(body)
    return encode(events[:at] + [event] + events[at:])


def test_the_reference_stream_replays_cleanly_and_without_warnings(reference_stream: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the deprecated SDK helpers are not called
        assert replay(reference_stream) is None


def test_an_error_key_in_event_data_makes_the_sdk_raise(reference_stream: bytes) -> None:
    spec_shaped = with_event(reference_stream, SSE("error", SPEC_ERROR))
    assert replay(spec_shaped) is None  # the spec's shape is yielded as an event
    failure = replay(with_event(reference_stream, SSE("error", {**SPEC_ERROR, "error": SPEC_ERROR})))
    assert failure is not None and failure.consumer == "openai.Stream" and failure.events == 3
    assert type(failure.error).__name__ == "APIError"


def test_only_the_event_handler_fails_on_data_that_is_not_an_object(reference_stream: bytes) -> None:
    failure = replay(with_event(reference_stream, SSE("vendor.ping", json.dumps("just text"))))
    assert failure is not None and failure.consumer == "AssistantEventHandler"
    assert failure.events == 3 and isinstance(failure.error, AttributeError)
    assert replay(with_event(reference_stream, SSE("thread.vendor.ping", {"n": 1}))) is None  # objects are fine


def test_a_message_delta_without_a_created_message_breaks_the_handler(reference_stream: bytes) -> None:
    events = [e for e in parse(reference_stream) if e.event not in ("thread.message.created", "thread.message.in_progress")]
    failure = replay(encode(events))
    assert failure is not None and failure.consumer == "AssistantEventHandler"
    assert "no previous snapshot" in str(failure.error)


def test_the_finding_points_at_the_event_the_sdk_raised_on(reference_stream: bytes) -> None:
    broken = with_event(reference_stream, SSE("error", {**SPEC_ERROR, "error": SPEC_ERROR}))

    async def answer(request: Request) -> Response:
        return Response(broken, media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/threads/runs", answer, methods=["POST"])])
    with running_server(app) as base, bounded_client() as client:
        captured = capture_stream(client, client.build_request("POST", f"{base}/threads/runs"),
                                  StreamLimits(total=5))
    [finding] = sdk_consumes(judge(captured))
    assert finding.requirement_id == "SDK-001" and finding.event_index == 3
    assert captured.events[3].event == "error" and "APIError: overloaded" in finding.message
