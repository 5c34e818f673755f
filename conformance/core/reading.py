"""Reading a document that failed its schema, field by field, as far as it can be trusted.

One fault must not hide the others: a run whose ``created_at`` is an ISO string fails RUN_001, and
its status, ids, tools and usage can still be judged by the checks that read them. A ``Lenient``
document reads like the JSON object it wraps, except that reading a top-level field that does not
validate against its own schema (or a required one that is missing) raises ``CannotJudge``, whose
message names the requirement that already reports it: "blocked by RUN_001: run.created_at is not
of type "integer"". A check reading only sound fields judges as usual; one reading a broken field
is not exercised, and says why. A valid document reads exactly as its dict.

Writers of checks need nothing special: ``run["status"]``, ``run.get("usage")``; ``raw`` is the
document as sent, for what compares documents whole (evidence, immutability across polls).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema_rs

from conformance.core.catalogue import Requirement
from conformance.core.checks import CannotJudge
from conformance.core.spec import Spec, spec_for
from conformance.core.spec.validators import most_specific

PROBLEM = 160  # characters of one field's problem kept


class Lenient(Mapping[str, Any]):
    """A JSON object whose fields that failed their schema cannot be read (``CannotJudge``)."""

    def __init__(self, raw: dict[str, Any], unreadable: Mapping[str, str], blocker: Requirement,
                 what: str = "document") -> None:
        self.raw = raw
        self.unreadable = dict(unreadable)  # field -> why it cannot be trusted
        self._blocker = blocker
        self._what = what

    def __getitem__(self, key: str) -> Any:
        problem = self.unreadable.get(key)
        if problem is not None:
            raise CannotJudge(self.why_not(key))
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return f"Lenient({self.raw!r}, unreadable={sorted(self.unreadable)})"

    def readable(self, *keys: str) -> bool:
        """True if every one of ``keys`` can be read (present or not, it is not broken)."""
        return not any(key in self.unreadable for key in keys)

    def why_not(self, *keys: str) -> str:
        """Why the first unreadable one of ``keys`` cannot be read (as ``CannotJudge`` would say)."""
        key = next(key for key in keys if key in self.unreadable)
        return f"blocked by {self._blocker.id}: {self._what}.{key}{self.unreadable[key]}"


def as_sent(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document as the target sent it (for what does not depend on its fields' types)."""
    return document.raw if isinstance(document, Lenient) else document


# How reasons name a document of a schema ("run.created_at"); other schemas go by their name.
NOUNS = {"RunObject": "run", "ThreadObject": "thread", "MessageObject": "message", "RunStepObject": "step",
         "MessageDeltaObject": "message delta", "RunStepDeltaObject": "step delta"}


def read(schema_name: str, document: dict[str, Any], blocker: Requirement, spec: Spec | None = None,
         tolerated_nulls: tuple[str, ...] = (), valid: bool | None = None) -> Lenient:
    """``document`` read against ``schema_name`` of ``spec`` (default: the shipped spec's), its
    top-level properties one by one when it does not validate whole. ``blocker``: the requirement
    that reports the document's schema failure; ``tolerated_nulls``: fields whose null is a
    deviation reported as a warning, still readable (a run's instructions); ``valid``: whether it
    validates, when the caller already knows (None: validated here)."""
    spec = spec or spec_for()
    what = NOUNS.get(schema_name, schema_name)
    checked = {**document, **{key: "" for key in tolerated_nulls if document.get(key, "") is None}}
    if valid if valid is not None else spec.validator(schema_name).is_valid(checked):
        return Lenient(document, {}, blocker, what)
    return Lenient(document, field_problems(spec, schema_name, checked), blocker, what)


RUN_TOLERATED_NULLS = ("instructions",)  # RUN_001 (and SSE_003) only warn of a null instructions
RUN_HANDLE = ("id", "thread_id", "status")  # what following a run needs to read of it


def read_run(document: dict[str, Any], blocker: Requirement, spec: Spec | None = None,
             valid: bool | None = None) -> Lenient:
    """A run read leniently, its null instructions readable."""
    return read("RunObject", document, blocker, spec, RUN_TOLERATED_NULLS, valid)


def field_problems(spec: Spec, schema_name: str, document: dict[str, Any]) -> dict[str, str]:
    """Each top-level property of ``schema_name`` that ``document`` breaks -> why (missing, or its
    first schema error). A schema with no properties of its own yields {} (nothing to read apart)."""
    properties, required = _shape(spec, schema_name)
    problems = {key: " is missing" for key in required if key not in document}
    for key in properties:
        if key in document:
            error = next(_property_validator(spec, schema_name, key).iter_errors(document[key]), None)
            if error is not None:
                problems[key] = _described(most_specific(error))
    return problems


@cache
def _shape(spec: Spec, schema_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    component = spec.document["components"]["schemas"][schema_name]
    return tuple(component.get("properties", {})), tuple(component.get("required", ()))


@cache
def _property_validator(spec: Spec, schema_name: str, key: str) -> jsonschema_rs.Validator:
    pointer = f"#/components/schemas/{schema_name}/properties/{key}"
    return jsonschema_rs.validator_for({**spec.schema(schema_name), "$ref": pointer})


def _described(error: jsonschema_rs.ValidationError) -> str:
    """' is not of type "integer"' (the value left out: reasons are counted, and values differ),
    after the path inside the field when the error is deeper ('[0].function is ...')."""
    inside = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path)
    message = error.message
    for rendered in (json.dumps(error.instance, separators=(",", ":"), sort_keys=True), json.dumps(error.instance)):
        if message.startswith(rendered):
            message = message[len(rendered):].strip()
            break
    else:
        message = f"does not validate: {message}"
    text = f"{inside} {message}"
    return text if len(text) <= PROBLEM else text[:PROBLEM] + "…"
