"""The fake model: deterministic output derived from the input, no LLM.

The contract below is relied on by the suite's own tests (which know what a run of the
reference server must produce); change it only together with them.

Tokens
    A token is a whitespace-separated word (``str.split``). A message's words are the words of
    its text parts; image parts count nothing.

Prompt
    A model pass reads ``prompt_tokens`` = words of the run's effective instructions + words of
    every message of the thread when the pass starts + (second pass only) words of the
    submitted tool outputs.

Tool calls (first pass only)
    - tool_choice ``{"type": "function", "function": {"name": N}}`` where N is one of the run's
      function tools: one call of N;
    - ``"required"`` with at least one function tool: one call of the first function tool;
    - ``"auto"``: a call of every function tool whose name occurs as a word (``[A-Za-z0-9_-]+``)
      of the last user message's text, in tools order; only the first one when
      parallel_tool_calls is false;
    - ``"none"``, a named code_interpreter/file_search tool, a named function that is not among
      the tools, ``"required"`` without function tools: no call, a text reply.
    A call's arguments are the JSON object string ``{"input": "<first 8 words of the last user
    message>"}`` and cost completion tokens = the words of that string (at most 9 per call).

Reply
    ``"Echo: "`` + the last user message's words joined by single spaces (its token count is
    that message's words + 1), or ``"Hello! How can I help you today?"`` when the thread has no
    user message. After tool outputs were submitted the model never calls a tool again: the
    reply is ``"Result: "`` + the outputs' words.

Limits (max_prompt_tokens and max_completion_tokens cap the whole run, all passes together)
    - prompt tokens already used + this pass's prompt tokens > max_prompt_tokens: the pass does
      not run and costs nothing; the run ends ``incomplete``, reason ``max_prompt_tokens``;
    - completion tokens already used + reply tokens > max_completion_tokens: the reply is cut
      to the remaining budget (its first words); the message ends ``incomplete`` (reason
      ``max_tokens``) and the run ``incomplete``, reason ``max_completion_tokens``.
    So a user message of 300+ words with max_completion_tokens 256 ends the run incomplete.

Usage
    A run's usage is the sum of its passes' usage (total = prompt + completion).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GREETING = "Hello! How can I help you today?"
ECHO_PREFIX = "Echo:"
RESULT_PREFIX = "Result:"
ARGUMENT_WORDS = 8
_NAME_WORD = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ModelInput:
    instructions: str
    messages: Sequence[tuple[str, str]]  # (role, text), oldest first
    tools: Sequence[dict[str, Any]]
    tool_choice: str | dict[str, Any]
    parallel_tool_calls: bool
    tool_outputs: Sequence[str] | None = None  # set on the pass after submit_tool_outputs
    prompt_budget: int | None = None  # tokens the run may still read; None: unlimited
    completion_budget: int | None = None  # tokens the run may still write; None: unlimited


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str


@dataclass(frozen=True)
class ModelOutput:
    prompt_tokens: int
    completion_tokens: int
    tool_calls: tuple[ToolCall, ...] = ()
    text: str | None = None
    incomplete_reason: str | None = None  # "max_prompt_tokens" | "max_completion_tokens"


def count_tokens(text: str) -> int:
    return len(text.split())


def run_model(given: ModelInput) -> ModelOutput:
    prompt_tokens = count_tokens(given.instructions) + sum(count_tokens(text) for _, text in given.messages)
    if given.tool_outputs is not None:
        prompt_tokens += sum(count_tokens(output) for output in given.tool_outputs)
    if given.prompt_budget is not None and prompt_tokens > given.prompt_budget:
        return ModelOutput(0, 0, incomplete_reason="max_prompt_tokens")

    last_user_words = _last_user_words(given.messages)
    if given.tool_outputs is None:
        calls = _tool_calls(given, last_user_words)
        if calls:
            spent = sum(count_tokens(call.arguments) for call in calls)
            return ModelOutput(prompt_tokens, spent, tool_calls=calls)

    if given.tool_outputs is not None:
        words = [RESULT_PREFIX, *(word for output in given.tool_outputs for word in output.split())]
    elif last_user_words is None:
        words = GREETING.split()
    else:
        words = [ECHO_PREFIX, *last_user_words]
    budget = given.completion_budget
    if budget is not None and len(words) > budget:
        return ModelOutput(prompt_tokens, budget, text=" ".join(words[:budget]),
                           incomplete_reason="max_completion_tokens")
    return ModelOutput(prompt_tokens, len(words), text=" ".join(words))


def _last_user_words(messages: Sequence[tuple[str, str]]) -> list[str] | None:
    for role, text in reversed(messages):
        if role == "user":
            return text.split()
    return None


def _tool_calls(given: ModelInput, last_user_words: list[str] | None) -> tuple[ToolCall, ...]:
    functions = [
        tool["function"]["name"] for tool in given.tools
        if tool.get("type") == "function" and isinstance(tool.get("function"), dict)
    ]
    choice = given.tool_choice
    if isinstance(choice, dict):
        named = choice.get("function", {}).get("name") if choice.get("type") == "function" else None
        chosen = [named] if named in functions else []
    elif choice == "required":
        chosen = functions[:1]
    elif choice == "auto":
        mentioned = set(_NAME_WORD.findall(" ".join(last_user_words or [])))
        chosen = [name for name in functions if name in mentioned]
        if not given.parallel_tool_calls:
            chosen = chosen[:1]
    else:  # "none"
        chosen = []
    arguments = json.dumps({"input": " ".join((last_user_words or [])[:ARGUMENT_WORDS])})
    return tuple(ToolCall(name, arguments) for name in chosen)
