"""The shipped Assistants v2 spec subset, its spec profiles, and JSON Schema validators.

``spec_for(profile)`` is the ``Spec`` of a profile (``profiles.py``: ``v1``, ``v2-2024Q2``,
``v2-current``, the default): its document and everything derived from it. The module-level
functions below are those of the ``v2-current`` spec: ``validator("RunObject")`` validates a
document against ``#/components/schemas/RunObject`` of ``assistants-v2.json`` (JSON Schema
2020-12, as OpenAPI 3.1 specifies). Validators are compiled once and cached: every response of a
run is validated, so this is a hot path.

What the suite knows of the spec beyond schemas lives beside this module: ``runs`` (the run's
status graph), ``events`` (the stream's event names and their data), ``description_rules``
(request rules written only in prose), ``history`` (the changes profiles undo).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from conformance.core.spec.history import SCHEMA_PREFIX
from conformance.core.spec.profile_spec import (
    NULL_INSTRUCTIONS,
    SPEC_COMMIT,
    SPEC_FILE,
    Spec,
    shipped_document,
    spec_for,
)
from conformance.core.spec.validators import SHOWN_SCHEMA_ERRORS, SchemaError, SchemaValidator

__all__ = [
    "NULL_INSTRUCTIONS",
    "SCHEMA_PREFIX",
    "SHOWN_SCHEMA_ERRORS",
    "SPEC_COMMIT",
    "SPEC_FILE",
    "SchemaError",
    "SchemaValidator",
    "Spec",
    "document",
    "run_object_problems",
    "schema",
    "schema_names",
    "schema_problems",
    "spec_for",
    "validator",
]


def document() -> dict[str, Any]:
    """The shipped OpenAPI document (do not mutate it)."""
    return shipped_document()


def schema_names() -> list[str]:
    return spec_for().schema_names()


def schema(name: str) -> dict[str, Any]:
    """A self-contained JSON Schema for component ``name`` (refs resolve inside it)."""
    return spec_for().schema(name)


@cache  # the hot path: one dictionary look-up, as before profiles
def validator(name: str) -> SchemaValidator:
    return spec_for().validator(name)


def schema_problems(schema_name: str, instance: Any) -> list[str]:
    """Why ``instance`` does not validate against ``schema_name``: the first few reasons as text
    (empty: it validates)."""
    return validator(schema_name).problems(instance)


def run_object_problems(run: Any) -> tuple[list[str], bool]:
    """Why ``run`` does not validate against RunObject, and whether its ``instructions`` is null
    (the one deviation tolerated, as a warning)."""
    return spec_for().run_object_problems(run)
