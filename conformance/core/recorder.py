"""Collecting what checks say, per work item, and turning it into per-requirement verdicts.

A ``Recorder`` belongs to one work item (one example or probe) and one thread: ``apply`` is the
one path by which every check runs. It runs a check where it applies, counts that as an exercise
of the check's requirement, keeps failures with the request and the exchange that show them, and
turns a crash of a check into an internal error (ours, never the target's). A ``Tally`` merges
the outcomes of all work items into ``RequirementResult``s.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from conformance.core.catalogue import CATALOGUE, Requirement
from conformance.core.checks import Check
from conformance.core.evidence import kept_exchange, kept_finding
from conformance.core.findings import Finding, Severity
from conformance.core.observation import Exchange
from conformance.core.redaction import Redactor
from conformance.core.results import FailureRecord, RequirementResult, Verdict

MAX_FAILURES_KEPT = 5  # per requirement: the minimal example first, then other distinct ones
INTERNAL_ERROR = 4000  # characters of an internal error's traceback kept

P = ParamSpec("P")


@dataclass
class Outcome:
    """What one work item produced."""

    exercised: Counter[Requirement] = field(default_factory=Counter)
    failures: list[FailureRecord] = field(default_factory=list)
    crashed: set[Requirement] = field(default_factory=set)  # requirements whose check raised
    internal_errors: list[str] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)  # (run_id, thread_id) created
    abandoned: str | None = None  # why the item stopped early (budget, rate limit); not judged
    _failed: set[Requirement] | None = field(default=None, repr=False)  # kept by ``trim``

    def failed_requirements(self) -> set[Requirement]:
        if self._failed is not None:
            return self._failed
        return {record.finding.requirement for record in self.failures if record.finding.failed}

    def trim(self, keep: Collection[Requirement]) -> None:
        """Drop the failure records no longer needed: only the first failure of each requirement
        in ``keep`` stays (which requirements failed is remembered)."""
        self._failed = self.failed_requirements()
        first: dict[Requirement, FailureRecord] = {}
        for record in self.failures:
            if record.finding.requirement in keep and record.finding.failed:
                first.setdefault(record.finding.requirement, record)
        self.failures = list(first.values())

    def merge(self, other: Outcome) -> None:
        """Add what ``other`` recorded (a part of this work item judged on its own)."""
        self.exercised.update(other.exercised)
        self.failures += other.failures
        self.crashed |= other.crashed
        self.internal_errors += other.internal_errors
        self.runs += other.runs


class Recorder:
    def __init__(self, request: Any, redactor: Redactor = Redactor()) -> None:
        self.request = request  # the example that started the work item (evidence: what to resend)
        self.redactor = redactor
        self.outcome = Outcome()

    def apply(self, check: Check[P], *args: P.args, evidence: Exchange | None = None) -> list[Finding]:
        """Run ``check`` on ``args`` if it applies; its findings ([] if it did not apply, or crashed,
        which is recorded). ``evidence`` is the exchange a report shows with its findings: what is
        kept of it, and of each finding, is bounded and redacted (``evidence``)."""
        try:
            if not check.applies_to(*args):
                return []
            findings = check(*args)
            stray = [finding.requirement.id for finding in findings if finding.requirement != check.requirement]
            if stray:
                raise ValueError(f"check {check.name} returned findings for {stray}")
        except Exception:
            self.outcome.crashed.add(check.requirement)
            self.crash(f"check {check.name} crashed on {check.requirement.id}")
            return []
        self.outcome.exercised[check.requirement] += 1
        self.outcome.failures += [
            FailureRecord(finding=kept_finding(finding, self.redactor), request=self.request,
                          exchange=None if evidence is None else kept_exchange(evidence, self.redactor,
                                                                               finding.event_index))
            for finding in findings]
        return findings

    def crash(self, context: str) -> None:
        """Record the exception being handled as an internal error of the suite."""
        trace = traceback.format_exc(limit=6).strip()
        self.outcome.internal_errors.append(self.redactor.shown(f"{context}: {trace}", INTERNAL_ERROR))


class Tally:
    """All outcomes of a run, merged per requirement."""

    def __init__(self) -> None:
        self.exercised: Counter[Requirement] = Counter()
        self.failures: dict[Requirement, list[FailureRecord]] = {}
        self.crashed: set[Requirement] = set()
        self.internal_errors: list[str] = []
        self.abandoned = 0

    def add(self, outcome: Outcome) -> None:
        self.exercised.update(outcome.exercised)
        self.crashed |= outcome.crashed
        self.internal_errors += outcome.internal_errors
        self.abandoned += outcome.abandoned is not None
        for record in outcome.failures:
            kept = self.failures.setdefault(record.finding.requirement, [])
            if len(kept) < MAX_FAILURES_KEPT and all(k.finding.message != record.finding.message for k in kept):
                kept.append(record)
            elif record.finding.failed and not any(k.finding.failed for k in kept):
                kept[-1] = record  # a failure must be shown even if warnings came first

    def put_first(self, record: FailureRecord) -> None:
        """Make ``record`` (a shrunk, minimal example) the first failure shown for its requirement."""
        kept = self.failures.setdefault(record.finding.requirement, [])
        kept.insert(0, record)
        del kept[MAX_FAILURES_KEPT:]

    def failing(self) -> list[Requirement]:
        return sorted((requirement for requirement, records in self.failures.items()
                       if any(record.finding.failed for record in records)), key=lambda r: r.id)

    def verdict(self, requirement: Requirement) -> Verdict:
        records = self.failures.get(requirement, [])
        if any(record.finding.severity is Severity.FAIL for record in records):
            return Verdict.FAIL
        if requirement in self.crashed:
            return Verdict.ERROR
        if records:
            return Verdict.WARN
        return Verdict.PASS if self.exercised[requirement] else Verdict.NOT_EXERCISED

    def results(self) -> list[RequirementResult]:
        return [
            RequirementResult(requirement=requirement, verdict=self.verdict(requirement),
                              exercised=self.exercised[requirement],
                              failures=list(self.failures.get(requirement, [])))
            for requirement in CATALOGUE
        ]
