"""The tests' own reading of the shipped request schema, independent of ``strategies``.

The strategy tests judge generated examples against what this module derives from the spec:
every property, union branch and enum value (``schema_inventory``), the schema nodes at an
instance location (``pointers_at``), and whether one keyword alone makes a value invalid
(``broken_only_by``). The tests at the bottom pin this reading to known facts of the spec.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema_rs

from conformance.core.spec import SCHEMA_PREFIX, document

ROOT = SCHEMA_PREFIX + "CreateThreadAndRunRequest"
COMBINATORS = ("anyOf", "oneOf", "allOf")


def resolve(pointer: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    value: Any = doc if doc is not None else document()
    for part in pointer.removeprefix("#/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def closure(pointers: list[str]) -> list[str]:
    """The nodes and every subschema reachable through ``$ref`` and combinators."""
    out: list[str] = []
    pending = list(pointers)
    while pending:
        pointer = pending.pop()
        if pointer in out:
            continue
        out.append(pointer)
        schema = resolve(pointer)
        if "$ref" in schema:
            pending.append(schema["$ref"])
        for keyword in COMBINATORS:
            pending += [f"{pointer}/{keyword}/{i}" for i in range(len(schema.get(keyword, ())))]
    return out


def children(pointers: list[str], part: str | int) -> list[str]:
    found = []
    for pointer in closure(pointers):
        schema = resolve(pointer)
        if isinstance(part, int):
            if isinstance(schema.get("items"), dict):
                found.append(pointer + "/items")
        elif part in schema.get("properties", {}):
            found.append(f"{pointer}/properties/{part}")
        elif isinstance(schema.get("additionalProperties"), dict):
            found.append(pointer + "/additionalProperties")
    return found


def pointers_at(location: tuple[str | int, ...]) -> list[str]:
    """Every schema node that may govern the value at ``location``, whatever branch is taken."""
    pointers = [ROOT]
    for part in location:
        pointers = children(pointers, part)
    return pointers


@cache
def _validator(pointer: str, relaxed: tuple[str, str, str | None] | None = None) -> Any:
    """A validator of ``pointer``; ``relaxed`` = (node, keyword, required key) drops one rule."""
    schemas = document()["components"]["schemas"]
    if relaxed is not None:
        schemas = copy.deepcopy(schemas)
        node_pointer, keyword, key = relaxed
        node = resolve(node_pointer, {"components": {"schemas": schemas}})
        if keyword == "required":
            node["required"] = [name for name in node["required"] if name != key]
        else:
            del node[keyword]
    return jsonschema_rs.validator_for({"$ref": pointer, "components": {"schemas": schemas}})


def valid_at(pointers: list[str], value: Any) -> bool:
    return any(_validator(pointer).is_valid(value) for pointer in pointers)


def broken_only_by(pointers: list[str], value: Any, keyword: str, key: str | None = None) -> bool:
    """``value`` is invalid at these nodes, and dropping one occurrence of ``keyword`` (for
    ``required``: of ``key`` in one ``required`` list) in their combinator closure makes it valid."""
    if valid_at(pointers, value):
        return False
    for holder in closure(pointers):
        schema = resolve(holder)
        if keyword not in schema or (keyword == "required" and key not in schema["required"]):
            continue
        if any(_validator(pointer, (holder, keyword, key)).is_valid(value) for pointer in pointers):
            return True
    return False


@dataclass
class Inventory:
    """What the request schema contains, by instance template (``$.tools[*].type``)."""

    properties: set[str] = field(default_factory=set)  # templates of every property
    optional: set[str] = field(default_factory=set)  # templates of properties that may be omitted
    branches: set[str] = field(default_factory=set)  # pointers of every anyOf/oneOf branch
    enums: set[tuple[str, Any]] = field(default_factory=set)  # (template, value)
    keywords: set[tuple[str, str]] = field(default_factory=set)  # (template, rule keyword)


@cache
def schema_inventory() -> Inventory:
    inventory = Inventory()
    _survey([ROOT], "$", inventory)
    return inventory


def _survey(pointers: list[str], template: str, inventory: Inventory) -> None:
    nodes = closure(pointers)
    plain_string = any(resolve(p).get("type") == "string" and "enum" not in resolve(p) for p in nodes)
    for pointer in nodes:
        schema = resolve(pointer)
        for keyword in ("anyOf", "oneOf"):
            inventory.branches |= {f"{pointer}/{keyword}/{i}" for i in range(len(schema.get(keyword, ())))}
        if "enum" in schema and not plain_string:  # model's enum only suggests values (anyOf a string)
            inventory.enums |= {(template, value) for value in schema["enum"]}
            inventory.keywords.add((template, "enum"))
        for keyword in ("minimum", "maximum", "maxItems", "minItems"):
            if keyword in schema:
                inventory.keywords.add((template, keyword))
        if schema.get("type") == "object":
            if schema.get("required"):
                inventory.keywords.add((template, "required"))
            if schema.get("additionalProperties") is False:
                inventory.keywords.add((template, "additionalProperties"))
            if schema.get("oneOf"):
                inventory.keywords.add((template, "oneOf"))
        if "type" in schema and template != "$":
            inventory.keywords.add((template, "type"))
        for name in schema.get("properties", {}):
            inventory.properties.add(f"{template}.{name}")
            if name not in schema.get("required", ()):
                inventory.optional.add(f"{template}.{name}")
    keys = {name for p in nodes for name in resolve(p).get("properties", {})}
    for name in sorted(keys):
        _survey(children(pointers, name), f"{template}.{name}", inventory)
    open_values = [
        f"{p}/additionalProperties" for p in nodes if isinstance(resolve(p).get("additionalProperties"), dict)
    ]
    if open_values:
        _survey(open_values, template + "{*}", inventory)
    if any(isinstance(resolve(p).get("items"), dict) for p in nodes):
        _survey(children(pointers, 0), template + "[*]", inventory)


def template_of(location: tuple[str | int, ...]) -> str:
    """``("metadata", "any key")`` -> ``"$.metadata{*}"``; ``("tools", 3, "type")`` -> ``"$.tools[*].type"``."""
    template = "$"
    properties = schema_inventory().properties
    for part in location:
        if isinstance(part, int):
            template += "[*]"
        elif f"{template}.{part}" in properties:
            template += f".{part}"
        else:
            template += "{*}"
    return template


Location = tuple[str | int, ...]


def values_with_locations(value: Any, location: Location = ()) -> Iterator[tuple[Location, Any]]:
    yield location, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from values_with_locations(child, (*location, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from values_with_locations(child, (*location, index))


# --- the reading above, pinned to facts of the spec ----------------------------------------

def test_inventory_has_the_sixteen_request_properties_and_the_nested_ones():
    inventory = schema_inventory()
    top = {p for p in inventory.properties if p.count(".") == 1}
    assert len(top) == 16 and "$.assistant_id" in top and "$.assistant_id" not in inventory.optional
    stores = "$.thread.tool_resources.file_search.vector_stores[*]"
    assert f"{stores}.chunking_strategy.static.chunk_overlap_tokens" in inventory.properties
    assert "$.tools[*].function.strict" in inventory.properties
    assert ("$.thread.messages[*].role", "assistant") in inventory.enums
    assert not any(template == "$.model" for template, _ in inventory.enums)
    assert ("$.temperature", "maximum") in inventory.keywords
    assert ("$.thread.tool_resources.file_search", "oneOf") in inventory.keywords


def test_pointers_at_follows_every_branch():
    assert pointers_at(("thread", "messages", 0, "content", 0, "type")) and len(
        pointers_at(("thread", "messages", 0, "content", 0, "type"))) == 3
    assert pointers_at(("tools", 0, "file_search", "max_num_results")) == [
        SCHEMA_PREFIX + "AssistantToolsFileSearch/properties/file_search/properties/max_num_results"]


def test_broken_only_by_tells_the_keyword_that_breaks_a_value():
    temperature = pointers_at(("temperature",))
    assert broken_only_by(temperature, 2.5, "maximum")
    assert not broken_only_by(temperature, 2.5, "minimum")
    assert not broken_only_by(temperature, 1.5, "maximum")  # valid: nothing is broken
    role = pointers_at(("thread", "messages", 0, "role"))
    assert broken_only_by(role, "system", "enum")
    assert not broken_only_by(role, 1, "type")  # 1 breaks both type and enum
    message = pointers_at(("thread", "messages", 0))
    assert broken_only_by(message, {"content": "x"}, "required", "role")
    assert not broken_only_by(message, {"content": "x"}, "required", "content")
