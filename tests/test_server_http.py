"""The reference server over real HTTP: streams, errors, auth; every response checked against the spec."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from conformance.server import ServerConfig, create_app
from conformance.server.background import running_server

WEATHER = {"type": "function", "function": {"name": "get_weather"}}
BETA = {"OpenAI-Beta": "assistants=v2"}
TERMINAL_OR_PAUSED = {"thread.run.completed", "thread.run.incomplete", "thread.run.requires_action"}


@pytest.fixture
def api(reference_server: str, spec_checked: Any) -> httpx.Client:
    spec_checked.client.base_url = reference_server
    spec_checked.client.headers.update(BETA)
    return spec_checked.client


@pytest.fixture
def assistant_id(api: httpx.Client) -> str:
    response = api.post("/assistants", json={"model": "gpt-4o", "instructions": "Be brief.", "tools": [WEATHER]})
    assert response.status_code == 200
    return response.json()["id"]


def stream(api: httpx.Client, path: str, body: dict[str, Any], traffic: Any) -> list[tuple[str, Any]]:
    response = api.post(path, json={**body, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content.endswith(b"\n\nevent: done\ndata: [DONE]\n\n")
    return traffic.streams[-1]


def names(events: list[tuple[str, Any]]) -> list[str]:
    return [event for event, _ in events]


def test_streamed_run_has_the_full_event_sequence(api: httpx.Client, assistant_id: str, spec_checked: Any) -> None:
    message = {"role": "user", "content": "one two three four five"}
    body = {"assistant_id": assistant_id, "thread": {"messages": [message]}}
    events = stream(api, "/threads/runs", body, spec_checked)
    deltas = [data for event, data in events if event == "thread.message.delta"]
    assert len(deltas) >= 3
    expected = [
        "thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress", "thread.message.created",
        "thread.message.in_progress", *["thread.message.delta"] * len(deltas), "thread.message.completed",
        "thread.run.step.completed", "thread.run.completed", "done",
    ]
    assert names(events) == expected
    thread, run = events[0][1], events[1][1]
    assert run["status"] == "queued" and run["thread_id"] == thread["id"]
    runs = [data for event, data in events if event.startswith("thread.run.") and data["object"] == "thread.run"]
    assert {r["id"] for r in runs} == {run["id"]}
    assert [r["status"] for r in runs] == ["queued", "queued", "in_progress", "completed"]
    completed_message = dict(events)["thread.message.completed"]
    streamed_text = "".join(d["delta"]["content"][0]["text"]["value"] for d in deltas)
    assert streamed_text == completed_message["content"][0]["text"]["value"] == "Echo: one two three four five"

    # the REST view agrees with the stream
    final = api.get(f"/threads/{thread['id']}/runs/{run['id']}").json()
    assert final == runs[-1]
    messages = api.get(f"/threads/{thread['id']}/messages", params={"run_id": run["id"]}).json()["data"]
    assert messages == [completed_message]
    steps = api.get(f"/threads/{thread['id']}/runs/{run['id']}/steps").json()["data"]
    assert steps == [dict(events)["thread.run.step.completed"]]


def test_tool_call_stream_pauses_then_submit_stream_finishes(api: httpx.Client, assistant_id: str,
                                                             spec_checked: Any) -> None:
    body = {"assistant_id": assistant_id, "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "thread": {"messages": [{"role": "user", "content": "weather in Paris today"}]}}
    first = stream(api, "/threads/runs", body, spec_checked)
    assert names(first)[-2:] == ["thread.run.requires_action", "done"]
    run = first[-2][1]
    [call] = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    fragments = [d["delta"]["step_details"]["tool_calls"][0] for e, d in first if e == "thread.run.step.delta"]
    assert fragments[0]["id"] == call["id"] and fragments[0]["function"]["name"] == "get_weather"
    assert all(f["index"] == 0 and f["type"] == "function" for f in fragments)
    assert "".join(f["function"]["arguments"] for f in fragments) == call["function"]["arguments"]
    run_url = f"/threads/{run['thread_id']}/runs/{run['id']}"
    assert api.get(run_url).json()["status"] == "requires_action"

    outputs = {"tool_outputs": [{"tool_call_id": call["id"], "output": "sunny"}]}
    second = stream(api, run_url + "/submit_tool_outputs", outputs, spec_checked)
    assert names(second)[:3] == ["thread.run.step.completed", "thread.run.queued", "thread.run.in_progress"]
    assert second[0][1]["step_details"]["tool_calls"][0]["function"]["output"] == "sunny"
    assert names(second)[-2:] == ["thread.run.completed", "done"]
    assert "thread.created" not in names(second) and "thread.run.created" not in names(second)
    assert dict(second)["thread.message.completed"]["content"][0]["text"]["value"] == "Result: sunny"
    assert api.get(run_url).json()["status"] == "completed"


def test_parallel_tool_calls_stream_by_index(api: httpx.Client, assistant_id: str, spec_checked: Any) -> None:
    time_tool = {"type": "function", "function": {"name": "get_time"}}
    body = {"assistant_id": assistant_id, "tools": [WEATHER, time_tool],
            "thread": {"messages": [{"role": "user", "content": "get_time and get_weather, please"}]}}
    events = stream(api, "/threads/runs", body, spec_checked)
    run = events[-2][1]
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert [call["function"]["name"] for call in calls] == ["get_weather", "get_time"]
    fragments = [f for e, d in events if e == "thread.run.step.delta" for f in d["delta"]["step_details"]["tool_calls"]]
    for index, call in enumerate(calls):
        mine = [f for f in fragments if f["index"] == index]
        assert mine[0]["id"] == call["id"]
        assert "".join(f["function"]["arguments"] for f in mine) == call["function"]["arguments"]
    [step] = api.get(f"/threads/{run['thread_id']}/runs/{run['id']}/steps").json()["data"]
    assert step["status"] == "in_progress"
    assert [c["id"] for c in step["step_details"]["tool_calls"]] == [call["id"] for call in calls]
    partial = api.post(f"/threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs",
                       json={"tool_outputs": [{"tool_call_id": calls[0]["id"], "output": "x"}]})
    assert partial.status_code == 400 and partial.json()["error"]["param"] == "tool_outputs"


def test_incomplete_run_streams_message_incomplete(api: httpx.Client, assistant_id: str, spec_checked: Any) -> None:
    body = {"assistant_id": assistant_id, "max_completion_tokens": 256,
            "thread": {"messages": [{"role": "user", "content": " ".join(["word"] * 300)}]}}
    events = stream(api, "/threads/runs", body, spec_checked)
    assert names(events)[-4:] == ["thread.message.incomplete", "thread.run.step.completed",
                                  "thread.run.incomplete", "done"]
    assert events[-2][1]["incomplete_details"] == {"reason": "max_completion_tokens"}


def test_every_stream_ends_once(api: httpx.Client, assistant_id: str, spec_checked: Any) -> None:
    for text in ["hi", "get_weather now", ""]:
        events = stream(api, "/threads/runs", {"assistant_id": assistant_id, "thread": {
            "messages": [{"role": "user", "content": text}]}}, spec_checked)
        counts = Counter(names(events))
        assert sum(counts[name] for name in TERMINAL_OR_PAUSED) == 1 and counts["done"] == 1


def test_non_stream_run_is_queued_then_completes(api: httpx.Client, assistant_id: str) -> None:
    response = api.post("/threads/runs", json={"assistant_id": assistant_id})
    assert response.headers["content-type"].startswith("application/json")
    run = response.json()
    assert run["status"] == "queued"
    assert int(response.headers["openai-poll-after-ms"]) >= 1
    run_url = f"/threads/{run['thread_id']}/runs/{run['id']}"
    for _ in range(200):  # bounded: the default step delay is 20 ms
        polled = api.get(run_url).json()
        if polled["status"] == "completed":
            break
    assert polled["status"] == "completed"
    assert api.get(f"/threads/{run['thread_id']}/runs").json()["data"] == [polled]


def test_cancel(api: httpx.Client, assistant_id: str) -> None:
    run = api.post("/threads/runs", json={"assistant_id": assistant_id, "tool_choice": "required"}).json()
    run_url = f"/threads/{run['thread_id']}/runs/{run['id']}"
    cancelled = api.post(run_url + "/cancel").json()
    assert cancelled["status"] == "cancelling"
    for _ in range(200):
        if api.get(run_url).json()["status"] == "cancelled":
            break
    assert api.get(run_url).json()["status"] == "cancelled"
    again = api.post(run_url + "/cancel")
    assert again.status_code == 400 and again.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"temperature": 5}, "temperature", "integer_above_max_value"),
    ({"top_p": "0.5"}, "top_p", "invalid_type"),
    ({"file_ids": []}, "file_ids", "unknown_parameter"),
    ({"thread": {"messages": [{"role": "system", "content": "x"}]}}, "thread.messages[0].role", "invalid_value"),
    ({"max_completion_tokens": 255}, "max_completion_tokens", "integer_below_min_value"),
    ({"tools": [WEATHER] * 21}, "tools", "array_above_max_length"),
    ({"metadata": {"k": "v" * 513}}, "metadata.k", "invalid_value"),
    ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools[0].function.name", "invalid_value"),
])
@pytest.mark.parametrize("streaming", [False, True])
def test_invalid_bodies_get_400_before_any_event(api: httpx.Client, assistant_id: str, body: dict[str, Any],
                                                 param: str, code: str, streaming: bool) -> None:
    response = api.post("/threads/runs", json={"assistant_id": assistant_id, "stream": streaming, **body})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b'"x"', b"3", b'{"temperature": NaN}', b"\xff"])
def test_bodies_that_are_not_a_json_object_get_400(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/threads/runs", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_missing_assistant_id_and_unknown_assistant(api: httpx.Client) -> None:
    missing = api.post("/threads/runs", json={}).json()["error"]
    assert (missing["param"], missing["code"]) == ("assistant_id", "missing_required_parameter")
    unknown = api.post("/threads/runs", json={"assistant_id": "asst_unknown", "stream": True})
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "assistant_id"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/nothing/here", 404),
    ("POST", "/threads/runs/", 404),  # no redirect for a trailing slash
    ("GET", "/threads/thread_unknown", 404),
    ("GET", "/threads/thread_unknown/runs/run_unknown/steps", 404),
    ("DELETE", "/threads/runs", 405),
    ("PUT", "/assistants", 405),
])
def test_routing_failures_use_the_envelope(api: httpx.Client, method: str, path: str, status: int) -> None:
    response = api.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_list_queries_are_validated(api: httpx.Client, assistant_id: str) -> None:
    run = api.post("/threads/runs", json={"assistant_id": assistant_id}).json()
    for params, param in [({"limit": "x"}, "limit"), ({"limit": "0"}, "limit"), ({"order": "up"}, "order"),
                          ({"after": "msg_unknown"}, "after")]:
        response = api.get(f"/threads/{run['thread_id']}/messages", params=params)
        assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_unexpected_exceptions_use_the_envelope() -> None:
    async def broken(request: Any) -> None:
        raise RuntimeError("boom")

    app = create_app()
    app.router.routes.append(Route("/v1/broken", broken))
    with running_server(app) as base_url:
        response = httpx.get(base_url + "/broken")
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error" and "boom" not in response.text


def test_api_key_is_required_when_configured(start_reference_server: Any) -> None:
    key = "sk-test-secret-key"
    base_url = start_reference_server(ServerConfig(api_key=key))
    for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {key}"}]:
        response = httpx.post(base_url + "/assistants", json={"model": "m"}, headers=headers)
        assert response.status_code == 401, headers
        error = response.json()["error"]
        assert error["code"] == "invalid_api_key" and key not in response.text
    ok = httpx.post(base_url + "/assistants", json={"model": "m"}, headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    assert key not in repr(ServerConfig(api_key=key))
