"""Where each value of a request body sits in the shipped schema.

``sites(body)`` walks a valid ``CreateThreadAndRunRequest`` body alongside the schema and
yields, for every value in it, the schema nodes that govern it: ``matched`` (the nodes the value
validates against, through ``$ref``, ``allOf`` and the ``anyOf``/``oneOf`` branches it takes)
and ``possible`` (every branch it could have taken). Invalid requests break the rules written on
these nodes, so they follow the spec rather than a hand-kept list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

from conformance.core.spec import SCHEMA_PREFIX, document

REQUEST_SCHEMA = SCHEMA_PREFIX + "CreateThreadAndRunRequest"
Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Site:
    location: Location  # () is the whole body
    value: Any
    matched: tuple[str, ...]  # JSON pointers into the shipped spec
    possible: tuple[str, ...]


def format_path(location: Location) -> str:
    """``("thread", "messages", 0, "role")`` -> ``"$.thread.messages[0].role"``.

    Keys that are not identifiers are written ``['a key']``, as the description-rule checks do.
    """
    path = "$"
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}"
        else:
            path += f"[{part!r}]"
    return path


@cache
def node(pointer: str) -> dict[str, Any]:
    """The schema at ``pointer`` (``#/components/schemas/...``) in the shipped spec."""
    value: Any = document()
    for part in pointer.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


@cache
def node_validator(pointer: str) -> Any:
    components = {"schemas": document()["components"]["schemas"]}
    return jsonschema_rs.validator_for({"$ref": pointer, "components": components})


def sites(body: dict[str, Any]) -> Iterator[Site]:
    """Every value of a valid body that the schema governs, the body itself first, parents
    before children. Values inside open objects (function ``parameters``, a json_schema
    ``schema``) have no site."""
    return _walk(body, (), (REQUEST_SCHEMA,), (REQUEST_SCHEMA,))


def _walk(value: Any, location: Location, matched: tuple[str, ...], possible: tuple[str, ...]) -> Iterator[Site]:
    if not possible:  # inside an open object (function parameters, a json_schema schema)
        return
    matched = _expand(matched, value)
    possible = _expand(possible, value, every_branch=True)
    yield Site(location, value, matched, possible)
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, (*location, key), _properties(matched, key), _properties(possible, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*location, index), _items(matched), _items(possible))


def _expand(pointers: tuple[str, ...], value: Any, *, every_branch: bool = False) -> tuple[str, ...]:
    """The nodes and, through combinators, their subschemas: the ``anyOf``/``oneOf`` branches
    ``value`` validates against, or every branch."""
    out: list[str] = []
    pending = list(pointers)
    while pending:
        pointer = pending.pop(0)
        if pointer in out:
            continue
        out.append(pointer)
        schema = node(pointer)
        if "$ref" in schema:
            pending.append(schema["$ref"])
        pending += [f"{pointer}/allOf/{i}" for i in range(len(schema.get("allOf", ())))]
        for keyword in ("anyOf", "oneOf"):
            for i in range(len(schema.get(keyword, ()))):
                branch = f"{pointer}/{keyword}/{i}"
                if every_branch or node_validator(branch).is_valid(value):
                    pending.append(branch)
    return tuple(out)


def _properties(pointers: tuple[str, ...], key: str) -> tuple[str, ...]:
    children = []
    for pointer in pointers:
        schema = node(pointer)
        if key in schema.get("properties", {}):
            children.append(f"{pointer}/properties/{key.replace('~', '~0').replace('/', '~1')}")
        elif isinstance(schema.get("additionalProperties"), dict):
            children.append(f"{pointer}/additionalProperties")
    return tuple(children)


def _items(pointers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{pointer}/items" for pointer in pointers if isinstance(node(pointer).get("items"), dict))
