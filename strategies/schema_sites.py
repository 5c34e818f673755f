"""Where each value of a request body sits in a spec profile's schema.

``sites(body, spec)`` walks a valid ``CreateThreadAndRunRequest`` body alongside the schema of
``spec`` (a profile's, ``conformance.core.spec.spec_for``) and yields, for every value in it,
the schema nodes that govern it: ``matched`` (the nodes the value validates against, through
``$ref``, ``allOf`` and the ``anyOf``/``oneOf`` branches it takes) and ``possible`` (every
branch it could have taken). Invalid requests break the rules written on these nodes, so they
follow the profile's spec rather than a hand-kept list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

from conformance.core.spec import SCHEMA_PREFIX, Spec, spec_for
from conformance.core.spec.profiles import SPEC_PROFILES

REQUEST_SCHEMA = SCHEMA_PREFIX + "CreateThreadAndRunRequest"
Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Site:
    location: Location  # () is the whole body
    value: Any
    matched: tuple[str, ...]  # JSON pointers into the spec's document
    possible: tuple[str, ...]
    spec: Spec


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


def _resolve(document: dict[str, Any], pointer: str) -> Any:
    value: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


@cache
def node(pointer: str, spec: Spec) -> dict[str, Any]:
    """The schema at ``pointer`` (``#/components/schemas/...``) in the spec's document."""
    return _resolve(spec.document, pointer)


@cache
def node_validator(pointer: str, spec: Spec) -> Any:
    components = {"schemas": spec.document["components"]["schemas"]}
    return jsonschema_rs.validator_for({"$ref": pointer, "components": components})


def sites(body: dict[str, Any], spec: Spec) -> Iterator[Site]:
    """Every value of a valid body that the schema governs, the body itself first, parents
    before children. Values inside open objects (function ``parameters``, a json_schema
    ``schema``) have no site."""
    return _walk(body, (), (REQUEST_SCHEMA,), (REQUEST_SCHEMA,), spec)


def declared_properties(site: Site) -> frozenset[str]:
    """The property names the schema declares for the object at ``site``, whatever its branch."""
    return _declared(site.possible, site.spec)


@cache
def _declared(possible: tuple[str, ...], spec: Spec) -> frozenset[str]:
    return frozenset(key for pointer in possible for key in node(pointer, spec).get("properties", {}))


def properties_of_other_profiles(site: Site) -> list[str]:
    """The property names another spec profile declares at this site and the site's does not
    (``parallel_tool_calls`` at the top under v2-2024Q2, v1's ``file_ids`` of messages under
    v2-current): a server of the site's profile must reject them as unknown. Sorted."""
    return _properties_of_other_profiles(site.possible, site.spec)


@cache
def _properties_of_other_profiles(possible: tuple[str, ...], spec: Spec) -> list[str]:
    elsewhere: set[str] = set()
    for profile in SPEC_PROFILES.values():
        document = spec_for(profile).document
        for pointer in possible:
            try:
                elsewhere |= set(_resolve(document, pointer).get("properties", {}))
            except (KeyError, IndexError, AttributeError):  # no such node in that profile
                continue
    return sorted(elsewhere - _declared(possible, spec))


def _walk(value: Any, location: Location, matched: tuple[str, ...], possible: tuple[str, ...],
          spec: Spec) -> Iterator[Site]:
    if not possible:  # inside an open object (function parameters, a json_schema schema)
        return
    matched = _expand(matched, value, spec)
    possible = _expand(possible, value, spec, every_branch=True)
    yield Site(location, value, matched, possible, spec)
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, (*location, key), _properties(matched, key, spec),
                             _properties(possible, key, spec), spec)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*location, index), _items(matched, spec), _items(possible, spec), spec)


def _expand(pointers: tuple[str, ...], value: Any, spec: Spec, *, every_branch: bool = False) -> tuple[str, ...]:
    """The nodes and, through combinators, their subschemas: the ``anyOf``/``oneOf`` branches
    ``value`` validates against, or every branch."""
    out: list[str] = []
    pending = list(pointers)
    while pending:
        pointer = pending.pop(0)
        if pointer in out:
            continue
        out.append(pointer)
        schema = node(pointer, spec)
        if "$ref" in schema:
            pending.append(schema["$ref"])
        pending += [f"{pointer}/allOf/{i}" for i in range(len(schema.get("allOf", ())))]
        for keyword in ("anyOf", "oneOf"):
            for i in range(len(schema.get(keyword, ()))):
                branch = f"{pointer}/{keyword}/{i}"
                if every_branch or node_validator(branch, spec).is_valid(value):
                    pending.append(branch)
    return tuple(out)


def _properties(pointers: tuple[str, ...], key: str, spec: Spec) -> tuple[str, ...]:
    children = []
    for pointer in pointers:
        schema = node(pointer, spec)
        if key in schema.get("properties", {}):
            children.append(f"{pointer}/properties/{key.replace('~', '~0').replace('/', '~1')}")
        elif isinstance(schema.get("additionalProperties"), dict):
            children.append(f"{pointer}/additionalProperties")
    return tuple(children)


def _items(pointers: tuple[str, ...], spec: Spec) -> tuple[str, ...]:
    return tuple(f"{pointer}/items" for pointer in pointers if isinstance(node(pointer, spec).get("items"), dict))
