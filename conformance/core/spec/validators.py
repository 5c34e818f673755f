"""JSON Schema validators of the spec's components, and their errors as text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

SHOWN_SCHEMA_ERRORS = 5


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
        for error in self._compiled.iter_errors(instance):
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
