"""The reference server's run lifecycle, driven by a fake clock (no sleeping, no HTTP)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.server.config import ServerConfig
from conformance.server.errors import ApiError
from conformance.server.pagination import PageQuery
from conformance.server.store import Store
from conformance.core.spec import validator

START = 1_700_000_000.0
ASC = PageQuery(order="asc")
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Harness:
    """A store with a 1-second step delay and a clock the test moves."""

    def __init__(self, **config: Any) -> None:
        self.clock = FakeClock()
        self.store = Store(ServerConfig(**{"step_delay": 1.0, **config}), self.clock)
        self.assistant = self.store.create_assistant(
            {"model": "gpt-4o", "instructions": "Be brief.", "tools": [WEATHER]})

    def start(self, text: str = "hello there", **request: Any) -> dict[str, Any]:
        body = {"assistant_id": self.assistant["id"], "thread": {"messages": [{"role": "user", "content": text}]}}
        return checked("RunObject", self.store.create_thread_and_run({**body, **request}))

    def at(self, seconds: float, run: dict[str, Any]) -> dict[str, Any]:
        """The run as seen ``seconds`` after the start."""
        self.clock.now = START + seconds
        return checked("RunObject", self.store.get_run(run["thread_id"], run["id"]))

    def steps(self, run: dict[str, Any]) -> list[dict[str, Any]]:
        listed = checked("ListRunStepsResponse", self.store.list_steps(run["thread_id"], run["id"], ASC))
        return listed["data"]

    def messages(self, run: dict[str, Any]) -> list[dict[str, Any]]:
        return checked("ListMessagesResponse", self.store.list_messages(run["thread_id"], ASC, None))["data"]


def checked(schema_name: str, instance: dict[str, Any]) -> dict[str, Any]:
    errors = [str(e) for e in validator(schema_name).errors(instance)]
    assert errors == [], errors
    return instance


def test_queued_then_in_progress_then_completed() -> None:
    h = Harness()
    run = h.start("hello there friend")
    assert run["status"] == "queued" and run["started_at"] is None and run["usage"] is None
    assert run["expires_at"] == int(START) + 600 and h.steps(run) == []

    in_progress = h.at(1.0, run)
    assert in_progress["status"] == "in_progress" and in_progress["started_at"] == int(START) + 1
    assert in_progress["usage"] is None and in_progress["completed_at"] is None
    [step] = h.steps(run)
    assert step["status"] == "in_progress" and step["type"] == "message_creation"

    done = h.at(2.0, run)
    assert done["status"] == "completed" and done["completed_at"] == int(START) + 2
    assert done["usage"] == {"prompt_tokens": 2 + 3, "completion_tokens": 4, "total_tokens": 9}
    assert done["expires_at"] is None and done["required_action"] is None
    [step] = h.steps(run)
    assert step["status"] == "completed" and step["usage"] == done["usage"]
    user, reply = h.messages(run)
    assert (user["role"], user["run_id"], user["assistant_id"]) == ("user", None, None)
    assert reply["id"] == step["step_details"]["message_creation"]["message_id"]
    assert (reply["role"], reply["run_id"], reply["assistant_id"], reply["status"]) == (
        "assistant", run["id"], run["assistant_id"], "completed")
    assert reply["content"] == [{"type": "text", "text": {"value": "Echo: hello there friend", "annotations": []}}]
    # terminal: nothing changes any more
    assert h.at(1000.0, run) == done


def test_message_text_grows_while_in_progress() -> None:
    h = Harness(stream_chunk_words=1)
    run = h.start("one two three")
    h.at(1.5, run)
    [_, reply] = h.messages(run)
    assert reply["status"] == "in_progress"
    assert "Echo: one two three".startswith(reply["content"][0]["text"]["value"])


def test_overrides_and_defaults_are_echoed() -> None:
    h = Harness()
    h.assistant = h.store.create_assistant(
        {"model": "m-a", "temperature": 0.5, "response_format": {"type": "json_object"}})
    defaults = h.start()
    assert defaults["model"] == "m-a" and defaults["instructions"] == "" and defaults["tools"] == []
    assert (defaults["temperature"], defaults["top_p"]) == (0.5, 1.0)
    assert defaults["response_format"] == {"type": "json_object"} and defaults["metadata"] == {}
    assert defaults["truncation_strategy"] == {"type": "auto", "last_messages": None}
    assert (defaults["tool_choice"], defaults["parallel_tool_calls"]) == ("auto", True)
    assert (defaults["max_prompt_tokens"], defaults["max_completion_tokens"]) == (None, None)

    overrides = {
        "model": "m-b", "instructions": "Other.", "tools": [WEATHER], "metadata": {"k": "v"},
        "temperature": 0, "top_p": 0.3, "max_prompt_tokens": 500, "max_completion_tokens": 300,
        "truncation_strategy": {"type": "last_messages", "last_messages": 2}, "tool_choice": "none",
        "parallel_tool_calls": False, "response_format": "auto",
    }
    run = h.start(**overrides)
    assert {key: run[key] for key in overrides} == overrides
    nulls = h.start(model=None, instructions=None, tools=None, temperature=None, response_format=None)
    assert (nulls["model"], nulls["temperature"], nulls["response_format"]) == ("m-a", 0.5, {"type": "json_object"})


def test_thread_keeps_request_messages_metadata_and_tool_resources() -> None:
    h = Harness()
    thread = {
        "metadata": {"topic": "t"},
        "tool_resources": {"code_interpreter": {}, "file_search": {"vector_stores": [{"file_ids": ["file_1"]}]}},
        "messages": [
            {"role": "user", "content": "plain", "metadata": {"m": "1"}},
            {"role": "assistant", "content": [{"type": "text", "text": "part"},
                                              {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
        ],
    }
    run = h.store.create_thread_and_run({"assistant_id": h.assistant["id"], "thread": thread})
    stored = checked("ThreadObject", h.store.get_thread(run["thread_id"]))
    assert stored["metadata"] == {"topic": "t"}
    assert stored["tool_resources"]["code_interpreter"] == {"file_ids": []}
    [store_id] = stored["tool_resources"]["file_search"]["vector_store_ids"]
    assert store_id.startswith("vs_")
    first, second = h.messages(run)
    assert first["content"] == [{"type": "text", "text": {"value": "plain", "annotations": []}}]
    assert first["metadata"] == {"m": "1"} and first["status"] == "completed"
    assert second["role"] == "assistant" and [p["type"] for p in second["content"]] == ["text", "image_url"]


def test_max_completion_tokens_ends_incomplete() -> None:
    h = Harness()
    run = h.start(" ".join(["word"] * 300), max_completion_tokens=256)
    done = h.at(2.0, run)
    assert done["status"] == "incomplete" and done["incomplete_details"] == {"reason": "max_completion_tokens"}
    assert done["usage"]["completion_tokens"] == 256 and done["completed_at"] is None
    reply = h.messages(run)[-1]
    assert reply["status"] == "incomplete" and reply["incomplete_details"] == {"reason": "max_tokens"}
    assert len(reply["content"][0]["text"]["value"].split()) == 256
    assert [s["status"] for s in h.steps(run)] == ["completed"]


def test_max_prompt_tokens_ends_incomplete_without_a_reply() -> None:
    h = Harness()
    run = h.start(" ".join(["word"] * 300), max_prompt_tokens=256)
    assert h.at(1.0, run)["status"] == "in_progress"
    done = h.at(2.0, run)
    assert done["status"] == "incomplete" and done["incomplete_details"] == {"reason": "max_prompt_tokens"}
    assert done["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    assert h.steps(run) == [] and len(h.messages(run)) == 1


def named(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def test_tool_call_round_trip() -> None:
    h = Harness()
    run = h.start("weather in Paris", tool_choice=named("get_weather"))
    waiting = h.at(2.0, run)
    assert waiting["status"] == "requires_action" and waiting["usage"] is None
    [call] = waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"input": "weather in Paris"}
    [step] = h.steps(run)
    assert step["type"] == "tool_calls" and step["status"] == "in_progress"
    assert step["step_details"]["tool_calls"][0]["function"]["arguments"] == call["function"]["arguments"]

    h.clock.now = START + 3
    resumed = checked("RunObject", h.store.submit_tool_outputs(
        run["thread_id"], run["id"], [{"tool_call_id": call["id"], "output": "sunny"}])[0])
    assert resumed["status"] == "queued" and resumed["required_action"] is None
    [step] = h.steps(run)
    assert step["status"] == "completed" and step["step_details"]["tool_calls"][0]["function"]["output"] == "sunny"

    assert h.at(4.0, run)["status"] == "in_progress"
    done = h.at(5.0, run)
    assert done["status"] == "completed"
    tool_step, message_step = h.steps(run)
    assert message_step["type"] == "message_creation"
    assert done["usage"]["total_tokens"] == tool_step["usage"]["total_tokens"] + message_step["usage"]["total_tokens"]
    assert h.messages(run)[-1]["content"][0]["text"]["value"] == "Result: sunny"


@pytest.mark.parametrize("outputs", [
    [],  # none for the pending call
    [{"tool_call_id": "call_unknown", "output": "x"}],
    [{"output": "no id"}],
])
def test_submit_needs_an_output_for_exactly_the_pending_calls(outputs: list[dict[str, str]]) -> None:
    h = Harness()
    run = h.start("x", tool_choice=named("get_weather"))
    h.at(2.0, run)
    with pytest.raises(ApiError) as raised:
        h.store.submit_tool_outputs(run["thread_id"], run["id"], outputs)
    assert raised.value.status == 400
    assert h.at(2.5, run)["status"] == "requires_action"


def test_submit_outside_requires_action_is_rejected() -> None:
    h = Harness()
    run = h.start()
    with pytest.raises(ApiError) as raised:
        h.store.submit_tool_outputs(run["thread_id"], run["id"], [])
    assert raised.value.status == 400


def test_cancel_goes_through_cancelling_to_cancelled() -> None:
    h = Harness()
    run = h.start("a b c d e f")
    h.at(1.5, run)  # the reply is being written
    cancelling = checked("RunObject", h.store.cancel_run(run["thread_id"], run["id"]))
    assert cancelling["status"] == "cancelling" and cancelling["cancelled_at"] is None
    cancelled = h.at(2.5, run)
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] == int(START) + 2
    assert cancelled["completed_at"] is None and cancelled["usage"] is None
    assert [s["status"] for s in h.steps(run)] == ["cancelled"]
    reply = h.messages(run)[-1]
    assert reply["status"] == "incomplete" and reply["incomplete_details"] == {"reason": "run_cancelled"}
    with pytest.raises(ApiError) as raised:
        h.store.cancel_run(run["thread_id"], run["id"])
    assert raised.value.status == 400


def test_requires_action_expires_at_expires_at() -> None:
    h = Harness(expires_after=60)
    run = h.start("x", tool_choice=named("get_weather"))
    assert h.at(59.0, run)["status"] == "requires_action"
    expired = h.at(60.0, run)
    assert expired["status"] == "expired" and expired["required_action"] is None
    assert expired["expires_at"] == int(START) + 60
    [step] = h.steps(run)
    assert step["status"] == "expired" and step["expired_at"] == int(START) + 60


def test_unknown_ids_are_404() -> None:
    h = Harness()
    run = h.start()
    lookups = [
        lambda: h.store.get_assistant("asst_nope"),
        lambda: h.store.create_thread_and_run({"assistant_id": "asst_nope"}),
        lambda: h.store.get_thread("thread_nope"),
        lambda: h.store.get_run(run["thread_id"], "run_nope"),
        lambda: h.store.get_step(run["thread_id"], run["id"], "step_nope"),
        lambda: h.store.get_message(run["thread_id"], "msg_nope"),
    ]
    for lookup in lookups:
        with pytest.raises(ApiError) as raised:
            lookup()
        assert raised.value.status == 404


def test_pagination() -> None:
    h = Harness()
    messages = [{"role": "user", "content": str(i)} for i in range(5)]
    run = h.store.create_thread_and_run({"assistant_id": h.assistant["id"], "thread": {"messages": messages}})
    ids = [m["id"] for m in h.messages(run)]
    page = h.store.list_messages(run["thread_id"], PageQuery(limit=2, order="asc"), None)
    assert [m["id"] for m in page["data"]] == ids[:2] and page["has_more"] is True
    assert (page["first_id"], page["last_id"]) == (ids[0], ids[1])
    rest = h.store.list_messages(run["thread_id"], PageQuery(limit=10, order="asc", after=ids[1]), None)
    assert [m["id"] for m in rest["data"]] == ids[2:] and rest["has_more"] is False
    newest = h.store.list_messages(run["thread_id"], PageQuery(limit=2, before=ids[2]), None)
    assert [m["id"] for m in newest["data"]] == ids[:2:-1][:2]
    empty = checked("ListMessagesResponse", h.store.list_messages(run["thread_id"], ASC, "run_other"))
    assert (empty["data"], empty["has_more"]) == ([], False)
