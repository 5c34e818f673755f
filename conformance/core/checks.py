"""The one way to declare a check, for REST answers and streams alike.

A check is a plain function of what was observed (exchanges, run documents, a stream view),
returning findings; it does no I/O. ``@check(RUN_007)`` registers it for its requirement, named
once: the function's first parameter receives a ``FindingMaker`` bound to that requirement, and
the registered ``Check`` is called with the other arguments::

    @check(RUN_009, applies=lambda usage: usage is not None, otherwise="no run carried usage")
    def usage_adds_up(finding: FindingMaker, usage: dict[str, Any]) -> list[Finding]:
        ...
        return [finding("total_tokens is not prompt_tokens + completion_tokens", expected=..., observed=...)]

``applies`` (optional) says, from the same arguments, whether the check has anything to judge,
and ``otherwise`` (required with it) why not, in words a report shows: ``Recorder.apply`` runs a
check only where it applies and counts each run as one exercise of its requirement (an empty list
is a pass). A check that finds, once running, that it cannot judge what it was given (a field that
failed its schema, an override equal to the value it overrides) raises ``CannotJudge``: not an
exercise either, and its message is a reason. A requirement never exercised, or a check of it
never exercised, is reported with these reasons, so a "not exercised" always says why. Who calls
which check on what is the scenarios' business; what a check needs to hold is its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, Generic, ParamSpec

from conformance.core.catalogue import Requirement
from conformance.core.findings import Finding, FindingMaker

P = ParamSpec("P")


class CannotJudge(Exception):  # noqa: N818  (a verdict of the check, not an error)
    """Raised by a check that has nothing it can read in what it was given (a field of a document
    that failed its schema, an override equal to the inherited value...): the check is not
    exercised, and the message becomes a reason of its requirement's verdict."""


@dataclass(frozen=True)
class Check(Generic[P]):
    name: str  # stable: it names the check in internal errors and in the registry
    requirement: Requirement
    function: Callable[Concatenate[FindingMaker, P], list[Finding]]
    applies: Callable[P, bool] | None = None
    otherwise: str = ""  # why the check has nothing to judge where it does not apply

    def __post_init__(self) -> None:
        if self.applies is not None and not self.otherwise:
            raise ValueError(f"check {self.name} says when it applies but not why it otherwise does not")

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list[Finding]:
        """The findings on these observations (whether or not the check applies to them)."""
        return self.function(FindingMaker(self.requirement), *args, **kwargs)

    def applies_to(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        return self.applies is None or self.applies(*args, **kwargs)

    @property
    def aspect(self) -> str:
        """What the check judges, in words: its docstring's first line (else its name)."""
        doc = (self.function.__doc__ or "").strip()
        return doc.splitlines()[0].rstrip(".") if doc else self.name


REGISTRY: dict[str, Check[...]] = {}


def register(new: Check[P]) -> Check[P]:
    """Add a check to the registry; a second check of the same name is our bug."""
    if new.name in REGISTRY:
        raise ValueError(f"two checks are named {new.name!r}")
    REGISTRY[new.name] = new
    return new


def check(requirement: Requirement, *, applies: Callable[P, bool] | None = None, otherwise: str = "",
          name: str | None = None) -> Callable[[Callable[Concatenate[FindingMaker, P], list[Finding]]], Check[P]]:
    """Register the decorated function as the check of ``requirement`` (named after the function)."""
    def decorate(function: Callable[Concatenate[FindingMaker, P], list[Finding]]) -> Check[P]:
        return register(Check(name or function.__name__, requirement, function, applies, otherwise))
    return decorate
