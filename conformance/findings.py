"""What a check returns: findings, each tied to one requirement of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from conformance import catalogue


class Severity(str, Enum):
    FAIL = "fail"
    WARN = "warn"


@dataclass(frozen=True)
class Finding:
    """One observed deviation from one requirement.

    ``message`` is one human sentence; ``expected``/``observed`` carry the compared values
    when there are any (reports show them side by side). ``event_index`` locates the fault
    in a stream: the index of the offending event in the exchange's ``events`` (None when
    the fault is not one event, e.g. a stream cut short; reports then mark its end).
    """

    requirement_id: str
    message: str
    severity: Severity = Severity.FAIL
    expected: Any = None
    observed: Any = None
    event_index: int | None = None

    def __post_init__(self) -> None:
        catalogue.get(self.requirement_id)  # a typo in a check is our bug: fail loudly, early

    @property
    def requirement(self) -> catalogue.Requirement:
        return catalogue.get(self.requirement_id)
