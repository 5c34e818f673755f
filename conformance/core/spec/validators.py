"""JSON Schema validators of the spec's components, and their errors as text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

SHOWN_SCHEMA_ERRORS = 5
_Kind = jsonschema_rs.ValidationErrorKind


@dataclass(frozen=True)
class SchemaError:
    """One reason a document does not validate: where in the instance, and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '$'}: {self.message}"


class SchemaValidator:
    """A compiled validator of the self-contained JSON Schema ``schema`` of component ``name``."""

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self._compiled = jsonschema_rs.validator_for(schema)

    def is_valid(self, instance: Any) -> bool:
        return self._compiled.is_valid(instance)

    def errors(self, instance: Any) -> Iterator[SchemaError]:
        for error in map(most_specific, self._compiled.iter_errors(instance)):
            path = "$" + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path
            )
            yield SchemaError(path=path, message=error.message)

    def problems(self, instance: Any) -> list[str]:
        """Why ``instance`` does not validate: the first few reasons as text (empty: it validates)."""
        errors = [str(error) for error in self.errors(instance)]
        if len(errors) > SHOWN_SCHEMA_ERRORS:
            errors = errors[:SHOWN_SCHEMA_ERRORS] + [f"... and {len(errors) - SHOWN_SCHEMA_ERRORS} more"]
        return errors


def most_specific(error: jsonschema_rs.ValidationError) -> jsonschema_rs.ValidationError:
    """Descend through anyOf/oneOf to the failure inside the branch the value was meant for (the
    one whose type and discriminating ``type`` property match, with the fewest errors): "null is
    not of type object" says more than "not valid under any of the schemas"."""
    while isinstance(error.kind, _Kind.AnyOf | _Kind.OneOfNotValid):
        node = list(error.instance_path)
        branches = [branch for branch in error.kind.context if branch]
        if not branches:
            break
        best = min(branches, key=lambda branch: _branch_distance(branch, node))
        if _is_type_mismatch_at(best, node):  # the value fits no branch's type at all
            break
        error = best[0]
    return error


def _branch_distance(branch: Sequence[jsonschema_rs.ValidationError], node: list[Any]) -> tuple[bool, bool, int]:
    """Smaller = the branch the value was more likely meant for: its type matched, its
    discriminating ``type`` property matched, and it has fewer errors."""
    type_property_failed = any(list(e.instance_path) == [*node, "type"] for e in branch)
    return (_is_type_mismatch_at(branch, node), type_property_failed, len(branch))


def _is_type_mismatch_at(branch: Sequence[jsonschema_rs.ValidationError], node: list[Any]) -> bool:
    return all(isinstance(e.kind, _Kind.Type) and list(e.instance_path) == node for e in branch)
