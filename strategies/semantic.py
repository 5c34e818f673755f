"""Valid requests with a known outcome, for the oracles of run lifecycle and echo checks.

Each strategy takes the parameters of ``create_thread_and_run_requests`` and draws bodies
from it, fixing only what the outcome depends on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from hypothesis import strategies as st

from conformance.core.spec.profiles import DEFAULT_PROFILE, SpecProfile
from strategies.requests import MAX_TOOLS, MIN_MAX_TOKENS, function_tools, request_bodies, tool_lists
from strategies.space import (
    DEFAULT_ASSISTANT_IDS,
    DEFAULT_FILE_IDS,
    DEFAULT_VECTOR_STORE_IDS,
    RequestSpace,
    make_request_space,
)
from strategies.values import long_prompts

# Top-level properties that a run object echoes back (RunObject has each of them).
ECHOED_PROPERTIES = (
    "model", "instructions", "tools", "metadata", "temperature", "top_p", "max_prompt_tokens",
    "max_completion_tokens", "truncation_strategy", "tool_choice", "response_format", "parallel_tool_calls",
)
_ECHO_FEATURES = {
    "temperature": "temperature", "top_p": "top_p", "max_prompt_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens", "truncation_strategy": "truncation_strategy",
    "tool_choice": "tool_choice", "response_format": "response_format", "parallel_tool_calls": "parallel_tool_calls",
}
# A last user message of this many words makes a reply longer than max_completion_tokens 256
# (the reference server's fake model replies with about as many words, one token each).
INCOMPLETE_PROMPT_WORDS = 300


def requests_forcing_requires_action(
    *,
    assistant_ids: Sequence[str] = DEFAULT_ASSISTANT_IDS,
    models: Sequence[str] | None = None,
    file_ids: Sequence[str] = DEFAULT_FILE_IDS,
    vector_store_ids: Sequence[str] = DEFAULT_VECTOR_STORE_IDS,
    stream: bool | None = None,
    exclude: Collection[str] = frozenset(),
    profile: str | SpecProfile = DEFAULT_PROFILE,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies whose run must stop in ``requires_action``: ``tools`` has at least one
    function, and ``tool_choice`` names one of them
    (``{"type": "function", "function": {"name": ...}}``), which forces the model to call it.

    Parameters as for ``create_thread_and_run_requests``. Raises ``ValueError`` if the target
    lacks function tools or ``tool_choice``.
    """
    space = _request_space(
        ("function", "tool_choice"),
        assistant_ids=assistant_ids, models=models, file_ids=file_ids, vector_store_ids=vector_store_ids,
        stream=stream, exclude=exclude, profile=profile,
    )
    bodies = request_bodies(space, present=("tools",), tools=_tools_with_a_function)

    @st.composite
    def forcing(draw: st.DrawFn) -> dict[str, Any]:
        body = draw(bodies)
        names = [tool["function"]["name"] for tool in body["tools"] if tool["type"] == "function"]
        body["tool_choice"] = {"type": "function", "function": {"name": draw(st.sampled_from(names))}}
        return body

    return forcing()


def _tools_with_a_function(space: RequestSpace) -> st.SearchStrategy[list[dict[str, Any]]]:
    def ensure_function(tools: list[dict[str, Any]], function: dict[str, Any]) -> list[dict[str, Any]]:
        if any(tool["type"] == "function" for tool in tools):
            return tools
        return [*tools[: MAX_TOOLS - 1], function]  # no function yet, so no name clash

    return st.tuples(tool_lists(space), function_tools(space)).map(lambda t: ensure_function(*t))


def requests_ending_incomplete(
    *,
    assistant_ids: Sequence[str] = DEFAULT_ASSISTANT_IDS,
    models: Sequence[str] | None = None,
    file_ids: Sequence[str] = DEFAULT_FILE_IDS,
    vector_store_ids: Sequence[str] = DEFAULT_VECTOR_STORE_IDS,
    stream: bool | None = None,
    exclude: Collection[str] = frozenset(),
    profile: str | SpecProfile = DEFAULT_PROFILE,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies whose run must end ``incomplete`` (reason ``max_completion_tokens``):
    ``max_completion_tokens`` is 256 and the last thread message is a user message of at
    least 300 words (string content), so the reply cannot fit.

    So that nothing else decides the outcome, ``max_prompt_tokens`` is left out and
    ``tool_choice`` is ``"none"`` (no tool call, hence no ``requires_action``).

    Parameters as for ``create_thread_and_run_requests``. Raises ``ValueError`` if the target
    lacks the max_*_tokens properties, or runs that end incomplete (v1: such a run ends
    ``completed``, with ``incomplete_details``).
    """
    space = _request_space(
        ("max_tokens", "run_incomplete"),
        assistant_ids=assistant_ids, models=models, file_ids=file_ids, vector_store_ids=vector_store_ids,
        stream=stream, exclude=exclude, profile=profile,
    )
    bodies = request_bodies(space, present=("thread",))

    @st.composite
    def ending_incomplete(draw: st.DrawFn) -> dict[str, Any]:
        body = draw(bodies)
        prompt = {"role": "user", "content": draw(long_prompts(INCOMPLETE_PROMPT_WORDS))}
        body["thread"]["messages"] = [*body["thread"].get("messages", []), prompt]
        body["max_completion_tokens"] = MIN_MAX_TOKENS
        body.pop("max_prompt_tokens", None)
        if space.has("tool_choice"):
            body["tool_choice"] = "none"
        return body

    return ending_incomplete()


def requests_with_overrides(
    *,
    assistant_ids: Sequence[str] = DEFAULT_ASSISTANT_IDS,
    models: Sequence[str] | None = None,
    file_ids: Sequence[str] = DEFAULT_FILE_IDS,
    vector_store_ids: Sequence[str] = DEFAULT_VECTOR_STORE_IDS,
    stream: bool | None = None,
    exclude: Collection[str] = frozenset(),
    profile: str | SpecProfile = DEFAULT_PROFILE,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies in which every property the run object echoes (``ECHOED_PROPERTIES``:
    model, instructions, tools, metadata, temperature, top_p, max_*_tokens,
    truncation_strategy, tool_choice, response_format, parallel_tool_calls) is present and not
    null, so that echo checks compare a value with its echo. Properties the target lacks (by
    ``exclude`` or profile) are left out.

    Parameters as for ``create_thread_and_run_requests``.
    """
    space = _request_space(
        (),
        assistant_ids=assistant_ids, models=models, file_ids=file_ids, vector_store_ids=vector_store_ids,
        stream=stream, exclude=exclude, profile=profile,
    )
    present = [name for name in ECHOED_PROPERTIES if name not in _ECHO_FEATURES or space.has(_ECHO_FEATURES[name])]
    return request_bodies(space, present=present)


def _request_space(needs: tuple[str, ...], **parameters: Any) -> RequestSpace:
    space = make_request_space(**parameters)
    missing = [feature for feature in needs if not space.has(feature)]
    if missing:
        raise ValueError(f"these requests need features the target lacks: {missing}")
    return space
