"""The one way to declare a check, for REST answers and streams alike.

A check is a plain function of what was observed (exchanges, run documents, a stream view),
returning findings; it does no I/O. ``@check(RUN_007)`` registers it for its requirement, named
once: the function's first parameter receives a ``FindingMaker`` bound to that requirement, and
the registered ``Check`` is called with the other arguments::

    @check(RUN_009, applies=lambda usage: usage is not None)
    def usage_adds_up(finding: FindingMaker, usage: dict[str, Any]) -> list[Finding]:
        ...
        return [finding("total_tokens is not prompt_tokens + completion_tokens", expected=..., observed=...)]

``applies`` (optional) says, from the same arguments, whether the check has anything to judge:
``Recorder.apply`` runs a check only where it applies and counts each run as one exercise of its
requirement (an empty list is a pass). Who calls which check on what is the scenarios' business;
what a check needs to hold is its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, Generic, ParamSpec

from conformance.core.catalogue import Requirement
from conformance.core.findings import Finding, FindingMaker

P = ParamSpec("P")


@dataclass(frozen=True)
class Check(Generic[P]):
    name: str  # stable: it names the check in internal errors and in the registry
    requirement: Requirement
    function: Callable[Concatenate[FindingMaker, P], list[Finding]]
    applies: Callable[P, bool] | None = None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list[Finding]:
        """The findings on these observations (whether or not the check applies to them)."""
        return self.function(FindingMaker(self.requirement), *args, **kwargs)

    def applies_to(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        return self.applies is None or self.applies(*args, **kwargs)


REGISTRY: dict[str, Check[...]] = {}


def register(new: Check[P]) -> Check[P]:
    """Add a check to the registry; a second check of the same name is our bug."""
    if new.name in REGISTRY:
        raise ValueError(f"two checks are named {new.name!r}")
    REGISTRY[new.name] = new
    return new


def check(requirement: Requirement, *, applies: Callable[P, bool] | None = None,
          name: str | None = None) -> Callable[[Callable[Concatenate[FindingMaker, P], list[Finding]]], Check[P]]:
    """Register the decorated function as the check of ``requirement`` (named after the function)."""
    def decorate(function: Callable[Concatenate[FindingMaker, P], list[Finding]]) -> Check[P]:
        return register(Check(name or function.__name__, requirement, function, applies))
    return decorate
