"""Spec profiles in the core: each profile's document is the shipped one taken back in time as
the history says, its validators and events follow it, and v2-current is the shipped spec as before."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance.core.spec import (
    document,
    events,
    run_object_problems,
    schema,
    schema_names,
    schema_problems,
    spec_for,
    validator,
)
from conformance.core.spec.history import SCHEMA_PREFIX, schema_refs
from conformance.core.spec.profiles import (
    DEFAULT_PROFILE,
    FEATURES,
    SPEC_PROFILES,
    V1,
    V2_2024Q2,
    V2_CURRENT,
    SpecProfile,
    get_profile,
)

PROFILES = list(SPEC_PROFILES)
# The seed's field list (the request of the 2024-04-12..15 window), the v1 surface.
SEED_FIELDS = {"assistant_id", "thread", "model", "instructions", "tools", "metadata", "temperature", "stream",
               "max_prompt_tokens", "max_completion_tokens", "truncation_strategy", "tool_choice", "response_format"}


def properties(profile: str, name: str) -> set[str]:
    return set(spec_for(profile).document["components"]["schemas"][name]["properties"])


def required(profile: str, name: str) -> set[str]:
    return set(spec_for(profile).document["components"]["schemas"][name]["required"])


def valid(profile: str, name: str, instance: Any) -> bool:
    return spec_for(profile).validator(name).is_valid(instance)


def request(**fields: Any) -> dict[str, Any]:
    return {"assistant_id": "asst_1", **fields}


def thread(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"messages": list(messages)}


# --- the profiles ----------------------------------------------------------------------------

def test_three_profiles_oldest_first_the_default_is_the_shipped_spec():
    assert PROFILES == ["v1", "v2-2024Q2", "v2-current"]
    assert DEFAULT_PROFILE is V2_CURRENT and V2_CURRENT.changes == ()
    assert [get_profile(name).beta for name in PROFILES] == ["assistants=v1", "assistants=v2", "assistants=v2"]
    assert get_profile(V1) is V1 and get_profile("v2-2024Q2") is V2_2024Q2


def test_an_unknown_profile_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="unknown spec profile 'v3'; known profiles: v1, v2-2024Q2, v2-current"):
        get_profile("v3")
    with pytest.raises(ValueError, match="unknown spec profile"):
        spec_for("v2")


def test_each_profile_lacks_and_has_the_features_of_its_history():
    current = V2_CURRENT.features
    assert current == set(FEATURES) - {"retrieval", "file_ids", "response_format_none"}
    assert current - V2_2024Q2.features == {"json_schema", "function_strict", "ranking_options", "max_num_results",
                                            "chunking_strategy", "parallel_tool_calls"}
    assert V2_2024Q2.features - current == {"response_format_none"}
    assert V2_2024Q2.features - V1.features == {
        "file_search", "vector_stores", "tool_resources", "attachments", "content_parts", "image_file", "image_url",
        "top_p", "tool_choice_required", "run_incomplete"}
    assert V1.features - V2_2024Q2.features == {"retrieval", "file_ids"}


def test_every_change_is_one_line_with_its_date_and_commit_or_says_the_history_is_silent():
    for profile in SPEC_PROFILES.values():
        for change in profile.changes:
            assert "\n" not in change.summary
            dated = re.search(r"\d{4}-\d{2}-\d{2}, [0-9a-f]{7}", change.summary)
            assert dated or "not in the history" in change.summary, change.summary
    assert V1.changes[: len(V2_2024Q2.changes)] == V2_2024Q2.changes  # v1 undoes all v2-2024Q2 does, and more


def test_a_handmade_profile_keeps_working_and_judges_against_the_shipped_schemas():
    older = SpecProfile("older", "features only", V2_CURRENT.features - {"json_schema"})
    assert older.beta == "assistants=v2" and older.changes == ()
    assert spec_for(older).document is document()
    with pytest.raises(ValueError, match="unknown features"):
        SpecProfile("bad", "", frozenset({"teleport"}))


# --- v2-current: the shipped spec, as before ----------------------------------------------

def test_the_module_functions_are_the_shipped_specs():
    spec = spec_for()
    assert spec is spec_for("v2-current") is spec_for(V2_CURRENT) and spec.document is document()
    assert validator("RunObject") is spec.validator("RunObject")  # one compiled validator, cached
    assert schema("RunObject") == spec.schema("RunObject") and schema_names() == spec.schema_names()
    assert events.event_data_schemas() is spec.event_data_schemas() and len(events.event_data_schemas()) == 24
    assert events.is_known("thread.run.incomplete") and events.is_known("done") and not events.is_known("x")
    assert schema_problems("ThreadObject", {}) == spec.schema_problems("ThreadObject", {}) != []
    run = {"instructions": None}
    assert run_object_problems(run) == spec.run_object_problems(run) and run_object_problems(run)[1] is True


def test_the_shipped_document_is_left_untouched_by_the_older_profiles():
    shipped = document()["components"]["schemas"]
    for name in PROFILES:
        spec_for(name)
    assert "parallel_tool_calls" in shipped["CreateThreadAndRunRequest"]["properties"]
    assert "attachments" in shipped["CreateMessageRequest"]["properties"]


# --- the older documents ------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
def test_every_reference_resolves_and_every_schema_is_reachable_and_compiles(profile):
    spec = spec_for(profile)
    schemas = spec.document["components"]["schemas"]
    refs = {ref["$ref"] for ref in schema_refs(spec.document)}
    assert {ref.removeprefix(SCHEMA_PREFIX) for ref in refs if ref.startswith(SCHEMA_PREFIX)} <= set(schemas)
    for name in schemas:
        assert spec.validator(name).name == name


def test_the_request_of_each_profile_has_the_top_level_properties_of_its_time():
    assert properties("v1", "CreateThreadAndRunRequest") == SEED_FIELDS
    assert properties("v2-2024Q2", "CreateThreadAndRunRequest") == SEED_FIELDS | {"top_p", "tool_resources"}
    assert properties("v2-current", "CreateThreadAndRunRequest") == SEED_FIELDS | {
        "top_p", "tool_resources", "parallel_tool_calls"}
    assert properties("v1", "CreateThreadRequest") == {"messages", "metadata"}
    assert properties("v1", "CreateMessageRequest") == {"role", "content", "file_ids", "metadata"}


@pytest.mark.parametrize("body, accepted_by", [
    (request(tools=[{"type": "retrieval"}], tool_choice={"type": "retrieval"}), {"v1"}),
    (request(tools=[{"type": "file_search"}], tool_choice={"type": "file_search"}), {"v2-2024Q2", "v2-current"}),
    (request(tools=[{"type": "file_search", "file_search": {"max_num_results": 51}}]), {"v2-2024Q2"}),
    (request(top_p=1), {"v2-2024Q2", "v2-current"}),
    (request(parallel_tool_calls=False), {"v2-current"}),
    (request(tool_resources={}), {"v2-2024Q2", "v2-current"}),
    (request(thread={"tool_resources": None}), {"v2-2024Q2", "v2-current"}),
    (request(tool_choice="required"), {"v2-2024Q2", "v2-current"}),
    (request(response_format="none"), {"v1", "v2-2024Q2"}),
    (request(response_format={}), {"v1", "v2-2024Q2"}),  # type was optional before 2024-08-06
    (request(response_format={"type": "json_object"}), set(PROFILES)),
    (request(response_format={"type": "json_schema", "json_schema": {"name": "n"}}), {"v2-current"}),
    # An older FunctionObject has no strict: an open object, so any value is an unknown key's.
    (request(tools=[{"type": "function", "function": {"name": "f", "strict": "yes"}}]), {"v1", "v2-2024Q2"}),
    (request(metadata={"k": 1}), {"v1", "v2-2024Q2"}),  # string values since 2025-01-31
    (request(thread=thread({"role": "user", "content": "hi", "file_ids": ["file-1"]})), {"v1"}),
    (request(thread=thread({"role": "user", "content": "hi", "file_ids": []})), set()),
    (request(thread=thread({"role": "user", "content": "hi", "file_ids": ["f"] * 11})), set()),
    (request(thread=thread({"role": "user", "content": "hi", "attachments": []})), {"v2-2024Q2", "v2-current"}),
    (request(thread=thread({"role": "user", "content": ""})), {"v2-2024Q2", "v2-current"}),
    (request(thread=thread({"role": "user", "content": [{"type": "text", "text": "hi"}]})),
     {"v2-2024Q2", "v2-current"}),
    (request(thread=thread({"role": "assistant", "content": "hi"})), set(PROFILES)),
])
def test_a_request_is_valid_exactly_in_the_profiles_of_its_surface(body, accepted_by):
    assert {profile for profile in PROFILES if valid(profile, "CreateThreadAndRunRequest", body)} == accepted_by


def test_the_objects_of_each_profile_have_the_fields_of_its_time():
    assert required("v1", "RunObject") - required("v2-current", "RunObject") == {"file_ids"}
    assert required("v2-current", "RunObject") - required("v1", "RunObject") == {"parallel_tool_calls"}
    assert "parallel_tool_calls" not in properties("v2-2024Q2", "RunObject")
    assert {"top_p", "tool_resources"} & properties("v1", "RunObject") == set()
    assert "tool_resources" not in properties("v1", "ThreadObject") | required("v1", "ThreadObject")
    assert "file_ids" in required("v1", "MessageObject") and "attachments" not in properties("v1", "MessageObject")
    assert "file_ids" in required("v1", "AssistantObject")
    assert {"tool_resources", "temperature", "top_p", "response_format"} & properties(
        "v1", "CreateAssistantRequest") == set()
    assert "reasoning_effort" not in properties("v2-2024Q2", "CreateAssistantRequest")


def test_only_v1_lacks_the_incomplete_run_and_its_event():
    statuses = {name: set(spec_for(name).document["components"]["schemas"]["RunObject"]["properties"]["status"]
                          ["enum"]) for name in PROFILES}
    assert statuses["v2-current"] - statuses["v1"] == {"incomplete"} and statuses["v2-2024Q2"] == statuses["v2-current"]
    tables = {name: spec_for(name).event_data_schemas() for name in PROFILES}
    assert set(tables["v2-current"]) - set(tables["v1"]) == {"thread.run.incomplete"}
    assert tables["v2-2024Q2"] == tables["v2-current"]
    assert not spec_for("v1").is_known_event("thread.run.incomplete") and spec_for("v1").is_known_event("done")


def test_the_older_step_details_name_retrieval_calls():
    step_call = {"id": "call_1", "type": "retrieval", "retrieval": {}}
    details = {"type": "tool_calls", "tool_calls": [step_call]}
    assert valid("v1", "RunStepDetailsToolCallsObject", details)
    assert not valid("v2-2024Q2", "RunStepDetailsToolCallsObject", details)
    with pytest.raises(KeyError, match="ParallelToolCalls"):
        spec_for("v2-2024Q2").schema("ParallelToolCalls")  # gone with the property it served
