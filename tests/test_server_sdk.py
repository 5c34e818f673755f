"""The official openai SDK drives the reference server; every response it gets is spec-checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import AssistantEventHandler
from openai.types.beta.threads import Text, TextDelta

from conformance.server import ServerConfig

# Every Assistants method of the SDK is marked deprecated (the API was sunset); the spec is our target.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
USER = {"messages": [{"role": "user", "content": "Tell me about streams"}]}


@pytest.fixture
def client(reference_server: str, spec_checked: Any) -> Iterator[openai.OpenAI]:
    yield openai.OpenAI(api_key="unused", base_url=reference_server, http_client=spec_checked.client, max_retries=0)
    assert spec_checked.bodies_checked + len(spec_checked.streams) > 0  # the SDK did use the checked client


@pytest.fixture
def assistant_id(client: openai.OpenAI) -> str:
    assistant = client.beta.assistants.create(model="gpt-4o", instructions="Be brief.", tools=[WEATHER])
    assert assistant.object == "assistant"
    return assistant.id


class Collector(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.text_deltas: list[str] = []
        self.events: list[str] = []
        self.done_texts: list[str] = []

    def on_event(self, event: Any) -> None:
        self.events.append(event.event)

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.text_deltas.append(delta.value or "")

    def on_text_done(self, text: Text) -> None:
        self.done_texts.append(text.value)


def final_text(client: openai.OpenAI, thread_id: str, run_id: str) -> str:
    [message] = client.beta.threads.messages.list(thread_id=thread_id, run_id=run_id).data
    assert message.role == "assistant" and message.run_id == run_id
    return message.content[0].text.value


def test_create_and_run_returns_a_queued_run(client: openai.OpenAI, assistant_id: str) -> None:
    run = client.beta.threads.create_and_run(assistant_id=assistant_id, thread=USER, metadata={"k": "v"})
    assert run.status == "queued" and run.assistant_id == assistant_id and run.metadata == {"k": "v"}
    assert client.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id).id == run.id
    assert client.beta.threads.retrieve(run.thread_id).id == run.thread_id


def test_create_and_run_poll_completes(client: openai.OpenAI, assistant_id: str) -> None:
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant_id, thread=USER)
    assert run.status == "completed" and run.usage is not None
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens
    assert final_text(client, run.thread_id, run.id) == "Echo: Tell me about streams"
    [step] = client.beta.threads.runs.steps.list(run.id, thread_id=run.thread_id).data
    assert step.type == "message_creation" and step.status == "completed"


def test_streamed_text_equals_the_final_message(client: openai.OpenAI, assistant_id: str) -> None:
    handler = Collector()
    with client.beta.threads.create_and_run_stream(assistant_id=assistant_id, thread=USER,
                                                   event_handler=handler) as stream:
        stream.until_done()
    run = handler.get_final_run()
    assert run.status == "completed"
    assert handler.events[:2] == ["thread.created", "thread.run.created"]
    assert len(handler.text_deltas) > 1
    streamed = "".join(handler.text_deltas)
    assert streamed == handler.done_texts[0] == final_text(client, run.thread_id, run.id)


def test_tool_call_round_trip(client: openai.OpenAI, assistant_id: str) -> None:
    first = Collector()
    with client.beta.threads.create_and_run_stream(
        assistant_id=assistant_id, thread=USER, event_handler=first,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ) as stream:
        stream.until_done()
    paused = first.get_final_run()
    assert paused.status == "requires_action"
    [call] = paused.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "get_weather"
    [step] = first.get_final_run_steps()  # the SDK accumulated the argument deltas
    assert step.step_details.tool_calls[0].function.arguments == call.function.arguments

    second = Collector()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=paused.thread_id, run_id=paused.id, event_handler=second,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny and warm"}],
    ) as stream:
        stream.until_done()
    assert second.get_final_run().status == "completed"
    assert "".join(second.text_deltas) == "Result: sunny and warm" == final_text(client, paused.thread_id, paused.id)


def test_cancel(client: openai.OpenAI, assistant_id: str) -> None:
    run = client.beta.threads.create_and_run(assistant_id=assistant_id, thread=USER, tool_choice="required")
    cancelling = client.beta.threads.runs.cancel(run.id, thread_id=run.thread_id)
    assert cancelling.status == "cancelling"
    done = client.beta.threads.runs.poll(run.id, thread_id=run.thread_id)
    assert done.status == "cancelled" and done.cancelled_at is not None


def test_errors_map_to_sdk_exceptions(client: openai.OpenAI, assistant_id: str) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        client.beta.threads.create_and_run(assistant_id="asst_unknown")
    assert not_found.value.param == "assistant_id"
    with pytest.raises(openai.BadRequestError) as direct:
        client.beta.threads.create_and_run(assistant_id=assistant_id, temperature=5)
    with pytest.raises(openai.BadRequestError) as extra:
        client.beta.threads.create_and_run(assistant_id=assistant_id, extra_body={"file_ids": []})
    for error, param in [(direct.value, "temperature"), (extra.value, "file_ids")]:
        assert set(error.body) == {"message", "type", "param", "code"}
        assert (error.type, error.param) == ("invalid_request_error", param)
    with pytest.raises(openai.NotFoundError) as unknown_route:
        client.get("/threads/runs/nothing/here", cast_to=object)
    with pytest.raises(openai.APIStatusError) as wrong_method:
        client.delete("/threads/runs", cast_to=object)
    assert wrong_method.value.status_code == 405
    for error in (unknown_route.value, wrong_method.value):
        assert set(error.body) == {"message", "type", "param", "code"}


def test_wrong_key_is_an_authentication_error(start_reference_server: Any) -> None:
    base_url = start_reference_server(ServerConfig(api_key="sk-right"))
    with pytest.raises(openai.AuthenticationError) as raised:
        openai.OpenAI(api_key="sk-wrong", base_url=base_url, max_retries=0).beta.assistants.create(model="m")
    assert raised.value.code == "invalid_api_key"
    assistant = openai.OpenAI(api_key="sk-right", base_url=base_url, max_retries=0).beta.assistants.create(model="m")
    assert assistant.model == "m"
