"""The spec of one profile: its document, built once, and everything derived from it.

``spec_for(profile)`` gives the ``Spec`` of a profile: the shipped document for ``v2-current``,
else a copy whose schemas the profile's changes took back in time (schemas no longer reachable
are dropped, so that ``schema("ParallelToolCalls")`` fails where the property did not exist).
Validators are compiled once per spec and name: every response is validated, a hot path.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from conformance.core.spec.history import SCHEMA_PREFIX, Schemas, schema_refs
from conformance.core.spec.profiles import DEFAULT_PROFILE, SpecProfile, get_profile
from conformance.core.spec.validators import SchemaValidator

SPEC_FILE = "assistants-v2.json"
SPEC_COMMIT = "f85dbe2"
NULL_INSTRUCTIONS = ("instructions is null; the schema says string (the spec's examples show null: a deviation, "
                     "not a failure)")


@cache
def shipped_document() -> dict[str, Any]:
    """The shipped OpenAPI document (do not mutate it)."""
    text = resources.files(__package__).joinpath(SPEC_FILE).read_text(encoding="utf-8")
    return json.loads(text)


class Spec:
    """One profile's OpenAPI document (do not mutate it), its schemas, validators and events."""

    def __init__(self, profile: SpecProfile, document: dict[str, Any]) -> None:
        self.profile = profile
        self.document = document
        self._validators: dict[str, SchemaValidator] = {}
        self._event_data_schemas: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"<Spec {self.profile.name}>"

    def schema_names(self) -> list[str]:
        return sorted(self.document["components"]["schemas"])

    def schema(self, name: str) -> dict[str, Any]:
        """A self-contained JSON Schema for component ``name`` (refs resolve inside it)."""
        schemas = self.document["components"]["schemas"]
        if name not in schemas:
            raise KeyError(f"no schema named {name!r} in {SPEC_FILE} under spec profile {self.profile.name}")
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": SCHEMA_PREFIX + name,
            "components": {"schemas": schemas},
        }

    def validator(self, name: str) -> SchemaValidator:
        validator = self._validators.get(name)
        if validator is None:
            validator = self._validators[name] = SchemaValidator(name, self.schema(name))
        return validator

    def schema_problems(self, name: str, instance: Any) -> list[str]:
        """Why ``instance`` does not validate against ``name``: the first few reasons as text
        (empty: it validates)."""
        return self.validator(name).problems(instance)

    def run_object_problems(self, run: Any) -> tuple[list[str], bool]:
        """Why ``run`` does not validate against RunObject, and whether its ``instructions`` is
        null: the one deviation tolerated, as a warning (see the run object requirements of the
        catalogue), the rest validated as if it were a string."""
        null_instructions = isinstance(run, dict) and "instructions" in run and run["instructions"] is None
        if null_instructions:
            run = {**run, "instructions": ""}
        return self.schema_problems("RunObject", run), null_instructions

    def event_data_schemas(self) -> dict[str, str]:
        """Every event name of the profile's AssistantStreamEvent -> the schema of its data (do
        not mutate it).

        The members of the union (and of the unions it names) are ``{event: <const>, data:
        <$ref>}`` objects; ``done``'s data is a literal instead, so ``done`` is not in this table.
        """
        if self._event_data_schemas is None:
            self._event_data_schemas = _event_data_schemas(self.document["components"]["schemas"])
        return self._event_data_schemas

    def is_known_event(self, name: str) -> bool:
        return name == "done" or name in self.event_data_schemas()  # done: the stream's end, data [DONE]


def spec_for(profile: str | SpecProfile = DEFAULT_PROFILE) -> Spec:
    """The spec of ``profile`` (a name of ``SPEC_PROFILES`` or a ``SpecProfile``), built once."""
    return _spec(get_profile(profile))


@cache
def _spec(profile: SpecProfile) -> Spec:
    shipped = shipped_document()
    if not profile.changes:
        return Spec(profile, shipped)
    schemas = copy.deepcopy(shipped["components"]["schemas"])
    for change in profile.changes:
        change.edit(schemas)
    kept = _reachable(schemas, _roots(shipped["components"]["schemas"]))
    components = {**shipped["components"], "schemas": {name: schemas[name] for name in sorted(kept)}}
    return Spec(profile, {**shipped, "components": components})


def _referenced(node: Any) -> set[str]:
    """The names of the schemas ``node`` refers to directly."""
    return {ref["$ref"].removeprefix(SCHEMA_PREFIX) for ref in schema_refs(node)}


def _roots(schemas: Schemas) -> set[str]:
    """The schemas no other schema refers to: the operations' bodies, and the stream's events."""
    return set(schemas) - set().union(*(_referenced(schema) for schema in schemas.values()))


def _reachable(schemas: Schemas, roots: set[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(_referenced(schemas[name]) - seen)
    return seen


def _event_data_schemas(schemas: Schemas) -> dict[str, str]:
    table: dict[str, str] = {}

    def collect(member: dict[str, Any]) -> None:
        if "$ref" in member:
            collect(schemas[member["$ref"].removeprefix(SCHEMA_PREFIX)])
        elif "oneOf" in member:
            for variant in member["oneOf"]:
                collect(variant)
        elif "$ref" in member["properties"]["data"]:
            [name] = member["properties"]["event"]["enum"]
            table[name] = member["properties"]["data"]["$ref"].removeprefix(SCHEMA_PREFIX)

    collect(schemas["AssistantStreamEvent"])
    return table
