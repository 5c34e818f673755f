"""The pydantic models and the shipped JSON Schema agree.

1. Documents generated from each schema component validate with its model, and the model's dump
   gives back the same document (which validates against the schema again).
2. Differential: a generated document with one random mutation is valid for the schema exactly
   when it is valid for the model.
3. Targeted negatives (wrong type, missing required-nullable key, wrong enum, unknown key on a
   closed object, bounds) are rejected by both; targeted boundary values are accepted by both.

Generation uses a small JSON Schema strategy below, not hypothesis-jsonschema: its 0.23.1 (the
newest on the package index) calls a Hypothesis internal (``many.more``) that Hypothesis 6.170
no longer has, so it fails on every object schema.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import MISSING, TypeAdapter, ValidationError

from spec_models import SCHEMA_MODELS, CreateThreadAndRunRequest, RunObject
from conformance.core.spec import SCHEMA_PREFIX, document, schema_names, validator

COMPONENTS: dict[str, Any] = document()["components"]["schemas"]

# The objects the suite reads and writes most; they get the most examples.
MAIN_OBJECTS = [
    "CreateThreadAndRunRequest",
    "RunObject",
    "ThreadObject",
    "MessageObject",
    "RunStepObject",
    "MessageDeltaObject",
    "RunStepDeltaObject",
    "ErrorResponse",
    "AssistantObject",
    "CreateAssistantRequest",
    "SubmitToolOutputsRunRequest",
]
OTHER_COMPONENTS = sorted(set(SCHEMA_MODELS) - set(MAIN_OBJECTS))

PROPERTY_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- a JSON Schema strategy for the keywords the shipped spec uses -------------------------------

ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)

# Arrays and strings are kept short; the bounds themselves are tested with targeted documents.
MAX_DRAWN_ITEMS = 3
MAX_DRAWN_CHARS = 12


def _component_name(ref: str) -> str:
    return ref.removeprefix(SCHEMA_PREFIX)


@cache
def component_strategy(name: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: from_schema(COMPONENTS[name]))


def _merged(siblings: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    """A branch of anyOf/oneOf together with the keywords beside the anyOf/oneOf."""
    if "$ref" in branch:
        branch = COMPONENTS[_component_name(branch["$ref"])]
    merged = {**siblings, **branch}
    if "properties" in siblings and "properties" in branch:
        merged["properties"] = {**siblings["properties"], **branch["properties"]}
    if "required" in siblings or "required" in branch:
        merged["required"] = [*siblings.get("required", []), *branch.get("required", [])]
    return merged


def _node_validator(node: dict[str, Any]) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({**node, "components": {"schemas": COMPONENTS}})


def from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in node:
        return component_strategy(_component_name(node["$ref"]))
    for keyword in ("anyOf", "oneOf"):
        if keyword in node:
            siblings = {k: v for k, v in node.items() if k != keyword}
            branches = [_merged(siblings, branch) for branch in node[keyword]]
            drawn = st.one_of([from_schema(branch) for branch in branches])
            if keyword == "oneOf":
                checks = [_node_validator(branch) for branch in branches]
                drawn = drawn.filter(lambda v: sum(c.is_valid(v) for c in checks) == 1)
            return drawn
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type", "object" if "properties" in node else None)
    if isinstance(kind, list):
        return st.one_of([from_schema({**node, "type": one}) for one in kind])
    lower, upper = node.get("minimum"), node.get("maximum")
    match kind:
        case "null":
            return st.none()
        case "boolean":
            return st.booleans()
        case "integer":
            return st.integers(min_value=lower, max_value=upper)
        case "number":
            return st.integers(min_value=lower, max_value=upper) | st.floats(
                min_value=lower, max_value=upper, allow_nan=False, allow_infinity=False
            )
        case "string":
            return st.text(max_size=min(node.get("maxLength", MAX_DRAWN_CHARS), MAX_DRAWN_CHARS))
        case "array":
            low = node.get("minItems", 0)
            high = min(node.get("maxItems", low + MAX_DRAWN_ITEMS), low + MAX_DRAWN_ITEMS)
            return st.lists(from_schema(node.get("items", {})), min_size=low, max_size=high)
        case "object":
            return _object_strategy(node)
        case _:
            return ANY_JSON


def _object_strategy(node: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = node.get("properties", {})
    required = set(node.get("required", []))
    named = st.fixed_dictionaries(
        {key: from_schema(properties.get(key, {})) for key in required},
        optional={key: from_schema(s) for key, s in properties.items() if key not in required},
    )
    additional = node.get("additionalProperties", True)
    if additional is False:
        return named
    values = ANY_JSON if additional is True else from_schema(additional)
    extras = st.dictionaries(
        st.text(max_size=8).filter(lambda key: key not in properties), values, max_size=2
    )
    return st.tuples(named, extras).map(lambda pair: {**pair[1], **pair[0]})


# --- helpers -------------------------------------------------------------------------------------


@cache
def adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(SCHEMA_MODELS[name])


def model_accepts(name: str, doc: Any) -> bool:
    try:
        adapter(name).validate_python(doc)
    except ValidationError:
        return False
    return True


def canonical(doc: Any) -> str:
    """Exact JSON text, key order aside: ``1`` and ``1.0`` differ, as do ``true`` and ``1``."""
    return json.dumps(doc, sort_keys=True)


def assert_round_trip(name: str, doc: Any) -> None:
    assert validator(name).is_valid(doc), list(validator(name).errors(doc))  # generator check
    value = adapter(name).validate_python(doc)
    dumped = adapter(name).dump_python(value, mode="json")
    assert canonical(dumped) == canonical(doc)
    assert validator(name).is_valid(dumped)


# --- 1. generated documents validate and round-trip ----------------------------------------------


def test_every_component_has_a_model() -> None:
    assert set(SCHEMA_MODELS) == set(schema_names()) - {"AssistantSupportedModels"}


@pytest.mark.parametrize("name", MAIN_OBJECTS)
@settings(PROPERTY_SETTINGS, max_examples=25)
@given(data=st.data())
def test_generated_main_objects_round_trip(name: str, data: st.DataObject) -> None:
    assert_round_trip(name, data.draw(component_strategy(name)))


@pytest.mark.parametrize("name", OTHER_COMPONENTS)
@settings(PROPERTY_SETTINGS, max_examples=5)
@given(data=st.data())
def test_generated_components_round_trip(name: str, data: st.DataObject) -> None:
    assert_round_trip(name, data.draw(component_strategy(name)))


# --- 2. differential: one mutation, same verdict -------------------------------------------------

# No integral floats (1.0): JSON Schema counts them as integers, the strict models do not (see
# test_known_disagreements).
MUTANT_VALUES = [
    None, True, False, 0, 1, -1, 255, 256, 4097, 1.5, -0.5, 2.5,
    "", "1", "auto", "text", "function", [], [{}], {}, {"type": "text"},
]  # fmt: skip


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


@st.composite
def mutated(draw: st.DrawFn, name: str) -> Any:
    """A generated document with one value replaced, one key or item deleted, or one key added.

    The location is found by walking down from the root, stopping after each step with
    probability 1/2, so top-level fields are mutated as often as everything below them.
    """
    doc = copy.deepcopy(draw(component_strategy(name)))
    parent, node, step = None, doc, None
    while _children(node):
        parent, step = node, draw(st.sampled_from(_children(node)))
        node = node[step]
        if draw(st.booleans()):
            break
    action = draw(st.sampled_from(["replace", "delete", "add_key"]))
    if action == "replace" and parent is not None:
        parent[step] = draw(st.sampled_from(MUTANT_VALUES))
    elif action == "delete" and parent is not None:
        del parent[step]
    elif isinstance(node, dict):
        node["unexpected_key"] = draw(st.sampled_from(MUTANT_VALUES))
    elif isinstance(parent, dict):
        parent["unexpected_key"] = draw(st.sampled_from(MUTANT_VALUES))
    return doc


@pytest.mark.parametrize("name", MAIN_OBJECTS)
@settings(PROPERTY_SETTINGS, max_examples=40)
@given(data=st.data())
def test_mutated_documents_get_the_same_verdict(name: str, data: st.DataObject) -> None:
    doc = data.draw(mutated(name))
    assert model_accepts(name, doc) == validator(name).is_valid(doc)


# --- 3. targeted documents -----------------------------------------------------------------------

RUN = {
    "id": "run_1", "object": "thread.run", "created_at": 1, "thread_id": "thread_1",
    "assistant_id": "asst_1", "status": "queued", "required_action": None, "last_error": None,
    "expires_at": 2, "started_at": None, "cancelled_at": None, "failed_at": None,
    "completed_at": None, "incomplete_details": None, "model": "gpt-4o", "instructions": "",
    "tools": [], "metadata": {}, "usage": None, "temperature": 1, "top_p": 1,
    "max_prompt_tokens": None, "max_completion_tokens": None, "truncation_strategy": None,
    "tool_choice": None, "parallel_tool_calls": True, "response_format": None,
}  # fmt: skip
MESSAGE = {
    "id": "msg_1", "object": "thread.message", "created_at": 1, "thread_id": "thread_1",
    "status": "completed", "incomplete_details": None, "completed_at": 2, "incomplete_at": None,
    "role": "assistant", "content": [{"type": "text", "text": {"value": "hi", "annotations": []}}],
    "assistant_id": "asst_1", "run_id": "run_1", "attachments": [], "metadata": {},
}  # fmt: skip
STEP = {
    "id": "step_1", "object": "thread.run.step", "created_at": 1, "assistant_id": "asst_1",
    "thread_id": "thread_1", "run_id": "run_1", "type": "message_creation", "status": "completed",
    "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_1"}},
    "last_error": None, "expired_at": None, "cancelled_at": None, "failed_at": None,
    "completed_at": 2, "metadata": None,
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
}  # fmt: skip
THREAD = {"id": "th_1", "object": "thread", "created_at": 1, "tool_resources": None, "metadata": {}}
ERROR = {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
FUNCTION_TOOL = {"type": "function", "function": {"name": "f"}}


def changed(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(base), **fields}


def without(base: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k not in keys}


def request(**fields: Any) -> dict[str, Any]:
    return {"assistant_id": "asst_1", **fields}


def thread(**fields: Any) -> dict[str, Any]:
    return request(thread=fields)


def message(**fields: Any) -> dict[str, Any]:
    return thread(messages=[{"role": "user", "content": "hi", **fields}])


def file_search(**fields: Any) -> dict[str, Any]:
    return thread(tool_resources={"file_search": fields})


def chunking(strategy: dict[str, Any]) -> dict[str, Any]:
    return file_search(vector_stores=[{"chunking_strategy": strategy}])


def static(**fields: Any) -> dict[str, Any]:
    return chunking({"type": "static", "static": {**STATIC["static"], **fields}})


def file_search_tool(**options: Any) -> dict[str, Any]:
    return request(tools=[{"type": "file_search", "file_search": options}])


def case(name: str, why: str, doc: Any) -> Any:
    return pytest.param(name, doc, id=f"{name}: {why}")


CTAR = "CreateThreadAndRunRequest"
EVENT = "AssistantStreamEvent"

ACCEPTED = [
    case(CTAR, "assistant_id only", request()),
    case(CTAR, "20 tools", request(tools=[FUNCTION_TOOL] * 20)),
    case(CTAR, "temperature 2", request(temperature=2)),
    case(CTAR, "temperature 0.5", request(temperature=0.5)),
    case(CTAR, "top_p null", request(top_p=None)),
    case(CTAR, "max_prompt_tokens 256", request(max_prompt_tokens=256)),
    case(CTAR, "any model string", request(model="any-model-name")),
    case(CTAR, "named function choice without name", request(tool_choice={"type": "function"})),
    case(CTAR, "response_format auto", request(response_format="auto")),
    case(CTAR, "unknown key in an open tool", request(tools=[{"type": "code_interpreter", "x": 1}])),
    case(CTAR, "max_num_results 50", file_search_tool(max_num_results=50)),
    case(CTAR, "no messages", thread(messages=[])),
    case(CTAR, "url not a uri", message(content=[{"type": "image_url", "image_url": {"url": "x"}}])),
    case(CTAR, "attachment without file_id", message(attachments=[{"tools": []}])),
    case(CTAR, "static chunking 4096", static(max_chunk_size_tokens=4096)),
    case(CTAR, "vector_store_ids", file_search(vector_store_ids=["vs_1"])),
    # The run-level file_search is open and has no vector_stores helper: just an unknown key.
    case(CTAR, "vector_stores at run level", request(tool_resources={"file_search": {"vector_stores": 1}})),
    case("RunObject", "complete", RUN),
    case("RunObject", "no temperature, no top_p", without(RUN, "temperature", "top_p")),
    case("RunObject", "unknown key", changed(RUN, tool_resources={"extra": "keys are fine"})),
    case("RunObject", "incomplete_details without reason", changed(RUN, incomplete_details={})),
    case("MessageObject", "complete", MESSAGE),
    case("RunStepObject", "complete", STEP),
    case("ThreadObject", "complete", THREAD),
    case("ErrorResponse", "complete", {"error": ERROR}),
    case(EVENT, "run event", {"event": "thread.run.created", "data": RUN}),
    case(EVENT, "done event", {"event": "done", "data": "[DONE]"}),
    case(EVENT, "error event", {"event": "error", "data": ERROR}),
]  # fmt: skip

REJECTED = [
    case(CTAR, "empty", {}),
    case(CTAR, "assistant_id null", request(assistant_id=None)),
    case(CTAR, "string for an int", request(max_prompt_tokens="256")),
    case(CTAR, "max_prompt_tokens 255", request(max_prompt_tokens=255)),
    case(CTAR, "fraction for an int", request(max_completion_tokens=256.5)),
    case(CTAR, "int for a bool", request(stream=1)),
    case(CTAR, "string for a bool", request(stream="true")),
    case(CTAR, "bool for a number", request(temperature=True)),
    case(CTAR, "string for a number", request(temperature="1")),
    case(CTAR, "temperature 2.01", request(temperature=2.01)),
    case(CTAR, "top_p -0.1", request(top_p=-0.1)),
    case(CTAR, "thread null", request(thread=None)),
    case(CTAR, "parallel_tool_calls null", request(parallel_tool_calls=None)),
    case(CTAR, "unknown key thread_id", request(thread_id="thread_1")),
    case(CTAR, "v1 key file_ids", request(file_ids=[])),
    case(CTAR, "metadata int value", request(metadata={"k": 1})),
    case(CTAR, "21 tools", request(tools=[FUNCTION_TOOL] * 21)),
    case(CTAR, "v1 tool retrieval", request(tools=[{"type": "retrieval"}])),
    case(CTAR, "tool without type", request(tools=[{"function": {"name": "f"}}])),
    case(CTAR, "function tool without function", request(tools=[{"type": "function"}])),
    case(CTAR, "max_num_results 51", file_search_tool(max_num_results=51)),
    case(CTAR, "ranking_options without threshold", file_search_tool(ranking_options={})),
    case(CTAR, "tool_choice any", request(tool_choice="any")),
    case(CTAR, "named function without name", request(tool_choice={"type": "function", "function": {}})),
    case(CTAR, "response_format json", request(response_format="json")),
    case(CTAR, "json_schema without json_schema", request(response_format={"type": "json_schema"})),
    case(CTAR, "last_messages 0", request(truncation_strategy={"type": "last_messages", "last_messages": 0})),
    case(CTAR, "truncation without type", request(truncation_strategy={})),
    case(CTAR, "21 code_interpreter files", request(tool_resources={"code_interpreter": {"file_ids": ["f"] * 21}})),
    case(CTAR, "2 vector_store_ids", request(tool_resources={"file_search": {"vector_store_ids": ["a", "b"]}})),
    case(CTAR, "unknown key in thread", thread(unexpected=1)),
    case(CTAR, "role system", message(role="system")),
    case(CTAR, "empty content list", message(content=[])),
    case(CTAR, "text part without text", message(content=[{"type": "text"}])),
    case(CTAR, "unknown key in message", message(file_ids=[])),
    case(CTAR, "function attachment tool", message(attachments=[{"file_id": "f", "tools": [FUNCTION_TOOL]}])),
    case(CTAR, "image detail max", message(content=[{"type": "image_file", "image_file": {"file_id": "f", "detail": "max"}}])),
    case(CTAR, "file_search with neither source", file_search()),
    case(CTAR, "file_search with both sources", file_search(vector_store_ids=[], vector_stores=[])),
    case(CTAR, "2 vector_stores", file_search(vector_stores=[{}, {}])),
    case(CTAR, "chunking semantic", chunking({"type": "semantic"})),
    case(CTAR, "unknown key in auto chunking", chunking({"type": "auto", "extra": 1})),
    case(CTAR, "unknown key in static", static(extra=1)),
    case(CTAR, "chunk size 99", static(max_chunk_size_tokens=99)),
    case(CTAR, "chunk size 4097", static(max_chunk_size_tokens=4097)),
    case(CTAR, "static without overlap", chunking({"type": "static", "static": {"max_chunk_size_tokens": 800}})),
    case("RunObject", "usage missing", without(RUN, "usage")),
    case("RunObject", "required_action missing", without(RUN, "required_action")),
    case("RunObject", "status complete", changed(RUN, status="complete")),
    case("RunObject", "instructions null", changed(RUN, instructions=None)),
    case("RunObject", "string for a timestamp", changed(RUN, created_at="1")),
    case("RunObject", "int for a bool", changed(RUN, parallel_tool_calls=1)),
    case("RunObject", "incomplete reason max_tokens", changed(RUN, incomplete_details={"reason": "max_tokens"})),
    case("RunObject", "last_error without message", changed(RUN, last_error={"code": "server_error"})),
    case("MessageObject", "attachments missing", without(MESSAGE, "attachments")),
    case("MessageObject", "role system", changed(MESSAGE, role="system")),
    case("MessageObject", "request-style text part", changed(MESSAGE, content=[{"type": "text", "text": "hi"}])),
    case("RunStepObject", "expired_at missing", without(STEP, "expired_at")),
    case("RunStepObject", "metadata missing", without(STEP, "metadata")),
    case("RunStepObject", "tool_calls without calls", changed(STEP, step_details={"type": "tool_calls"})),
    case("ThreadObject", "tool_resources missing", without(THREAD, "tool_resources")),
    case("ErrorResponse", "no error", {}),
    case("ErrorResponse", "param missing", {"error": without(ERROR, "param")}),
    case("ErrorResponse", "int code", {"error": changed(ERROR, code=400)}),
    case(EVENT, "done with other data", {"event": "done", "data": "DONE"}),
    case(EVENT, "error event with the envelope", {"event": "error", "data": {"error": ERROR}}),
    case(EVENT, "run event carrying a message", {"event": "thread.run.created", "data": MESSAGE}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "doc"), ACCEPTED)
def test_targeted_valid_documents_are_accepted_by_both(name: str, doc: Any) -> None:
    assert validator(name).is_valid(doc), list(validator(name).errors(doc))
    value = adapter(name).validate_python(doc)
    assert canonical(adapter(name).dump_python(value, mode="json")) == canonical(doc)


@pytest.mark.parametrize(("name", "doc"), REJECTED)
def test_targeted_invalid_documents_are_rejected_by_both(name: str, doc: Any) -> None:
    assert not validator(name).is_valid(doc)
    assert not model_accepts(name, doc)


def test_omitted_and_null_stay_distinct() -> None:
    body = CreateThreadAndRunRequest.model_validate(request(temperature=None))
    assert body.temperature is None
    assert body.top_p is MISSING
    assert body.model_dump(mode="json") == request(temperature=None)


def test_unknown_keys_of_open_objects_are_kept() -> None:
    run = RunObject.model_validate(changed(RUN, tool_resources={}))
    assert run.model_extra == {"tool_resources": {}}


def test_known_disagreements() -> None:
    """Where the models deliberately differ from the schema (see ``spec_models.base``)."""
    # JSON Schema counts 256.0 as an integer (the suite never sends one); the strict models take only ints.
    assert validator(CTAR).is_valid(request(max_prompt_tokens=256.0))
    assert not model_accepts(CTAR, request(max_prompt_tokens=256.0))
    # ListMessagesResponse and ListRunStepsResponse lack ``type: object``: any non-object passes.
    for name in ("ListMessagesResponse", "ListRunStepsResponse"):
        assert validator(name).is_valid("not an object")
        assert not model_accepts(name, "not an object")
