"""Strategies under each spec profile: valid bodies use exactly the profile's surface and validate
against its request schema; invalid ones break a rule of that schema, unknown keys included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from test_strategies import draw, structural_values

import strategies
from conformance.core.spec import spec_for
from conformance.core.spec.description_rules import description_rule_violations
from strategies import (
    DESCRIPTION_RULES,
    RAW_RULES,
    SPEC_PROFILES,
    create_thread_and_run_requests,
    invalid_requests,
)

PROFILES = list(SPEC_PROFILES)
EXAMPLES = 150

# What a profile's surface lacks, as keys and as "type" values anywhere in a body's own structure.
LACKED_KEYS = {
    "v1": {"tool_resources", "attachments", "top_p", "parallel_tool_calls", "file_search", "strict",
           "max_num_results", "ranking_options", "vector_stores", "chunking_strategy", "json_schema"},
    "v2-2024Q2": {"parallel_tool_calls", "strict", "max_num_results", "ranking_options", "chunking_strategy",
                  "json_schema"},
    "v2-current": set(),
}
LACKED_TYPES = {
    "v1": {"file_search", "json_schema", "image_file", "image_url"},
    "v2-2024Q2": {"retrieval", "json_schema"},
    "v2-current": {"retrieval"},
}
# Something only the profile has, that its bodies draw: (what, test of a body).
OWN_BRANCHES = {
    "v1": ("a retrieval tool", lambda body: {"type": "retrieval"} in (body.get("tools") or [])),
    "v2-2024Q2": ('response_format "none"', lambda body: body.get("response_format") == "none"),
    "v2-current": ("parallel_tool_calls", lambda body: "parallel_tool_calls" in body),
}


def messages(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from (body.get("thread") or {}).get("messages") or []


def request_validator(profile: str) -> Any:
    return spec_for(profile).validator("CreateThreadAndRunRequest")


@pytest.fixture(scope="module", params=PROFILES)
def valid_sample(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, draw(create_thread_and_run_requests(profile=request.param), EXAMPLES)


def test_valid_bodies_validate_against_the_profiles_schema_and_never_use_what_it_lacks(valid_sample):
    profile, bodies = valid_sample
    for body in bodies:
        assert request_validator(profile).is_valid(body), list(request_validator(profile).errors(body))
        assert description_rule_violations(body) == [], body
        structure = list(structural_values(body))
        assert not LACKED_KEYS[profile] & {location[-1] for location, _ in structure}, body
        types = {value for location, value in structure if location[-1] == "type" and isinstance(value, str)}
        assert not LACKED_TYPES[profile] & types, body
        for message in messages(body):
            assert ("file_ids" in message) <= (profile == "v1")
            assert isinstance(message["content"], str) or profile != "v1"
        assert body.get("tool_choice") != "required" or profile != "v1"
        assert body.get("response_format") != "none" or profile != "v2-current"


def test_valid_bodies_draw_what_only_their_profile_has(valid_sample):
    profile, bodies = valid_sample
    what, has_it = OWN_BRANCHES[profile]
    assert any(has_it(body) for body in bodies), f"no body of {profile} has {what}"
    if profile == "v1":
        sizes = {len(message["file_ids"]) for body in bodies for message in messages(body) if "file_ids" in message}
        assert {1, 10} <= sizes  # both bounds of v1's message file_ids


@pytest.mark.parametrize("profile", PROFILES)
def test_every_invalid_request_of_a_profile_is_invalid_for_that_profile(profile):
    validator = request_validator(profile)
    for example in draw(invalid_requests(profile=profile), EXAMPLES):
        assert validator.is_valid(example.valid_body) and description_rule_violations(example.valid_body) == []
        if example.rule in RAW_RULES:
            assert isinstance(example.body, bytes)
            continue
        violations = [(v.rule, v.path) for v in description_rule_violations(example.body)]
        if example.rule in DESCRIPTION_RULES:
            assert validator.is_valid(example.body) and violations == [(example.rule, example.path)], example
        else:
            assert not validator.is_valid(example.body) and violations == [], example


# Keys other profiles have at an object, which a server of this one must reject as unknown.
OTHER_PROFILES_KEYS = {
    "v1": {"$.tool_resources", "$.top_p", "$.parallel_tool_calls", "$.thread.tool_resources",
           "$.thread.messages[0].attachments"},
    "v2-2024Q2": {"$.parallel_tool_calls"},
    "v2-current": {"$.thread.messages[0].file_ids"},  # v1's, at a v2 message
}


class AllSeen(Exception):
    """Raised to stop a search once every wanted example was drawn."""


@pytest.mark.parametrize("profile", PROFILES)
def test_an_unknown_key_is_now_and_then_a_property_another_profile_has_there(profile):
    wanted, seen = OTHER_PROFILES_KEYS[profile], set()

    @settings(max_examples=4 * EXAMPLES, phases=[Phase.generate], database=None, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(invalid_requests(profile=profile, violating="additionalProperties"))
    def search(example: Any) -> None:
        assert not request_validator(profile).is_valid(example.body)
        seen.add(example.path)
        if wanted <= seen:
            raise AllSeen

    with pytest.raises(AllSeen):
        search()


def test_breakable_rules_follow_the_profile():
    everything = {rule.name for rule in strategies.breakable_rules()}
    assert everything == set(strategies.RULES)
    assert everything - {rule.name for rule in strategies.breakable_rules(profile="v1")} == {
        "oneOf", "json-schema-name", "chunk-overlap-max-half"}
    assert everything - {rule.name for rule in strategies.breakable_rules(profile="v2-2024Q2")} == {
        "json-schema-name", "chunk-overlap-max-half"}
    assert everything - {rule.name for rule in strategies.breakable_rules(exclude={"json_schema"})} == {
        "json-schema-name"}
    with pytest.raises(ValueError, match="can break \\['oneOf'\\]"):
        invalid_requests(violating="oneOf", profile="v1")


def test_the_semantic_variants_follow_the_profile():
    with pytest.raises(ValueError, match="lacks: \\['run_incomplete'\\]"):
        strategies.requests_ending_incomplete(profile="v1")
    for profile in PROFILES:
        for body in draw(strategies.requests_forcing_requires_action(profile=profile), 20):
            assert request_validator(profile).is_valid(body)
        for body in draw(strategies.requests_with_overrides(profile=profile), 20):
            assert request_validator(profile).is_valid(body)
            assert ("top_p" in body) == (profile != "v1") and ("parallel_tool_calls" in body) == (
                profile == "v2-current")
