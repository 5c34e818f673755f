"""Invalid requests: a valid body with exactly one rule broken, labelled with that rule.

The bodies start from ``request_bodies`` in dense mode (every optional property present), and
``schema_sites`` says which rules the spec profile's schema puts on each value (the shipped
schema's under the default profile, v2-current); a mutation breaks one of them, as that profile
reads it, and nothing else. Rules written only in descriptions (metadata limits, names, chunk
overlap) and raw-body rules (not JSON, not an object) come on top.

Each rule is one record of ``INVALID_RULES``: its name, the requirement a body breaking it is
judged under, the features a target needs for it to be breakable, and the ways to break it.

What is not generated, and why:
- ``thread: null`` and integral floats such as ``256.0`` for an integer (see the positions of the
  request validation requirement in the catalogue); non-integral numbers used as wrong types are
  never integral;
- a wrong JSON type where the node also has an ``enum`` (that breaks two keywords; the enum
  mutation covers the node) or a type-agnostic ``oneOf`` (``file_search`` of thread resources:
  a non-object matches both branches), or where a typed node also has a ``oneOf`` whose branches
  are typed too (``chunking_strategy``: a non-object breaks ``type`` there and on both branches,
  and without those it matches both branches);
- ``maxItems`` of ``vector_stores[].file_ids`` (100,000,000): too large to send;
- ``format: uri`` of image URLs: an annotation in JSON Schema 2020-12, not an assertion;
- under v1, the length limits of message content (1 to 256,000 characters): no rule breaks a
  string's length, the shipped schema having none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

from hypothesis import reject
from hypothesis import strategies as st

from conformance.core.catalogue import REQ_002, REQ_003, REQ_004, REQ_005, Requirement
from conformance.core.spec import SCHEMA_PREFIX, Spec
from conformance.core.spec.description_rules import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_PAIRS,
    METADATA_MAX_VALUE_LENGTH,
    NAME_PATTERN,
    description_rule_violations,
)
from conformance.core.spec.profiles import DEFAULT_PROFILE, SpecProfile
from strategies.requests import json_schema_formats, request_bodies, static_chunking, vector_store_helpers
from strategies.schema_sites import (
    Location,
    Site,
    declared_properties,
    format_path,
    node,
    node_validator,
    properties_of_other_profiles,
    sites,
)
from strategies.space import (
    DEFAULT_ASSISTANT_IDS,
    DEFAULT_FILE_IDS,
    DEFAULT_VECTOR_STORE_IDS,
    RequestSpace,
    make_request_space,
    target_features,
)
from strategies.values import NAME_ALPHABET, NAME_MAX_LENGTH, texts_of_length

# Arrays longer than this are not worth sending to break a maxItems.
_LARGEST_MUTANT_ARRAY = 1000
# Keywords that constrain values of every JSON type: a wrong type would break them as well.
_TYPE_AGNOSTIC_KEYWORDS = frozenset({"enum", "const", "oneOf", "anyOf", "allOf", "not"})
# Realistic unknown keys: createRun-only and v1 properties, then plain ones; besides these, the
# properties other spec profiles have at the object (schema_sites.properties_of_other_profiles).
_UNKNOWN_KEYS = (
    "file_ids", "thread_id", "additional_instructions", "additional_messages", "reasoning_effort",
    "include", "unknown_property",
)
_UNKNOWN_VALUES = (None, "x", 1, True, [], {})
# Enum values of other spec versions and neighbouring APIs.
_NEAR_MISSES = (
    "retrieval", "web_search", "system", "developer", "tool", "none", "any", "json", "first",
    "semantic", "bm25", "max", "audio", "input_text",
)
_BAD_NAMES = ("", "has space", "dot.name", "slash/name", "tab\tname", "ünïcödé", "emoji😀", "colon:name")


@dataclass(frozen=True)
class InvalidRequest:
    """A request body that breaks exactly one rule, and which rule.

    ``body`` is a dict to send as JSON, or ``bytes`` to send as they are (raw-body rules).
    ``path`` is JSONPath-like (``"$.temperature"``, ``"$.thread.messages[0].role"``, ``"$"``
    for the whole body); for ``required`` and ``additionalProperties`` it is the missing or
    unknown key. ``location`` is the same path as a tuple of keys and indexes. ``rule`` is the
    name of one of ``INVALID_RULES``; ``requirement`` the catalogue requirement it belongs to.
    ``valid_body`` is the valid body the mutation started from: send it too, to tell a server
    that validates from one that rejects everything.
    """

    body: dict[str, Any] | bytes
    path: str
    rule: str
    requirement: Requirement
    description: str
    location: Location
    valid_body: dict[str, Any]

    @property
    def content(self) -> bytes:
        """The request body as sent: UTF-8 JSON for a dict, the bytes themselves otherwise."""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False, allow_nan=False).encode()


# A broken body, the location of the broken rule, and a description of what is wrong.
Mutant = tuple[Any, Location, str]
# One way to break a rule: (draw, a clone of the valid body) -> the mutant.
Apply = Callable[[st.DrawFn, dict[str, Any]], Mutant]


@dataclass(frozen=True)
class _Context:
    space: RequestSpace
    named_functions: set[str]  # named by tool_choice: renaming one would break a second rule


# The ways to break a rule in a body: (the location of the value it changes, how).
Ways = Callable[[dict[str, Any], _Context], Iterator[tuple[Location, Apply]]]


@dataclass(frozen=True)
class InvalidRule:
    """One rule a request body can break, and everything the suite knows of it."""

    name: str
    kind: Literal["schema", "description", "raw"]  # written in the schema, in a description, or in JSON itself
    requirement: Requirement  # a body breaking this rule is judged under it
    ways: Ways
    # The features a target needs for a body to break the rule: every feature of one of these
    # alternatives (none: always breakable).
    needs: tuple[frozenset[str], ...] = ()


def invalid_requests(
    *,
    violating: str | Collection[str] | None = None,
    assistant_ids: Sequence[str] = DEFAULT_ASSISTANT_IDS,
    models: Sequence[str] | None = None,
    file_ids: Sequence[str] = DEFAULT_FILE_IDS,
    vector_store_ids: Sequence[str] = DEFAULT_VECTOR_STORE_IDS,
    stream: bool | None = None,
    exclude: Collection[str] = frozenset(),
    profile: str | SpecProfile = DEFAULT_PROFILE,
) -> st.SearchStrategy[InvalidRequest]:
    """Requests that break exactly one rule: a valid body and one mutation.

    ``violating`` picks the rules (one name or a collection of ``RULES``, the names of
    ``INVALID_RULES``; None: all of them);
    each example breaks one of them, the rules drawn about equally often. Every rule of the
    ``CreateThreadAndRunRequest`` schema of ``profile`` and of its descriptions is covered (see
    the module docstring for the few exceptions): the example is invalid for that profile, and
    an unknown key is now and then a property another profile has there (``parallel_tool_calls``
    under v2-2024Q2, ``tool_resources`` under v1), which a server of this profile must reject.
    The other parameters are those of ``create_thread_and_run_requests``: the valid body uses
    the target's ids and features;
    with ``stream`` True or False, ``stream`` itself is never the broken value.

    Raises ``ValueError`` for an unknown rule, or a rule no body of this target can break
    (``breakable_rules`` says which can).
    """
    space = replace(
        make_request_space(assistant_ids=assistant_ids, models=models, file_ids=file_ids,
                           vector_store_ids=vector_store_ids, stream=stream, exclude=exclude, profile=profile),
        dense=True,
    )
    # The rule first, so that every rule is drawn as often, whatever its number of sites.
    rules = st.sampled_from(_requested_rules(violating, space))
    bodies = request_bodies(space)

    @st.composite
    def mutants(draw: st.DrawFn) -> InvalidRequest:
        rule = draw(rules)
        body = _with_branch_for(rule, draw, draw(bodies), space)
        ways = [apply for _, apply in _ways_to_break(rule, body, space)]
        if not ways:
            reject()  # e.g. minItems, and no message of the body has content parts
        apply = draw(st.sampled_from(ways))
        mutant, location, description = apply(draw, _clone(body))
        if not _breaks_only(mutant, rule, location, space.spec):
            reject()  # e.g. a chunk size below 100 that also breaks the overlap rule
        return InvalidRequest(
            body=mutant, path=format_path(location), rule=rule.name, requirement=rule.requirement,
            description=description, location=location, valid_body=body,
        )

    return mutants()


def _with_branch_for(rule: InvalidRule, draw: st.DrawFn, body: dict[str, Any], space: RequestSpace) -> dict[str, Any]:
    """The body, with the branch a rule needs drawn into it when random bodies seldom have it
    (one response_format in four is a json_schema; one vector store in four chunks statically)."""
    if rule.name == "json-schema-name":
        body["response_format"] = draw(json_schema_formats(space))
    elif rule.name == "chunk-overlap-max-half":
        store = {**draw(vector_store_helpers(space)), "chunking_strategy": draw(static_chunking())}
        body["thread"]["tool_resources"]["file_search"] = {"vector_stores": [store]}
    return body


def _requested_rules(violating: str | Collection[str] | None, space: RequestSpace) -> tuple[InvalidRule, ...]:
    if violating is None:
        requested = frozenset(RULES)
    else:
        requested = frozenset([violating] if isinstance(violating, str) else violating)
    unknown = requested - frozenset(RULES)
    if unknown or not requested:
        raise ValueError(f"unknown rules {sorted(unknown)}; known rules: {', '.join(RULES)}")
    available = [rule for rule in _breakable(space.features) if rule.name in requested]
    if violating is not None and len(available) != len(requested):
        missing = sorted(requested - {rule.name for rule in available})
        raise ValueError(f"no request of this target can break {missing}: a feature it needs is excluded")
    return tuple(available)


def breakable_rules(
    *, exclude: Collection[str] = frozenset(), profile: str | SpecProfile = DEFAULT_PROFILE,
) -> tuple[InvalidRule, ...]:
    """The rules of ``INVALID_RULES`` some request of a target can break: one of spec ``profile``
    that lacks the features ``exclude`` (e.g. under v1 not ``oneOf``, which needs tool_resources)."""
    return _breakable(target_features(exclude, profile))


def _breakable(features: frozenset[str]) -> tuple[InvalidRule, ...]:
    return tuple(rule for rule in INVALID_RULES
                 if not rule.needs or any(needed <= features for needed in rule.needs))


def _breaks_only(mutant: Any, rule: InvalidRule, location: Location, spec: Spec) -> bool:
    """The guard behind the label: the mutant breaks the profile's schema or exactly the labelled
    description rule, and nothing else."""
    if rule.kind == "raw":
        return True
    schema_valid = spec.validator("CreateThreadAndRunRequest").is_valid(mutant)
    violations = description_rule_violations(mutant)
    if rule.kind == "schema":
        return not schema_valid and not violations
    return schema_valid and [(v.rule, v.path) for v in violations] == [(rule.name, format_path(location))]


def _ways_to_break(rule: InvalidRule, body: dict[str, Any], space: RequestSpace) -> Iterator[tuple[Location, Apply]]:
    """Each way to break ``rule`` in ``body``, with the location of the value it changes
    (for required and additionalProperties: of the object)."""
    return rule.ways(body, _Context(space, _named_functions(body)))


def _at_sites(ways_at: Callable[[Site, _Context], Iterator[Apply]]) -> Ways:
    """The ways to break a rule written on schema nodes: at every site of the body (but ``stream``
    when the caller fixed it)."""
    def ways(body: dict[str, Any], context: _Context) -> Iterator[tuple[Location, Apply]]:
        for site in sites(body, context.space.spec):
            if site.location == ("stream",) and context.space.stream is not None:
                continue
            for apply in ways_at(site, context):
                yield site.location, apply
    return ways


def _whole_body(apply: Apply) -> Ways:
    """The way to break a rule of the body as a whole (its JSON)."""
    def ways(body: dict[str, Any], context: _Context) -> Iterator[tuple[Location, Apply]]:
        yield (), apply
    return ways


# --- schema rules --------------------------------------------------------------------------
# Each function yields, for one site, the ways to break its rule there.

def _type_sites(site: Site, context: _Context) -> Iterator[Apply]:
    if site.location and _wrong_type_values(site):
        yield lambda draw, body: _retype(draw, body, site)


def _enum_sites(site: Site, context: _Context) -> Iterator[Apply]:
    if isinstance(site.value, str) and _has_enum_rule(site):
        yield lambda draw, body: _leave_enum(draw, body, site)


def _minimum_sites(site: Site, context: _Context) -> Iterator[Apply]:
    for schema in _schemas(site, "minimum"):
        if _is_number(site.value):
            yield lambda draw, body, schema=schema: _below(draw, body, site.location, schema)


def _maximum_sites(site: Site, context: _Context) -> Iterator[Apply]:
    for schema in _schemas(site, "maximum"):
        if _is_number(site.value):
            yield lambda draw, body, schema=schema: _above(draw, body, site.location, schema)


def _max_items_sites(site: Site, context: _Context) -> Iterator[Apply]:
    for schema in _schemas(site, "maxItems"):
        if isinstance(site.value, list) and site.value and schema["maxItems"] < _LARGEST_MUTANT_ARRAY:
            yield lambda draw, body, most=schema["maxItems"]: _overfill(draw, body, site.location, most)


def _min_items_sites(site: Site, context: _Context) -> Iterator[Apply]:
    for schema in _schemas(site, "minItems"):
        if isinstance(site.value, list) and schema["minItems"] > 0:
            yield lambda draw, body, least=schema["minItems"]: _underfill(body, site.location, least)


def _required_sites(site: Site, context: _Context) -> Iterator[Apply]:
    for schema in _object_schemas(site, "required"):
        for key in schema["required"]:
            yield lambda draw, body, key=key: _remove(body, (*site.location, key))


def _additional_properties_sites(site: Site, context: _Context) -> Iterator[Apply]:
    for schema in _object_schemas(site, "additionalProperties"):
        if schema["additionalProperties"] is False:
            yield lambda draw, body: _add_unknown(draw, body, site)


def _one_of_sites(site: Site, context: _Context) -> Iterator[Apply]:
    # Only a oneOf of branches that each require a key can be broken by itself; the other
    # oneOfs (tools, content parts, tool_choice...) are broken through their branches' rules.
    for schema in _object_schemas(site, "oneOf"):
        if all(branch.keys() == {"required"} for branch in schema["oneOf"]):
            yield lambda draw, body, schema=schema: _break_one_of(draw, body, site.location, schema)


def _schemas(site: Site, keyword: str) -> list[dict[str, Any]]:
    return [schema for schema in (node(pointer, site.spec) for pointer in site.matched) if keyword in schema]


def _object_schemas(site: Site, keyword: str) -> list[dict[str, Any]]:
    if not isinstance(site.value, dict):
        return []
    return [schema for schema in _schemas(site, keyword) if schema.get("type") == "object"]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@cache
def _type_rule(possible: tuple[str, ...], spec: Spec) -> tuple[frozenset[str], int | None]:
    """The JSON types some branch accepts, and whether a wrong type breaks only ``type``:
    the lowest minimum of the integer branches (0 if none), or None when every typed branch
    also has a keyword that applies to values of any type, or when a typed node also has a
    ``oneOf``/``anyOf`` (its branches, the type aside, then match a wrong type alike)."""
    accepted: set[str] = set()
    for pointer in possible:
        declared = node(pointer, spec).get("type", ())
        accepted |= {declared} if isinstance(declared, str) else set(declared)
    if "number" in accepted:
        accepted.add("integer")
    nodes = [node(pointer, spec) for pointer in possible]
    typed = [schema for schema in nodes if "type" in schema and not (_TYPE_AGNOSTIC_KEYWORDS & schema.keys())]
    combined = any("type" in schema and {"oneOf", "anyOf"} & schema.keys() for schema in nodes)
    if not typed or combined:
        return frozenset(accepted), None
    return frozenset(accepted), min((s.get("minimum", 0) for s in typed if s.get("type") == "integer"), default=0)


def _wrong_type_values(site: Site) -> list[Any]:
    """Values of a JSON type no branch at the site accepts, and that break nothing else."""
    accepted, lowest = _type_rule(site.possible, site.spec)
    if lowest is None:
        return []
    value = site.value
    scalar = value is not None and not isinstance(value, dict | list)
    samples = [
        json.dumps(value) if scalar and not isinstance(value, str) else "x",  # "256", "true": coercion bait
        1,
        lowest + 0.5,  # not integral, and above an integer branch's minimum
        True,
        None,
        [value] if scalar else [],
        {},
    ]
    wrong = [sample for sample in samples if _json_type(sample) not in accepted]
    if site.location == ("thread",):
        wrong = [sample for sample in wrong if sample is not None]  # thread: null is not sent (see the module)
    return wrong


def _retype(draw: st.DrawFn, body: dict[str, Any], site: Site) -> Mutant:
    wrong = draw(st.sampled_from(_wrong_type_values(site)))
    path = format_path(site.location)
    return _put(body, site.location, wrong), site.location, f"{path} is {_json_type(wrong)} {json.dumps(wrong)[:40]}"


def _has_enum_rule(site: Site) -> bool:
    # An enum constrains the value only if no branch also takes any string (model: anyOf
    # [string, enum] accepts every string).
    possible = [node(p, site.spec) for p in site.possible]
    plain_string = any(schema.get("type") == "string" and "enum" not in schema for schema in possible)
    return not plain_string and any("enum" in node(p, site.spec) for p in site.matched)


def _leave_enum(draw: st.DrawFn, body: dict[str, Any], site: Site) -> Mutant:
    value = site.value
    candidates = dict.fromkeys((*_NEAR_MISSES, value.upper(), value.title(), value + " ", ""))
    outside = [c for c in candidates if not any(node_validator(p, site.spec).is_valid(c) for p in site.possible)]
    choice = draw(st.sampled_from(outside))
    path = format_path(site.location)
    return _put(body, site.location, choice), site.location, f"{path} is {choice!r}, not one of the enum"


def _below(draw: st.DrawFn, body: dict[str, Any], location: Location, schema: dict[str, Any]) -> Mutant:
    low = schema["minimum"]
    if schema.get("type") == "integer":
        value = draw(st.one_of(st.just(low - 1), st.integers(min_value=low - 1000, max_value=low - 1)))
    else:
        value = draw(st.floats(min_value=low - 10, max_value=math.nextafter(low, -math.inf)))
    return _put(body, location, value), location, f"{format_path(location)} {value} is below the minimum {low}"


def _above(draw: st.DrawFn, body: dict[str, Any], location: Location, schema: dict[str, Any]) -> Mutant:
    high = schema["maximum"]
    if schema.get("type") == "integer":
        value = draw(st.one_of(st.just(high + 1), st.integers(min_value=high + 1, max_value=high + 1000)))
    else:
        value = draw(st.floats(min_value=math.nextafter(high, math.inf), max_value=high + 10))
    return _put(body, location, value), location, f"{format_path(location)} {value} is above the maximum {high}"


def _overfill(draw: st.DrawFn, body: dict[str, Any], location: Location, most: int) -> Mutant:
    # Copies of the array's own (valid) items, so that only the count is wrong.
    items = _get(body, location)
    size = most + draw(st.integers(min_value=1, max_value=3))
    longer = [_clone(items[i % len(items)]) for i in range(size)]
    return _put(body, location, longer), location, f"{format_path(location)} has {size} items; at most {most} allowed"


def _underfill(body: dict[str, Any], location: Location, least: int) -> Mutant:
    shorter = _get(body, location)[: least - 1]
    description = f"{format_path(location)} has {len(shorter)} items; at least {least}"
    return _put(body, location, shorter), location, description


def _remove(body: dict[str, Any], location: Location) -> Mutant:
    del _get(body, location[:-1])[location[-1]]
    return body, location, f"required {format_path(location)} is missing"


def _add_unknown(draw: st.DrawFn, body: dict[str, Any], site: Site) -> Mutant:
    # Half the time, where there is one, a property of another spec profile: the mistake a client
    # of another version makes.
    elsewhere = properties_of_other_profiles(site)
    declared = declared_properties(site)
    keys = elsewhere if elsewhere and draw(st.booleans()) else [k for k in _UNKNOWN_KEYS if k not in declared]
    key = draw(st.sampled_from(keys))
    _get(body, site.location)[key] = _clone(draw(st.sampled_from(_UNKNOWN_VALUES)))
    location = (*site.location, key)
    return body, location, f"{format_path(location)} is not a property of this object"


def _break_one_of(draw: st.DrawFn, body: dict[str, Any], location: Location, schema: dict[str, Any]) -> Mutant:
    # Branches that each require one key: keep none of the keys, or all of them.
    obj = _get(body, location)
    keys = [key for branch in schema["oneOf"] for key in branch["required"]]
    if draw(st.booleans()):
        for key in keys:
            obj.pop(key, None)
        return body, location, f"{format_path(location)} has none of {keys}; exactly one is required"
    for key in keys:
        obj.setdefault(key, [])  # both keys are arrays with no minimum size
    return body, location, f"{format_path(location)} has all of {keys}; exactly one is allowed"


# --- description rules ---------------------------------------------------------------------

def _is_metadata(site: Site) -> bool:
    return isinstance(site.value, dict) and SCHEMA_PREFIX + "Metadata" in site.matched


def _too_many_pairs_sites(site: Site, context: _Context) -> Iterator[Apply]:
    if _is_metadata(site):
        yield lambda draw, body: _too_many_pairs(draw, body, site.location)


def _too_long_key_sites(site: Site, context: _Context) -> Iterator[Apply]:
    if _is_metadata(site):
        yield lambda draw, body: _too_long_key(draw, body, site.location)


def _too_long_value_sites(site: Site, context: _Context) -> Iterator[Apply]:
    if _is_metadata(site):
        yield lambda draw, body: _too_long_value(draw, body, site.location)


def _function_name_sites(site: Site, context: _Context) -> Iterator[Apply]:
    # A function named by tool_choice keeps its name: renaming it would leave tool_choice
    # naming a missing function, a second reason to reject.
    if SCHEMA_PREFIX + "FunctionObject" in site.matched and site.value["name"] not in context.named_functions:
        yield lambda draw, body: _rename(draw, body, (*site.location, "name"))


def _json_schema_name_sites(site: Site, context: _Context) -> Iterator[Apply]:
    if SCHEMA_PREFIX + "ResponseFormatJsonSchema" in site.matched:
        yield lambda draw, body: _rename(draw, body, (*site.location, "json_schema", "name"))


def _chunk_overlap_sites(site: Site, context: _Context) -> Iterator[Apply]:
    chunk_keys = {"max_chunk_size_tokens", "chunk_overlap_tokens"}
    if any(chunk_keys <= node(p, site.spec).get("properties", {}).keys() for p in site.matched):
        yield lambda draw, body: _overlap_too_much(draw, body, site.location)


def _named_functions(body: dict[str, Any]) -> set[str]:
    choice = body.get("tool_choice")
    function = choice.get("function") if isinstance(choice, dict) else None
    return {function["name"]} if isinstance(function, dict) else set()


def _too_many_pairs(draw: st.DrawFn, body: dict[str, Any], location: Location) -> Mutant:
    metadata = _get(body, location)
    size = METADATA_MAX_PAIRS + draw(st.integers(min_value=1, max_value=4))
    i = 0
    while len(metadata) < size:
        metadata.setdefault(f"extra_{i}", "v")
        i += 1
    return body, location, f"{format_path(location)} has {size} pairs; at most {METADATA_MAX_PAIRS} are allowed"


def _too_long_key(draw: st.DrawFn, body: dict[str, Any], location: Location) -> Mutant:
    metadata = _get(body, location)
    key = draw(texts_of_length(draw(st.integers(METADATA_MAX_KEY_LENGTH + 1, 2 * METADATA_MAX_KEY_LENGTH))))
    if len(metadata) >= METADATA_MAX_PAIRS:  # replace a pair rather than add a 17th
        del metadata[next(iter(metadata))]
    metadata[key] = "v"
    description = f"{format_path(location)} has a key of {len(key)} characters; at most {METADATA_MAX_KEY_LENGTH}"
    return body, location, description


def _too_long_value(draw: st.DrawFn, body: dict[str, Any], location: Location) -> Mutant:
    metadata = _get(body, location)
    key = draw(st.sampled_from(sorted(metadata))) if metadata else "key"
    value = draw(texts_of_length(draw(st.integers(METADATA_MAX_VALUE_LENGTH + 1, 2 * METADATA_MAX_VALUE_LENGTH))))
    metadata[key] = value
    location = (*location, key)
    return body, location, f"{format_path(location)} has {len(value)} characters; at most {METADATA_MAX_VALUE_LENGTH}"


def _rename(draw: st.DrawFn, body: dict[str, Any], location: Location) -> Mutant:
    too_long = texts_of_length(NAME_MAX_LENGTH + 1, st.sampled_from(NAME_ALPHABET))
    name = draw(st.one_of(st.sampled_from(_BAD_NAMES), too_long))
    assert not NAME_PATTERN.fullmatch(name)
    return _put(body, location, name), location, f"{format_path(location)} {name[:80]!r} is not ^[a-zA-Z0-9_-]{{1,64}}$"


def _overlap_too_much(draw: st.DrawFn, body: dict[str, Any], location: Location) -> Mutant:
    static = _get(body, location)
    size = static["max_chunk_size_tokens"]
    overlap = draw(st.integers(min_value=size // 2 + 1, max_value=2 * size))
    location = (*location, "chunk_overlap_tokens")
    return _put(body, location, overlap), location, f"chunk_overlap_tokens {overlap} > max_chunk_size_tokens {size} / 2"


# --- raw bodies ----------------------------------------------------------------------------

def _not_json(draw: st.DrawFn, body: dict[str, Any]) -> Mutant:
    text = json.dumps(body, ensure_ascii=False)
    variants = {
        "a truncated JSON document": text[:-1].encode(),
        "JSON with a trailing comma": (text[:-1] + ",}").encode(),
        "a Python dict literal": repr(body).encode(),
        # Python's json module writes (and reads) NaN; JSON has no such value.
        "JSON with NaN": json.dumps({**body, "temperature": float("nan")}, ensure_ascii=False).encode(),
        "JSON followed by garbage": (text + "}").encode(),
        "an empty body": b"",
        "JSON with a byte that is not UTF-8": text.encode().replace(b'"', b'"\xff', 1),
    }
    name = draw(st.sampled_from(sorted(variants)))
    return variants[name], (), f"the body is {name}"


def _not_an_object(draw: st.DrawFn, body: dict[str, Any]) -> Mutant:
    value = draw(st.sampled_from([[body], [], body.get("assistant_id", "x"), 1, 1.5, None, True]))
    return json.dumps(value, ensure_ascii=False).encode(), (), f"the body is a JSON {_json_type(value)}, not an object"


def _needs(*alternatives: set[str]) -> tuple[frozenset[str], ...]:
    return tuple(map(frozenset, alternatives))


INVALID_RULES: tuple[InvalidRule, ...] = (
    InvalidRule("type", "schema", REQ_002, _at_sites(_type_sites)),
    InvalidRule("minimum", "schema", REQ_002, _at_sites(_minimum_sites), _needs(
        {"temperature"}, {"top_p"}, {"max_tokens"}, {"truncation_strategy"},
        {"file_search", "max_num_results"}, {"file_search", "ranking_options"})),
    InvalidRule("maximum", "schema", REQ_002, _at_sites(_maximum_sites), _needs(
        {"temperature"}, {"top_p"}, {"file_search", "max_num_results"}, {"file_search", "ranking_options"})),
    InvalidRule("maxItems", "schema", REQ_002, _at_sites(_max_items_sites),
                _needs({"function"}, {"code_interpreter"}, {"file_search"}, {"retrieval"}, {"file_ids"})),
    InvalidRule("minItems", "schema", REQ_002, _at_sites(_min_items_sites), _needs({"content_parts"}, {"file_ids"})),
    InvalidRule("enum", "schema", REQ_002, _at_sites(_enum_sites)),
    InvalidRule("required", "schema", REQ_002, _at_sites(_required_sites)),
    InvalidRule("additionalProperties", "schema", REQ_002, _at_sites(_additional_properties_sites)),
    InvalidRule("oneOf", "schema", REQ_002, _at_sites(_one_of_sites), _needs({"tool_resources", "file_search"})),
    InvalidRule("metadata-max-pairs", "description", REQ_003, _at_sites(_too_many_pairs_sites)),
    InvalidRule("metadata-key-length", "description", REQ_003, _at_sites(_too_long_key_sites)),
    InvalidRule("metadata-value-length", "description", REQ_003, _at_sites(_too_long_value_sites)),
    InvalidRule("function-name", "description", REQ_004, _at_sites(_function_name_sites), _needs({"function"})),
    InvalidRule("json-schema-name", "description", REQ_004, _at_sites(_json_schema_name_sites),
                _needs({"response_format", "json_schema"})),
    InvalidRule("chunk-overlap-max-half", "description", REQ_004, _at_sites(_chunk_overlap_sites),
                _needs({"tool_resources", "file_search", "vector_stores", "chunking_strategy"})),
    InvalidRule("not-json", "raw", REQ_005, _whole_body(_not_json)),
    InvalidRule("not-an-object", "raw", REQ_005, _whole_body(_not_an_object)),
)
RULES = tuple(rule.name for rule in INVALID_RULES)
SCHEMA_RULES = tuple(rule.name for rule in INVALID_RULES if rule.kind == "schema")
DESCRIPTION_RULES = tuple(rule.name for rule in INVALID_RULES if rule.kind == "description")
RAW_RULES = tuple(rule.name for rule in INVALID_RULES if rule.kind == "raw")


# --- editing -------------------------------------------------------------------------------

def _clone(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clone(item) for item in value]
    return value


def _get(body: Any, location: Location) -> Any:
    for part in location:
        body = body[part]
    return body


def _put(body: dict[str, Any], location: Location, value: Any) -> dict[str, Any]:
    _get(body, location[:-1])[location[-1]] = value
    return body
