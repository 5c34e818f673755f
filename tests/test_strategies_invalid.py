"""Invalid-request strategies: each example breaks exactly its labelled rule and nothing else,
and every rule of the request schema and of its descriptions is generated."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import ValidationError
from test_strategies import assert_valid, draw, structural_values
from test_strategies_schema import broken_only_by, closure, pointers_at, resolve, schema_inventory, template_of

import strategies
from conformance.core import catalogue
from spec_models import CreateThreadAndRunRequest
from conformance.core.spec import validator
from conformance.core.spec.description_rules import description_rule_violations
from strategies import (
    DESCRIPTION_RULES,
    INVALID_RULES,
    RAW_RULES,
    RULES,
    SCHEMA_RULES,
    InvalidRequest,
    invalid_requests,
)
from strategies.invalid import _ways_to_break
from strategies.requests import request_bodies
from strategies.space import DEFAULT_ASSISTANT_IDS, DEFAULT_FILE_IDS, DEFAULT_VECTOR_STORE_IDS, make_request_space

RULE = {rule.name: rule for rule in INVALID_RULES}

SAMPLE_SIZE = 1700  # about 100 per rule


@pytest.fixture(scope="module")
def sample() -> list[InvalidRequest]:
    return draw(invalid_requests(), SAMPLE_SIZE)


def path_of(location: tuple[str | int, ...]) -> str:
    path = "$"
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if part.isidentifier() else f"[{part!r}]"
    return path


def changed_locations(before: Any, after: Any, location: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where ``after`` differs from ``before``: added, removed or changed keys, resized arrays."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in before.keys() | after.keys():
            if key not in before or key not in after:
                yield (*location, key)
            else:
                yield from changed_locations(before[key], after[key], (*location, key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from changed_locations(old, new, (*location, index))
    elif type(before) is not type(after) or before != after:
        yield location


def value_at(body: Any, location: tuple[str | int, ...]) -> Any:
    for part in location:
        body = body[part]
    return body


def strict_json(content: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(content.decode("utf-8"), parse_constant=refuse)


def assert_breaks_exactly_its_rule(example: InvalidRequest) -> None:
    rule, location = example.rule, example.location
    assert example.requirement == RULE[rule].requirement and catalogue.get(example.requirement.id)
    assert example.path == path_of(location) and example.description
    assert_valid(example.valid_body)  # the body the one mutation started from
    if rule in RAW_RULES:
        assert isinstance(example.body, bytes) and location == () and example.content == example.body
        if rule == "not-json":
            with pytest.raises(ValueError):  # UnicodeDecodeError is a ValueError too
                strict_json(example.body)
        else:
            assert not isinstance(strict_json(example.body), dict)
        return
    assert json.loads(example.content) == example.body
    changes = set(changed_locations(example.valid_body, example.body))
    assert changes and all(change[: len(location)] == location for change in changes), (changes, location)
    violations = [(v.rule, v.path, RULE[v.rule].requirement) for v in description_rule_violations(example.body)]
    if rule in DESCRIPTION_RULES:
        assert validator("CreateThreadAndRunRequest").is_valid(example.body)
        assert violations == [(rule, example.path, example.requirement)]
        return
    assert not validator("CreateThreadAndRunRequest").is_valid(example.body)
    assert violations == []
    with pytest.raises(ValidationError):
        CreateThreadAndRunRequest.model_validate(example.body)
    # The value that breaks the rule: the object itself for a missing or an unknown key.
    node = location[:-1] if rule in ("required", "additionalProperties") else location
    key = location[-1] if rule == "required" else None
    assert broken_only_by(pointers_at(node), value_at(example.body, node), rule, key), example


def test_the_judge_refuses_a_wrong_label_a_second_violation_and_a_double_break():
    message = {"role": "user", "content": "x"}
    valid = {"assistant_id": "asst_conformance", "temperature": 1, "thread": {"messages": [message]}}
    right = InvalidRequest(body={**valid, "temperature": 3}, path="$.temperature", rule="maximum",
                           requirement=catalogue.get("REQ-002"), description="3 > 2", location=("temperature",),
                           valid_body=valid)
    assert_breaks_exactly_its_rule(right)
    wrong = [
        replace(right, rule="minimum"),
        replace(right, body={**right.body, "top_p": 2}),  # a second violation elsewhere
        replace(right, body={**valid, "temperature": "3"}),  # a type violation labelled maximum
        replace(right, body={**valid, "thread": {"messages": [{"role": 1, "content": "x"}]}}, rule="type",
                location=("thread", "messages", 0, "role"), path="$.thread.messages[0].role"),  # type and enum
        replace(right, rule="metadata-max-pairs", requirement=catalogue.get("REQ-003")),
    ]
    for example in wrong:
        with pytest.raises(AssertionError):
            assert_breaks_exactly_its_rule(example)


def test_every_example_breaks_exactly_its_labelled_rule_and_nothing_else(sample):
    for example in sample:
        assert_breaks_exactly_its_rule(example)


def test_every_rule_is_drawn_about_as_often(sample):
    counts = Counter(example.rule for example in sample)
    assert set(counts) == set(RULES)
    assert min(counts.values()) >= SAMPLE_SIZE / len(RULES) / 3, counts


# --- every rule of the schema has a way to be broken ---------------------------------------

def _type_not_breakable_alone(template_pointers: list[str]) -> bool:
    """Every typed node also has an enum or a oneOf, or one of them has a oneOf or anyOf of its own
    (see strategies.invalid's docstring)."""
    typed = [resolve(p) for p in closure(template_pointers) if "type" in resolve(p)]
    return (all({"enum", "oneOf"} & schema.keys() for schema in typed)
            or any({"oneOf", "anyOf"} & schema.keys() for schema in typed))


# Schema rules no invalid example breaks alone, and why (see strategies.invalid's docstring).
NOT_BROKEN_ALONE = {
    # 100,000,000 file ids: too many to send.
    ("$.thread.tool_resources.file_search.vector_stores[*].file_ids", "maxItems"),
    # A oneOf of object branches told apart by their "type" enum: no value matches two, and a
    # value matching none breaks a branch's own rule (enum, required, additionalProperties...).
    ("$.thread.tool_resources.file_search.vector_stores[*].chunking_strategy", "oneOf"),
}
DESCRIPTION_SITES = {
    ("$.metadata", "metadata-max-pairs"), ("$.thread.metadata", "metadata-max-pairs"),
    ("$.thread.messages[*].metadata", "metadata-max-pairs"),
    ("$.thread.tool_resources.file_search.vector_stores[*].metadata", "metadata-max-pairs"),
    ("$.metadata", "metadata-key-length"), ("$.thread.metadata", "metadata-key-length"),
    ("$.thread.messages[*].metadata", "metadata-key-length"),
    ("$.thread.tool_resources.file_search.vector_stores[*].metadata", "metadata-key-length"),
    ("$.metadata", "metadata-value-length"), ("$.thread.metadata", "metadata-value-length"),
    ("$.thread.messages[*].metadata", "metadata-value-length"),
    ("$.thread.tool_resources.file_search.vector_stores[*].metadata", "metadata-value-length"),
    ("$.tools[*].function", "function-name"),
    ("$.response_format", "json-schema-name"),
    ("$.thread.tool_resources.file_search.vector_stores[*].chunking_strategy.static", "chunk-overlap-max-half"),
}


def test_every_rule_of_the_schema_and_its_descriptions_has_a_way_to_be_broken():
    defaults = make_request_space(assistant_ids=DEFAULT_ASSISTANT_IDS, models=None, file_ids=DEFAULT_FILE_IDS,
                                  vector_store_ids=DEFAULT_VECTOR_STORE_IDS, stream=None, exclude=(),
                                  profile="v2-current")
    space = replace(defaults, dense=True)
    reachable: set[tuple[str, str]] = set()
    for body in draw(request_bodies(space), 250):
        for rule in SCHEMA_RULES + DESCRIPTION_RULES:
            reachable |= {(template_of(location), rule) for location, _ in _ways_to_break(RULE[rule], body, space)}
    expected = {
        (template, keyword) for template, keyword in schema_inventory().keywords
        if not (keyword == "type" and _type_not_breakable_alone(pointers_at_template(template)))
    } - NOT_BROKEN_ALONE
    assert expected - reachable == set()
    assert DESCRIPTION_SITES - reachable == set()


def pointers_at_template(template: str) -> list[str]:
    """``pointers_at`` for an instance template (``[*]`` and ``{*}`` stand for any index or key)."""
    location: list[str | int] = []
    for part in template.removeprefix("$").replace("[*]", ".#0").replace("{*}", ".#key").split(".")[1:]:
        location.append(0 if part == "#0" else "any key" if part == "#key" else part)
    return pointers_at(tuple(location))


# --- parameters ----------------------------------------------------------------------------

def test_violating_picks_the_rules():
    assert {example.rule for example in draw(invalid_requests(violating="maximum"), 40)} == {"maximum"}
    raw = draw(invalid_requests(violating=RAW_RULES), 40)
    assert {example.rule for example in raw} == set(RAW_RULES) and all(isinstance(e.body, bytes) for e in raw)


@settings(max_examples=150, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow])
@given(invalid_requests(stream=True, violating=SCHEMA_RULES + DESCRIPTION_RULES, exclude={"image_url"}))
def test_a_fixed_stream_is_never_the_broken_value(example):
    assert example.body["stream"] is True and example.location != ("stream",)
    # Not inside function parameters, where any word may be a property name.
    assert not any("image_url" in (location[-1], value) for location, value in structural_values(example.valid_body))
    assert_breaks_exactly_its_rule(example)


@pytest.mark.parametrize("violating, exclude, message", [
    ("pattern", (), "unknown rules \\['pattern'\\]"),
    ((), (), "unknown rules"),
    ("json-schema-name", {"json_schema"}, "no request of this target can break \\['json-schema-name'\\]"),
    ({"minItems", "type"}, {"content_parts"}, "can break \\['minItems'\\]"),
])
def test_rules_that_cannot_be_drawn_are_refused_at_once(violating, exclude, message):
    with pytest.raises(ValueError, match=message):
        invalid_requests(violating=violating, exclude=exclude)


def test_with_every_optional_feature_excluded_the_remaining_rules_are_still_drawn():
    bare = set(strategies.FEATURES)
    examples = draw(invalid_requests(exclude=bare, file_ids=[], vector_store_ids=[]), 200)
    rules = {example.rule for example in examples}
    assert {"type", "required", "additionalProperties", "enum", "not-json", "metadata-max-pairs"} <= rules
    for example in examples:
        assert_breaks_exactly_its_rule(example)
