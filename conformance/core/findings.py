"""What a check returns: findings, each tied to one requirement of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from conformance.core.catalogue import Requirement


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

    requirement: Requirement
    message: str
    severity: Severity = Severity.FAIL
    expected: Any = None
    observed: Any = None
    event_index: int | None = None

    @property
    def requirement_id(self) -> str:
        return self.requirement.id

    @property
    def failed(self) -> bool:
        return self.severity is Severity.FAIL


@dataclass(frozen=True)
class FindingMaker:
    """Builds the findings of one requirement: a check receives the maker bound to the
    requirement it was registered for, so it never names that requirement again."""

    requirement: Requirement

    def __call__(self, message: str, *, expected: Any = None, observed: Any = None,
                 event_index: int | None = None) -> Finding:
        return Finding(self.requirement, message, Severity.FAIL, expected, observed, event_index)

    def warning(self, message: str, *, expected: Any = None, observed: Any = None,
                event_index: int | None = None) -> Finding:
        """A deviation worth showing that is not a failure (the verdict is at most ``warn``)."""
        return Finding(self.requirement, message, Severity.WARN, expected, observed, event_index)


def only_warnings(findings: list[Finding]) -> bool:
    """True if no finding is a failure (what was judged is still usable)."""
    return not any(finding.failed for finding in findings)
