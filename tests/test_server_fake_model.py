"""The fake model's contract (conformance/server/fake_model.py), which the suite's tests rely on."""

from __future__ import annotations

import json

from conformance.server.fake_model import GREETING, ModelInput, run_model

WEATHER = {"type": "function", "function": {"name": "get_weather"}}
TIME = {"type": "function", "function": {"name": "get_time"}}


def model_input(text: str | None = "hello there", **overrides: object) -> ModelInput:
    fields: dict[str, object] = {
        "instructions": "Be brief.",
        "messages": [] if text is None else [("user", text)],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    fields.update(overrides)
    return ModelInput(**fields)  # type: ignore[arg-type]


def test_reply_echoes_the_last_user_message_and_counts_words() -> None:
    messages = [("user", "first  question"), ("assistant", "an answer"), ("user", "second\tquestion here")]
    output = run_model(model_input(messages=messages))
    assert output.text == "Echo: second question here"
    assert output.prompt_tokens == 2 + 2 + 2 + 3  # instructions + every message
    assert output.completion_tokens == 4
    assert output.incomplete_reason is None and output.tool_calls == ()


def test_no_user_message_gets_the_greeting() -> None:
    output = run_model(model_input(None, instructions=""))
    assert output.text == GREETING and output.prompt_tokens == 0


def test_completion_budget_cuts_the_reply() -> None:
    output = run_model(model_input(" ".join(["word"] * 300), completion_budget=256))
    assert output.incomplete_reason == "max_completion_tokens"
    assert output.completion_tokens == 256 and len(output.text.split()) == 256
    assert output.text.startswith("Echo: word")


def test_prompt_budget_stops_the_pass() -> None:
    output = run_model(model_input(" ".join(["word"] * 300), prompt_budget=256))
    assert (output.incomplete_reason, output.text, output.prompt_tokens, output.completion_tokens) == (
        "max_prompt_tokens", None, 0, 0)


def test_named_function_is_called_with_json_object_arguments() -> None:
    choice = {"type": "function", "function": {"name": "get_time"}}
    output = run_model(model_input("what time is it", tools=[WEATHER, TIME], tool_choice=choice))
    assert [call.name for call in output.tool_calls] == ["get_time"]
    assert json.loads(output.tool_calls[0].arguments) == {"input": "what time is it"}
    assert output.text is None
    assert output.completion_tokens == len(output.tool_calls[0].arguments.split())


def test_choices_that_call_no_function() -> None:
    absent = {"type": "function", "function": {"name": "not_a_tool"}}
    for choice, tools in [("none", [WEATHER]), ({"type": "file_search"}, [WEATHER]), (absent, [WEATHER]),
                          ("required", [{"type": "code_interpreter"}]), ("auto", [TIME])]:
        output = run_model(model_input("get_weather please", tools=tools, tool_choice=choice))
        assert output.tool_calls == () and output.text == "Echo: get_weather please", choice


def test_required_calls_the_first_function() -> None:
    output = run_model(model_input("anything", tools=[{"type": "file_search"}, TIME, WEATHER], tool_choice="required"))
    assert [call.name for call in output.tool_calls] == ["get_time"]


def test_auto_calls_functions_named_in_the_last_user_message() -> None:
    text = "call get_weather, then get_time."
    both = run_model(model_input(text, tools=[WEATHER, TIME]))
    assert [call.name for call in both.tool_calls] == ["get_weather", "get_time"]
    one = run_model(model_input(text, tools=[WEATHER, TIME], parallel_tool_calls=False))
    assert [call.name for call in one.tool_calls] == ["get_weather"]


def test_after_tool_outputs_the_model_replies_with_them() -> None:
    output = run_model(model_input("get_weather", tools=[WEATHER], tool_outputs=["sunny, 21 C", "windy"]))
    assert output.tool_calls == ()
    assert output.text == "Result: sunny, 21 C windy"
    assert output.prompt_tokens == 2 + 1 + 4  # instructions + message + outputs
