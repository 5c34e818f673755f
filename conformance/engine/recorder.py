"""Collecting what checks say, per work item, and turning it into per-requirement verdicts.

A ``Recorder`` belongs to one work item (one example or probe) and one thread: it runs checks,
counts each call as an exercise of the check's requirement, keeps failures with the request and
the exchange that shows them, and turns a crash of a check into an internal error (ours, never
the target's). A ``Tally`` merges the outcomes of all work items into ``RequirementResult``s.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance import catalogue
from conformance.engine.checks import check_for
from conformance.exchange import Exchange
from conformance.findings import Finding, Severity
from conformance.results import FailureRecord, RequirementResult, Verdict

MAX_FAILURES_KEPT = 5  # per requirement: the minimal example first, then other distinct ones


@dataclass
class Outcome:
    """What one work item produced."""

    exercised: Counter[str] = field(default_factory=Counter)
    failures: list[FailureRecord] = field(default_factory=list)
    crashed: set[str] = field(default_factory=set)  # requirements whose check raised
    internal_errors: list[str] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)  # (run_id, thread_id) created
    abandoned: str | None = None  # why the item stopped early (budget, rate limit); not judged

    def failed_requirements(self) -> set[str]:
        return {record.finding.requirement_id for record in self.failures
                if record.finding.severity is Severity.FAIL}


class Recorder:
    def __init__(self, request: Any) -> None:
        self.request = request  # the example that started the work item (evidence: what to resend)
        self.outcome = Outcome()

    def apply(self, function: Callable[..., list[Finding]], *args: Any, exchange: Exchange | None = None,
              exercised: str | None = None) -> list[Finding]:
        """Run a registered check; return its findings ([] if it crashed, which is recorded)."""
        check = check_for(function)
        requirement_id = exercised or check.requirement_ids[0]
        if requirement_id not in check.requirement_ids:
            raise ValueError(f"check {check.name} cannot exercise {requirement_id}")
        try:
            findings = function(*args)
            stray = [f.requirement_id for f in findings if f.requirement_id not in check.requirement_ids]
            if stray:
                raise ValueError(f"check {check.name} returned findings for {stray}")
        except Exception:
            self.outcome.crashed.add(requirement_id)
            self.crash(f"check {check.name} crashed on {requirement_id}")
            return []
        self.record([requirement_id], findings, exchange)
        return findings

    def record(self, exercised: Iterable[str], findings: list[Finding], exchange: Exchange | None = None) -> None:
        """Count an exercise of each requirement and keep the findings (for checks outside the
        registry, e.g. a plugged-in stream oracle)."""
        for requirement_id in exercised:
            self.outcome.exercised[requirement_id] += 1
        for finding in findings:
            self.outcome.failures.append(FailureRecord(finding=finding, request=self.request, exchange=exchange))

    def crash(self, context: str) -> None:
        """Record the exception being handled as an internal error of the suite."""
        self.outcome.internal_errors.append(f"{context}: {traceback.format_exc(limit=6).strip()}")


class Tally:
    """All outcomes of a run, merged per requirement."""

    def __init__(self) -> None:
        self.exercised: Counter[str] = Counter()
        self.failures: dict[str, list[FailureRecord]] = {}
        self.crashed: set[str] = set()
        self.internal_errors: list[str] = []
        self.abandoned = 0

    def add(self, outcome: Outcome) -> None:
        self.exercised.update(outcome.exercised)
        self.crashed |= outcome.crashed
        self.internal_errors += outcome.internal_errors
        self.abandoned += outcome.abandoned is not None
        for record in outcome.failures:
            kept = self.failures.setdefault(record.finding.requirement_id, [])
            if len(kept) < MAX_FAILURES_KEPT and all(k.finding.message != record.finding.message for k in kept):
                kept.append(record)
            elif record.finding.severity is Severity.FAIL and all(k.finding.severity is Severity.WARN for k in kept):
                kept[-1] = record  # a failure must be shown even if warnings came first

    def put_first(self, record: FailureRecord) -> None:
        """Make ``record`` (a shrunk, minimal example) the first failure shown for its requirement."""
        kept = self.failures.setdefault(record.finding.requirement_id, [])
        kept.insert(0, record)
        del kept[MAX_FAILURES_KEPT:]

    def failing(self) -> list[str]:
        return sorted(requirement_id for requirement_id, records in self.failures.items()
                      if any(record.finding.severity is Severity.FAIL for record in records))

    def verdict(self, requirement_id: str) -> Verdict:
        records = self.failures.get(requirement_id, [])
        if any(record.finding.severity is Severity.FAIL for record in records):
            return Verdict.FAIL
        if requirement_id in self.crashed:
            return Verdict.ERROR
        if records:
            return Verdict.WARN
        return Verdict.PASS if self.exercised[requirement_id] else Verdict.NOT_EXERCISED

    def results(self) -> list[RequirementResult]:
        return [
            RequirementResult(requirement=requirement, verdict=self.verdict(requirement.id),
                              exercised=self.exercised[requirement.id],
                              failures=list(self.failures.get(requirement.id, [])))
            for requirement in catalogue.CATALOGUE
        ]
