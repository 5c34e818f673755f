"""The shipped Assistants v2 spec subset, and JSON Schema validators built from it.

``validator("RunObject")`` validates a document against ``#/components/schemas/RunObject``
of ``assistants-v2.json`` (JSON Schema 2020-12, as OpenAPI 3.1 specifies). Validators are
compiled once and cached: every response of a run is validated, so this is a hot path.

What the suite knows of the spec beyond schemas lives beside this module: ``runs`` (the run's
status graph), ``events`` (the stream's event names and their data), ``description_rules``
(request rules written only in prose).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

SPEC_FILE = "assistants-v2.json"
SPEC_COMMIT = "f85dbe2"
SCHEMA_PREFIX = "#/components/schemas/"
SHOWN_SCHEMA_ERRORS = 5


@cache
def document() -> dict[str, Any]:
    """The shipped OpenAPI document (do not mutate it)."""
    text = resources.files(__package__).joinpath(SPEC_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def schema_names() -> list[str]:
    return sorted(document()["components"]["schemas"])


def schema(name: str) -> dict[str, Any]:
    """A self-contained JSON Schema for component ``name`` (refs resolve inside it)."""
    doc = document()
    if name not in doc["components"]["schemas"]:
        raise KeyError(f"no schema named {name!r} in {SPEC_FILE}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": SCHEMA_PREFIX + name,
        "components": {"schemas": doc["components"]["schemas"]},
    }


@dataclass(frozen=True)
class SchemaError:
    """One reason a document does not validate: where in the instance, and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '$'}: {self.message}"


class SchemaValidator:
    def __init__(self, name: str) -> None:
        self.name = name
        self._compiled = jsonschema_rs.validator_for(schema(name))

    def is_valid(self, instance: Any) -> bool:
        return self._compiled.is_valid(instance)

    def errors(self, instance: Any) -> Iterator[SchemaError]:
        for error in self._compiled.iter_errors(instance):
            path = "$" + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path
            )
            yield SchemaError(path=path, message=error.message)


@cache
def validator(name: str) -> SchemaValidator:
    return SchemaValidator(name)


def schema_problems(schema_name: str, instance: Any) -> list[str]:
    """Why ``instance`` does not validate against ``schema_name``: the first few reasons as text
    (empty: it validates)."""
    errors = [str(error) for error in validator(schema_name).errors(instance)]
    if len(errors) > SHOWN_SCHEMA_ERRORS:
        errors = errors[:SHOWN_SCHEMA_ERRORS] + [f"... and {len(errors) - SHOWN_SCHEMA_ERRORS} more"]
    return errors


NULL_INSTRUCTIONS = ("instructions is null; the schema says string (the spec's examples show null: a deviation, "
                     "not a failure)")


def run_object_problems(run: Any) -> tuple[list[str], bool]:
    """Why ``run`` does not validate against RunObject, and whether its ``instructions`` is null:
    the one deviation tolerated, as a warning (see RUN_001), the rest validated as if it were a
    string."""
    null_instructions = isinstance(run, dict) and "instructions" in run and run["instructions"] is None
    if null_instructions:
        run = {**run, "instructions": ""}
    return schema_problems("RunObject", run), null_instructions
