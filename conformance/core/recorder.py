"""Collecting what checks say, per work item, and turning it into per-requirement verdicts.

A ``Recorder`` belongs to one work item (one example or probe) and one thread: ``apply`` is the
one path by which every check runs. It runs a check where it applies, counts that as an exercise
of the check's requirement, keeps failures with the request and the exchange that show them, and
turns a crash of a check into an internal error (ours, never the target's). Where a check does not
apply or cannot judge, and where a scenario could not get as far as a requirement's evidence, it
records why (``Outcome.unjudged``). A ``Tally`` merges the outcomes of all work items into
``RequirementResult``s: a requirement never exercised, or a check of it never exercised, is shown
with those reasons, the most frequent first.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from conformance.core.catalogue import CATALOGUE, Requirement
from conformance.core.checks import REGISTRY, CannotJudge, Check
from conformance.core.evidence import kept_exchange, kept_finding
from conformance.core.findings import Finding, Severity
from conformance.core.observation import Exchange
from conformance.core.redaction import Redactor
from conformance.core.results import FailureRecord, RequirementResult, Verdict

MAX_FAILURES_KEPT = 5  # per requirement: the minimal example first, then other distinct ones
INTERNAL_ERROR = 4000  # characters of an internal error's traceback kept
REASON = 300  # characters of a reason a check could not judge
REASONS_SHOWN = 3  # per requirement, the most frequent first

P = ParamSpec("P")


@dataclass
class Outcome:
    """What one work item produced."""

    exercised: Counter[Requirement] = field(default_factory=Counter)
    failures: list[FailureRecord] = field(default_factory=list)
    crashed: set[Requirement] = field(default_factory=set)  # requirements whose check raised
    internal_errors: list[str] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)  # (run_id, thread_id) created
    checks: Counter[str] = field(default_factory=Counter)  # check name -> times it judged something
    # (requirement, the check or None for the whole requirement, reason) -> times it could not judge
    unjudged: Counter[tuple[Requirement, str | None, str]] = field(default_factory=Counter)
    abandoned: str | None = None  # why the item stopped early (budget, rate limit); not judged
    _failed: set[Requirement] | None = field(default=None, repr=False)  # kept by ``trim``

    def failed_requirements(self) -> set[Requirement]:
        if self._failed is not None:
            return self._failed
        return {record.finding.requirement for record in self.failures if record.finding.failed}

    def trim(self, keep: Collection[Requirement]) -> None:
        """Drop the failure records no longer needed: only the failures of requirements in ``keep``
        stay, at most MAX_FAILURES_KEPT each (an example that breaks a requirement in several ways
        shows them all); which requirements failed is remembered."""
        self._failed = self.failed_requirements()
        kept: Counter[Requirement] = Counter()
        records = []
        for record in self.failures:
            requirement = record.finding.requirement
            if requirement in keep and record.finding.failed and kept[requirement] < MAX_FAILURES_KEPT:
                kept[requirement] += 1
                records.append(record)
        self.failures = records

    def merge(self, other: Outcome) -> None:
        """Add what ``other`` recorded (a part of this work item judged on its own)."""
        self.exercised.update(other.exercised)
        self.failures += other.failures
        self.crashed |= other.crashed
        self.internal_errors += other.internal_errors
        self.runs += other.runs
        self.checks.update(other.checks)
        self.unjudged.update(other.unjudged)


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
                self._unjudged(check.requirement, check.name, check.otherwise)
                return []
            findings = check(*args)
            stray = [finding.requirement.id for finding in findings if finding.requirement != check.requirement]
            if stray:
                raise ValueError(f"check {check.name} returned findings for {stray}")
        except CannotJudge as cannot:
            self._unjudged(check.requirement, check.name, str(cannot))
            return []
        except Exception:
            self.outcome.crashed.add(check.requirement)
            self.crash(f"check {check.name} crashed on {check.requirement.id}")
            return []
        self.outcome.exercised[check.requirement] += 1
        self.outcome.checks[check.name] += 1
        self.outcome.failures += [
            FailureRecord(finding=kept_finding(finding, self.redactor), request=self.request,
                          exchange=None if evidence is None else kept_exchange(evidence, self.redactor,
                                                                               finding.event_index))
            for finding in findings]
        return findings

    def cannot_judge(self, requirements: Iterable[Requirement], reason: str) -> None:
        """Record why the evidence of these requirements could not be reached here (e.g. "blocked
        by RUN_001: the answer carries no readable run"): a reason of their verdict if nothing else
        exercises them."""
        for requirement in requirements:
            self._unjudged(requirement, None, reason)

    def _unjudged(self, requirement: Requirement, check_name: str | None, reason: str) -> None:
        self.outcome.unjudged[(requirement, check_name, self.redactor.shown(reason, REASON))] += 1

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
        self.checks: Counter[str] = Counter()
        self.unjudged: Counter[tuple[Requirement, str | None, str]] = Counter()

    def add(self, outcome: Outcome) -> None:
        self.exercised.update(outcome.exercised)
        self.checks.update(outcome.checks)
        self.unjudged.update(outcome.unjudged)
        self.crashed |= outcome.crashed
        self.internal_errors += outcome.internal_errors
        self.abandoned += outcome.abandoned is not None
        for record in outcome.failures:
            kept = self.failures.setdefault(record.finding.requirement, [])
            if len(kept) < MAX_FAILURES_KEPT and all(k.finding.message != record.finding.message for k in kept):
                kept.append(record)
            elif record.finding.failed and not any(k.finding.failed for k in kept):
                kept[-1] = record  # a failure must be shown even if warnings came first

    def put_first(self, records: list[FailureRecord]) -> None:
        """Make ``records`` (the failures of one requirement on a shrunk, minimal example) the first
        shown for their requirement."""
        requirement = records[0].finding.requirement
        shown = {record.finding.message for record in records}
        others = [record for record in self.failures.get(requirement, []) if record.finding.message not in shown]
        self.failures[requirement] = (records + others)[:MAX_FAILURES_KEPT]

    def failing(self) -> list[Requirement]:
        return sorted((requirement for requirement, records in self.failures.items()
                       if any(record.finding.failed for record in records)), key=lambda r: r.id)

    def verdict(self, requirement: Requirement, unsupported: bool = False) -> Verdict:
        records = self.failures.get(requirement, [])
        if any(record.finding.severity is Severity.FAIL for record in records):
            return Verdict.FAIL
        if requirement in self.crashed:
            return Verdict.ERROR
        if records:
            return Verdict.WARN
        if self.exercised[requirement]:
            return Verdict.PASS
        return Verdict.UNSUPPORTED if unsupported else Verdict.NOT_EXERCISED

    def reasons(self, requirement: Requirement, verdict: Verdict) -> list[str]:
        """Why evidence of ``requirement`` went unjudged: for a requirement never exercised, every
        reason recorded; for one exercised, those of its checks that never judged anything
        (prefixed with what the check judges). The most frequent first, at most REASONS_SHOWN."""
        exercised = verdict is not Verdict.NOT_EXERCISED
        counted: Counter[str] = Counter()
        for (about, check_name, reason), times in self.unjudged.items():
            if about != requirement or self._overshadowed(check_name, reason):
                continue
            if not exercised:
                counted[reason] += times
            elif check_name is not None and not self.checks[check_name]:
                registered = REGISTRY.get(check_name)
                aspect = registered.aspect if registered is not None else check_name
                counted[f"{aspect}: not judged: {reason}"] += times
        return [reason if times == 1 else f"{reason} ({times} times)"
                for reason, times in counted.most_common(REASONS_SHOWN)]

    def _overshadowed(self, check_name: str | None, reason: str) -> bool:
        """A check's "does not apply" says less than why it could not judge where it applied: the
        former is left out when the latter exists."""
        check = REGISTRY.get(check_name) if check_name else None
        return check is not None and reason == check.otherwise and any(
            name == check_name and other != reason for _, name, other in self.unjudged)

    def results(self, unsupported: Mapping[Requirement, str] | None = None,
                stopped: str | None = None) -> list[RequirementResult]:
        """A result per requirement of the catalogue. ``unsupported``: the requirements that only
        features the target does not claim exercise, with why (they are not failed); ``stopped``:
        why the run stopped early, if it did (the reason of what it did not reach)."""
        unsupported = unsupported or {}
        results = []
        for requirement in CATALOGUE:
            verdict = self.verdict(requirement, requirement in unsupported)
            if verdict is Verdict.UNSUPPORTED:
                reasons = [unsupported[requirement]]
            else:
                reasons = self.reasons(requirement, verdict)
            if verdict is Verdict.NOT_EXERCISED and not reasons:
                reasons = [f"the run stopped before reaching it: {stopped}" if stopped
                           else "no example of this run reached it"]
            results.append(RequirementResult(requirement=requirement, verdict=verdict,
                                             exercised=self.exercised[requirement],
                                             failures=list(self.failures.get(requirement, [])), reasons=reasons))
        return results
