"""The result model every report renderer reads: per-requirement verdicts with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from conformance.core.catalogue import Level, Requirement
from conformance.core.claims import Claims
from conformance.core.findings import Finding
from conformance.core.observation import Exchange


class Verdict(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NOT_EXERCISED = "not-exercised"  # no evidence reached it: ``RequirementResult.reasons`` say why
    UNSUPPORTED = "unsupported"  # it needs a feature the target does not claim: not judged, not failed
    ERROR = "error"  # the suite could not judge (internal error while checking it)


@dataclass
class FailureRecord:
    finding: Finding
    request: Any  # the minimal (shrunk) request body that reproduces it
    exchange: Exchange | None = None


@dataclass
class RequirementResult:
    requirement: Requirement
    verdict: Verdict
    exercised: int = 0
    failures: list[FailureRecord] = field(default_factory=list)
    # Why evidence could not be judged, the most frequent first: all of it (not-exercised,
    # unsupported) or some of it (e.g. overrides equal to the assistant's own values).
    reasons: list[str] = field(default_factory=list)


@dataclass
class SuiteResult:
    suite_version: str
    spec_commit: str
    profile: str
    seed: int
    base_url: str
    started_at: float  # Unix seconds
    duration: float
    results: list[RequirementResult]
    partial: bool = False  # interrupted or budget exhausted before every property ran
    internal_errors: list[str] = field(default_factory=list)  # bugs of the suite, never the target's
    requests_sent: int = 0
    # Why the run reached no verdict on the target (it stopped answering, rate-limited everything,
    # the run was interrupted, the core requirements were not exercised...): never a certificate.
    not_judged: str | None = None
    notes: list[str] = field(default_factory=list)  # what a reader should know (e.g. throttling)
    claims: Claims = Claims()  # what the target said of itself: features it lacks, name, version
    certification: bool = False  # run with --certify: nothing that weakens a certificate was allowed
    spec_profile: str = "v2-current"  # the request surface the target was judged against
    spec_sha256: str = ""  # of the spec document the suite ships

    def failed(self, strict: bool = False) -> list[RequirementResult]:
        levels = {Level.MUST, Level.SHOULD} if strict else {Level.MUST}
        return [r for r in self.results if r.verdict is Verdict.FAIL and r.requirement.level in levels]

    def exit_code(self, strict: bool = False) -> int:
        """0 conformant, 1 a (MUST, or with strict any) requirement failed, 3 the run broke or
        could not judge the target."""
        if self.internal_errors or self.not_judged:
            return 3
        return 1 if self.failed(strict) else 0
