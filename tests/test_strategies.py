"""Valid-request strategies: every body is valid, every part of the schema is drawn, boundaries
often, spec gaps never; parameters, profiles and the semantic variants do what they say."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from test_strategies_schema import (
    children,
    closure,
    resolve,
    schema_inventory,
    template_of,
    valid_at,
    values_with_locations,
)

import strategies
from spec_models import CreateThreadAndRunRequest
from conformance.server.fake_model import ModelInput, run_model
from conformance.core.spec import validator
from conformance.core.spec.description_rules import description_rule_violations
from strategies import SpecProfile, create_thread_and_run_requests

SAMPLE_SIZE = 2000
ENOUGH = 3  # each property, branch, enum value and boundary appears at least this often


def draw(strategy: st.SearchStrategy[Any], count: int, *, derandomize: bool = True) -> list[Any]:
    """``count`` examples, as Hypothesis generates them for a test (no shrinking, no database)."""
    examples: list[Any] = []

    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None,
              derandomize=derandomize, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def collect(example: Any) -> None:
        examples.append(example)

    collect()
    assert len(examples) == count
    return examples


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return draw(create_thread_and_run_requests(), SAMPLE_SIZE)


def assert_valid(body: dict[str, Any]) -> None:
    errors = [str(error) for error in validator("CreateThreadAndRunRequest").errors(body)]
    assert not errors, (errors, body)
    assert description_rule_violations(body) == [], body
    CreateThreadAndRunRequest.model_validate(body)


def test_every_body_validates_against_the_schema_the_model_and_the_description_rules(sample):
    for body in sample:
        assert_valid(body)
        json.dumps(body, allow_nan=False)  # plain JSON: no NaN, no infinities, no tuples


# --- coverage, measured against the tests' own reading of the schema -----------------------

@cache
def _children(pointers: tuple[str, ...], part: str | int) -> tuple[str, ...]:
    return tuple(children(list(pointers), 0 if isinstance(part, int) else part))


@cache
def _branches(pointers: tuple[str, ...]) -> tuple[str, ...]:
    inventory = schema_inventory()
    return tuple(p for p in closure(list(pointers)) if p in inventory.branches)


def _observe(value: Any, template: str, pointers: tuple[str, ...], seen: Counter[Any]) -> None:
    seen[template] += 1
    for branch in _branches(pointers):
        if _valid(branch, value):
            seen[branch] += 1
    if isinstance(value, str):
        seen[(template, value)] += 1
    if isinstance(value, dict):
        for name in _declared(pointers) - value.keys():
            seen[("omitted", f"{template}.{name}")] += 1
        for key, child in value.items():
            named = f"{template}.{key}"
            child_template = named if named in schema_inventory().properties else template + "{*}"
            _observe(child, child_template, _children(pointers, key), seen)
    elif isinstance(value, list):
        for item in value:
            _observe(item, template + "[*]", _children(pointers, 0), seen)


@cache
def _declared(pointers: tuple[str, ...]) -> frozenset[str]:
    return frozenset(name for p in closure(list(pointers)) for name in resolve(p).get("properties", {}))


def _valid(pointer: str, value: Any) -> bool:
    return valid_at([pointer], value)


@pytest.fixture(scope="module")
def seen(sample) -> Counter[Any]:
    counts: Counter[Any] = Counter()
    root = ("#/components/schemas/CreateThreadAndRunRequest",)
    for body in sample:
        _observe(body, "$", root, counts)
    return counts


def _rare(counts: Counter[Any], keys) -> dict[Any, int]:
    return {key: counts[key] for key in keys if counts[key] < ENOUGH}


# Optional in the schema, always sent: the schema's "required: [file_id, tools]" sits on the
# attachments array, where it does nothing (the SDK marks both optional); a missing file_id is
# better rejected and a missing tools is left open, so neither is a valid request to send.
ALWAYS_SENT = {"$.thread.messages[*].attachments[*].file_id", "$.thread.messages[*].attachments[*].tools"}


def test_every_property_is_drawn_and_every_optional_one_omitted(seen):
    inventory = schema_inventory()
    assert _rare(seen, inventory.properties) == {}
    assert _rare(seen, [("omitted", template) for template in inventory.optional - ALWAYS_SENT]) == {}
    assert [seen[("omitted", template)] for template in ALWAYS_SENT] == [0, 0]


def test_every_branch_is_taken_including_every_null(seen):
    assert _rare(seen, schema_inventory().branches) == {}


def test_every_enum_value_is_drawn(seen):
    assert _rare(seen, schema_inventory().enums) == {}


def _boundaries(body: dict[str, Any]) -> set[str]:
    """The boundary values a body contains, by name."""
    found = set()
    for location, value in values_with_locations(body):
        template = template_of(location)
        short = template.removeprefix("$.")
        if isinstance(value, bool):
            continue
        if template in ("$.temperature", "$.top_p", "$.tools[*].file_search.ranking_options.score_threshold",
                        "$.max_prompt_tokens", "$.max_completion_tokens", "$.tools[*].file_search.max_num_results",
                        "$.truncation_strategy.last_messages") and isinstance(value, int | float):
            found.add(f"{short}={value:g}")
        if template.endswith("static.max_chunk_size_tokens"):
            found.add(f"max_chunk_size_tokens={value}")
        if template.endswith("static.chunk_overlap_tokens"):
            size = _parent(body, location)["max_chunk_size_tokens"]
            found |= {"chunk_overlap_tokens=0"} if value == 0 else set()
            found |= {"chunk_overlap_tokens=size/2"} if value == size // 2 else set()
        if template.endswith("metadata") and isinstance(value, dict):
            found |= {"metadata: 16 pairs"} if len(value) == 16 else set()
            found |= {"metadata: 64-character key"} if any(len(key) == 64 for key in value) else set()
            found |= {"metadata: 512-character value"} if any(len(v) == 512 for v in value.values()) else set()
            found |= {"metadata: 16 pairs of 64/512 characters"} if len(value) == 16 and all(
                len(k) == 64 and len(v) == 512 for k, v in value.items()) else set()
        if template in ("$.tools", "$.tool_resources.code_interpreter.file_ids",
                        "$.thread.tool_resources.code_interpreter.file_ids") and isinstance(value, list):
            found |= {f"{short}: {len(value)} items"} if len(value) == 20 else set()
        if template.endswith(".name") and isinstance(value, str) and len(value) in (1, 64):
            found.add(f"{short}: {len(value)} characters")
        if isinstance(value, str):
            found |= {"an astral-plane character"} if any(ord(c) > 0xFFFF for c in value) else set()
            found |= {f"{short}: empty"} if value == "" and template in ("$.instructions",) else set()
    return found


def _parent(body: Any, location: tuple[str | int, ...]) -> Any:
    for part in location[:-1]:
        body = body[part]
    return body


BOUNDARIES = {
    "temperature=0", "temperature=2", "top_p=0", "top_p=1", "max_prompt_tokens=256", "max_completion_tokens=256",
    "tools[*].file_search.max_num_results=1", "tools[*].file_search.max_num_results=50",
    "tools[*].file_search.ranking_options.score_threshold=0", "tools[*].file_search.ranking_options.score_threshold=1",
    "truncation_strategy.last_messages=1", "max_chunk_size_tokens=100", "max_chunk_size_tokens=4096",
    "chunk_overlap_tokens=0", "chunk_overlap_tokens=size/2",
    "metadata: 16 pairs", "metadata: 64-character key", "metadata: 512-character value",
    "metadata: 16 pairs of 64/512 characters",
    "tools: 20 items", "tool_resources.code_interpreter.file_ids: 20 items",
    "thread.tool_resources.code_interpreter.file_ids: 20 items",
    "tools[*].function.name: 1 characters", "tools[*].function.name: 64 characters",
    "response_format.json_schema.name: 64 characters",
    "an astral-plane character", "instructions: empty",
}


def test_boundary_values_are_drawn_often(sample):
    counts = Counter(name for body in sample for name in _boundaries(body))
    assert _rare(counts, BOUNDARIES) == {}, counts


# --- positions on what the spec leaves open ------------------------------------------------

def test_no_combination_the_spec_leaves_open(sample):
    for body in sample:
        tools = body.get("tools") or []
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            kinds = {tool["type"] for tool in tools}
            assert choice["type"] in kinds, body
            if choice["type"] == "function":
                assert choice["function"]["name"] in {t["function"]["name"] for t in tools if t["type"] == "function"}
            else:
                assert "function" not in choice
        assert choice != "required" or tools, body
        truncation = body.get("truncation_strategy")
        if isinstance(truncation, dict) and truncation["type"] == "last_messages":
            assert isinstance(truncation.get("last_messages"), int), body
        assert body.get("thread", {}) is not None
        for message in body.get("thread", {}).get("messages", []):
            assert message["content"] != "", body


def test_no_unknown_keys_even_in_open_objects(sample):
    open_insides = ("parameters", "schema", "metadata")  # free-form by design
    for body in sample:
        for location, value in values_with_locations(body):
            if isinstance(value, dict) and not any(part in open_insides for part in location):
                pointers = ("#/components/schemas/CreateThreadAndRunRequest",)
                for part in location:
                    pointers = _children(pointers, part)
                assert value.keys() <= _declared(pointers), (location, value)


def test_shrinks_to_the_assistant_id_alone():
    assert find(create_thread_and_run_requests(), lambda body: True) == {"assistant_id": "asst_conformance"}
    assert find(create_thread_and_run_requests(assistant_ids=["asst_b", "asst_c"]), lambda body: True) == {
        "assistant_id": "asst_b"}


# --- parameters and profiles ---------------------------------------------------------------

EXCLUDED = frozenset({"code_interpreter", "json_schema", "image_url", "vector_stores", "top_p", "attachments"})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(create_thread_and_run_requests(assistant_ids=["asst_x"], models=["m-1", "m-2"], file_ids=["file-a"],
                                      vector_store_ids=["vs_a"], stream=True, exclude=EXCLUDED))
def test_parameters_fix_ids_stream_and_features(body):
    assert_valid(body)
    assert body["assistant_id"] == "asst_x" and body["stream"] is True
    assert body.get("model") in (None, "m-1", "m-2")
    structure = list(structural_values(body))
    keys = {location[-1] for location, _ in structure}
    types = {value for location, value in structure if location[-1] == "type" and isinstance(value, str)}
    assert not {"code_interpreter", "json_schema", "image_url", "vector_stores", "attachments"} & (keys | types)
    assert "top_p" not in body
    for location, value in structure:
        if location[-1] in ("file_id", "file_ids", "vector_store_ids"):
            assert set(value if isinstance(value, list) else [value]) <= {"file-a", "vs_a"}, (location, value)


FREE_FORM = {"metadata", "parameters", "schema"}  # contents any text or JSON Schema may fill


def structural_values(body):
    """(location, value) pairs of the request's own structure, not inside free-form content,
    where any key or word may appear."""
    for location, value in values_with_locations(body):
        if location and not FREE_FORM & set(location[:-1]):
            yield location, value


def test_without_file_ids_no_body_names_a_file():
    for body in draw(create_thread_and_run_requests(file_ids=[]), 300, derandomize=True):
        for location, value in structural_values(body):
            assert location[-1] != "file_id", location
            if location[-1] == "file_ids":
                assert value == []


def test_stream_false_is_fixed():
    assert {body["stream"] for body in draw(create_thread_and_run_requests(stream=False), 50)} == {False}


def test_a_profile_switches_branches_only():
    older = SpecProfile("older", "json_schema, strict and ranking_options not yet; response_format none still",
                    strategies.SPEC_PROFILES["v2-current"].features
                    - {"json_schema", "function_strict", "ranking_options"} | {"response_format_none"})
    bodies = draw(create_thread_and_run_requests(profile=older), 400)
    texts = [json.dumps(body) for body in bodies]
    assert not any("json_schema" in t or '"strict"' in t or "ranking_options" in t for t in texts)
    assert sum(body.get("response_format") == "none" for body in bodies) >= ENOUGH


@pytest.mark.parametrize("make, message", [
    (lambda: create_thread_and_run_requests(profile="v3"), "unknown spec profile 'v3'"),
    (lambda: create_thread_and_run_requests(exclude={"teleport"}), "unknown features in exclude"),
    (lambda: create_thread_and_run_requests(assistant_ids=[]), "at least one assistant"),
    (lambda: strategies.requests_forcing_requires_action(exclude={"function"}), "lacks: ['function']"),
    (lambda: strategies.requests_ending_incomplete(exclude={"max_tokens"}), "lacks: ['max_tokens']"),
])
def test_bad_parameters_are_refused_at_once(make: Callable[[], Any], message: str):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


# --- semantic variants: judged by the reference server's fake model ------------------------

def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(part["text"] for part in content if part["type"] == "text")


def _model_output(body: dict[str, Any]) -> Any:
    messages = body.get("thread", {}).get("messages", [])
    return run_model(ModelInput(
        instructions=body.get("instructions") or "",
        messages=[(message["role"], _text(message["content"])) for message in messages],
        tools=body.get("tools") or [],
        tool_choice=body.get("tool_choice") or "auto",
        parallel_tool_calls=body.get("parallel_tool_calls", True),
        prompt_budget=body.get("max_prompt_tokens"),
        completion_budget=body.get("max_completion_tokens"),
    ))


def test_forcing_requires_action_names_a_function_of_the_request():
    for body in draw(strategies.requests_forcing_requires_action(), 150):
        assert_valid(body)
        named = body["tool_choice"]["function"]["name"]
        assert any(t["type"] == "function" and t["function"]["name"] == named for t in body["tools"])
        assert [call.name for call in _model_output(body).tool_calls] == [named]


def test_ending_incomplete_outgrows_max_completion_tokens():
    for body in draw(strategies.requests_ending_incomplete(), 100):
        assert_valid(body)
        last = body["thread"]["messages"][-1]
        assert last["role"] == "user" and len(last["content"].split()) >= 300
        assert body["max_completion_tokens"] == 256 and "max_prompt_tokens" not in body
        assert body["tool_choice"] == "none"
        assert _model_output(body).incomplete_reason == "max_completion_tokens"


def test_overrides_are_all_present_and_not_null():
    for body in draw(strategies.requests_with_overrides(), 150):
        assert_valid(body)
        assert all(body.get(name) is not None for name in strategies.ECHOED_PROPERTIES), body


def _containers(value: Any) -> Iterator[Any]:
    if isinstance(value, dict | list):
        yield value
        for child in value.values() if isinstance(value, dict) else value:
            yield from _containers(child)


def test_examples_share_no_mutable_object_so_callers_may_edit_them(sample):
    invalid = draw(strategies.invalid_requests(), 200)
    everything = [*sample[:500], *(example.body for example in invalid), *(example.valid_body for example in invalid)]
    identities = Counter(id(container) for example in everything for container in _containers(example))
    assert [count for count in identities.values() if count > 1] == []
