"""The runner: from a target and a run profile to a ``SuiteResult``.

1. Setup: a client with the run's budget; the models the target serves (given, else listed);
   the suite's assistants (or the user's, fetched). Properties that need a feature the target
   does not claim are left out, and requirements only such features exercise are unsupported.
2. Generate every property's examples up front, deterministically from the seed (Hypothesis,
   generate phase only: fast, no I/O), so ``--seed`` reruns send the same requests.
3. Execute probes and examples concurrently (real targets are latency-bound), each work item
   reporting through its own ``Recorder``.
4. Shrink: for each failing requirement found by a property, rerun that property's ``@given``
   with the same seed, the generate and shrink phases, and a test that raises when the
   requirement fires. Outcomes are memoised by example, so rediscovering the failure costs no
   request and Hypothesis's final replay is deterministic; only new, smaller candidates are sent.
   Shrinking is sequential (Hypothesis is not thread-safe) and bounded by the profile's shrink
   time and the budgets; without a rediscovery the unshrunk example stays the evidence.
5. Verdicts per requirement (``Tally``), budgets and interruptions marked as partial; and no
   verdict on the target at all (``SuiteResult.not_judged``) when the run was interrupted, the
   target stopped answering or rate-limited everything, or the core requirements could not be
   exercised: a run with no evidence is never a certificate.
6. Teardown: the suite's assistants are deleted within ``TEARDOWN_TIME``, also after a failed or
   interrupted setup or run.

Memory stays bounded over long runs: an outcome keeps its failure records only while its example
is the first failing one of a requirement (the one shrinking starts from).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed

from conformance import __version__
from conformance.core.catalogue import CATALOGUE, REQ_001, RUN_001, SSE_001, Level, Requirement
from conformance.core.claims import Claims
from conformance.core.errors import BudgetExhausted, Interrupted, RateLimited, SetupError, TargetUnreachable
from conformance.core.recorder import Outcome, Recorder, Tally
from conformance.core.results import FailureRecord, SuiteResult
from conformance.core.spec import SPEC_COMMIT, SPEC_FILE, spec_for
from conformance.core.spec.profiles import DEFAULT_PROFILE, SpecProfile
from conformance.engine.checks.resources import distinct_ids
from conformance.engine.client import DEFAULT_RATE_LIMIT_WAIT, Budget, ClientConfig, TargetClient
from conformance.engine import streamed
from conformance.engine.properties import PROBES, PROPERTIES, RUN_PROFILES, Generation, Property, RunProfile
from conformance.engine.scenarios import Scenario, Target
from conformance.engine.setup import (
    DEFAULT_MODEL,
    Assistant,
    Setup,
    create_assistants,
    delete_assistants,
    fetch_assistant,
    listed_models,
)
from conformance.streaming.captured import StreamLimits

log = logging.getLogger(__name__)

SPEC_SHA256 = hashlib.sha256(resources.files("conformance.core.spec").joinpath(SPEC_FILE).read_bytes()).hexdigest()

DEFAULT_POLL_TIMEOUT = 60.0
PROGRESS_INTERVAL = 0.25  # seconds between progress callbacks while work is running
TEARDOWN_TIME = 10.0  # seconds for deleting the suite's assistants, whatever the target does
# Without evidence on these, a run judges nothing (SSE_001 counts only when streams were sent).
CORE_REQUIREMENTS = (REQ_001, RUN_001)


@dataclass(frozen=True)
class RunConfig:
    client: ClientConfig
    profile: RunProfile = RUN_PROFILES["standard"]
    seed: int = 0
    # The models the target serves (the suite's assistants use the first two; requests use all).
    # None: those GET /models lists, else the default.
    models: tuple[str, ...] | None = None
    assistant_id: str | None = None  # use this assistant instead of creating the suite's
    claims: Claims = Claims()
    certification: bool = False  # --certify (the CLI refused whatever would weaken it)
    spec_profile: SpecProfile = DEFAULT_PROFILE  # the request surface the target is judged against
    max_requests: int | None = None
    max_time: float | None = None  # seconds for the whole run (setup and teardown excepted)
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    file_ids: tuple[str, ...] | None = None  # files requests may name (None: any, as the reference server)
    vector_store_ids: tuple[str, ...] | None = None  # likewise for vector stores
    stream_limits: StreamLimits = StreamLimits()
    rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT  # seconds the run may spend waiting on 429s
    properties: tuple[Property, ...] = PROPERTIES  # tests may run a subset


@dataclass(frozen=True)
class Progress:
    phase: str  # "setup", "generate", "run", "shrink", "teardown"
    done: int
    total: int
    requests: int
    failing: int  # requirements failed so far
    elapsed: float


@dataclass
class WorkItem:
    position: int  # in generation order
    property: Property | None  # None for a probe
    name: str
    example: Any
    scenario: Scenario
    outcome: Outcome | None = None


def run_suite(config: RunConfig, on_progress: Callable[[Progress], None] | None = None) -> SuiteResult:
    """Certify the target of ``config``; raises ``SetupError`` if it cannot even be set up."""
    return _Run(config, on_progress or (lambda progress: None)).execute()


class _Run:
    def __init__(self, config: RunConfig, on_progress: Callable[[Progress], None]) -> None:
        self.config = config
        self.on_progress = on_progress
        self.started_wall = time.time()
        self.started = time.monotonic()
        deadline = self.started + config.max_time if config.max_time is not None else None
        self.budget = Budget(max_requests=config.max_requests, deadline=deadline,
                             rate_limit_wait=config.rate_limit_wait)
        self.tally = Tally()
        self.items: list[WorkItem] = []
        self.shrink_targets: dict[Requirement, WorkItem] = {}  # the first failing example of each
        self.partial = False
        self.interrupted = False
        self.setup = Setup()
        self.spec = spec_for(config.spec_profile)
        self.available = config.claims.available(config.spec_profile)  # features the run may use

    def execute(self) -> SuiteResult:
        """The run; ``Interrupted`` (with the partial result) after a Ctrl-C or SIGTERM anywhere."""
        with TargetClient(replace(self.config.client, beta=self.config.spec_profile.beta), self.budget) as client:
            assistants = self.setup.assistants
            try:
                self._progress("setup", 0, 0)
                self._set_up(client)
                target = Target(client=client, assistants=tuple(assistants), poll_timeout=self.config.poll_timeout,
                                stream_limits=self.config.stream_limits,
                                api_key_configured=bool(self.config.client.api_key), models=self.setup.models,
                                claims=self.config.claims, spec=self.spec)
                self._generate(target)
                self._run_items(target)
                self._check_across_items(target)
                self._shrink(target)
            except KeyboardInterrupt:
                self._stop(client)
            except SetupError:
                raise
            except Exception:  # a bug of ours: reported as such (exit 3), never as the target's fault
                self.partial = True
                self.tally.internal_errors.append(f"the run stopped: {traceback.format_exc(limit=8).strip()}")
            finally:
                self._teardown(client, assistants)
        result = self._result()
        if self.interrupted:
            raise Interrupted(result)
        return result

    # --- phases ----------------------------------------------------------------------------

    def _set_up(self, client: TargetClient) -> None:
        """The models and assistants of the run, into ``self.setup`` (filled as each assistant exists)."""
        given = self.config.models
        candidates = given or listed_models(client, self.setup)
        if self.config.assistant_id:
            fetch_assistant(client, self.config.assistant_id, self.setup)
            own = self.setup.assistants[0].model
            # A listed model is a guess: one beside the assistant's is enough to show an override.
            others = [model for model in candidates if model != own][: None if given else 1]
            self.setup.models = tuple(dict.fromkeys(m for m in (own, *others) if m)) or (DEFAULT_MODEL,)
        else:
            create_assistants(client, candidates, self.setup, tools="function" in self.available, spec=self.spec)
            if given:
                self.setup.models = tuple(dict.fromkeys((*self.setup.models, *given)))

    def _stop(self, client: TargetClient) -> None:
        """Interrupted: stop sending, and cut what is in flight (nothing waits for a stuck read)."""
        self.interrupted = self.partial = True
        self.budget.stop.set()
        client.abort()

    def _teardown(self, client: TargetClient, assistants: list[Assistant]) -> None:
        self._progress("teardown", 0, 0)
        try:
            problems = delete_assistants(client, assistants, deadline=time.monotonic() + TEARDOWN_TIME)
        except KeyboardInterrupt:  # interrupted while cleaning up: leave the rest, keep the results
            self._stop(client)
            problems = ["cleaning up was interrupted: the suite's assistants may be left on the target"]
        for problem in problems:
            log.warning("%s", client.redactor.text(problem))

    def _examples_of(self, prop: Property) -> int:
        return prop.examples[self.config.profile.name]

    def _generate(self, target: Target) -> None:
        self._progress("generate", 0, 0)
        for name, probe in PROBES:
            self.items.append(WorkItem(len(self.items), None, name, None, _probe_scenario(probe)))
        for prop in self.config.properties:
            if self._examples_of(prop) == 0 or not prop.runs_on(self.available):
                continue
            for example in self._examples(prop, target):
                self.items.append(WorkItem(len(self.items), prop, prop.name, example, prop.scenario))

    def _examples(self, prop: Property, target: Target) -> list[Any]:
        examples: list[Any] = []

        def collect(example: Any) -> None:
            examples.append(copy.deepcopy(example))

        self._given(prop, target, collect, phases=[Phase.generate])()
        return examples

    def _given(self, prop: Property, target: Target, test: Callable[[Any], None],
               phases: list[Phase]) -> Callable[[], None]:
        generation = Generation(assistant_ids=tuple(a.id for a in target.assistants), models=target.models,
                                file_ids=self.config.file_ids, vector_store_ids=self.config.vector_store_ids,
                                unclaimed=self.config.claims.unclaimed,
                                assistant_models=tuple((a.id, a.model) for a in target.assistants),
                                profile=self.config.spec_profile)
        strategy = prop.strategy(generation)
        configured = settings(database=None, max_examples=self._examples_of(prop), phases=phases,
                              deadline=None, suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
        return configured(hypothesis_seed(property_seed(self.config.seed, prop.name))(given(strategy)(test)))

    def _run_items(self, target: Target) -> None:
        total = len(self.items)
        with ThreadPoolExecutor(max_workers=self.config.client.concurrency, thread_name_prefix="conformance") as pool:
            first = sorted(self.items, key=lambda item: not (item.property and item.property.long_running))
            pending: dict[Future[Outcome], WorkItem] = {
                pool.submit(self._execute_item, target, item): item for item in first
            }
            done_count = 0
            try:
                while pending:
                    done, _ = wait(pending, timeout=PROGRESS_INTERVAL, return_when=FIRST_COMPLETED)
                    for future in done:
                        item = pending.pop(future)
                        item.outcome = future.result()
                        self.tally.add(item.outcome)
                        self._keep_for_shrinking(item)
                        done_count += 1
                    self._progress("run", done_count, total)
            except BaseException:
                self.budget.stop.set()  # running items stop at their next request
                target.client.abort()
                for future in pending:
                    future.cancel()
                raise

    def _keep_for_shrinking(self, item: WorkItem) -> None:
        """Keep ``item``'s failure records if it is the first failing example of a requirement
        (shrinking starts there); otherwise only which requirements it failed."""
        assert item.outcome is not None
        dropped = []
        if item.property is not None:
            for requirement in item.outcome.failed_requirements():
                current = self.shrink_targets.get(requirement)
                if current is None or item.position < current.position:
                    self.shrink_targets[requirement] = item
                    if current is not None:
                        dropped.append(current)
        for other in [item, *dropped]:
            assert other.outcome is not None
            other.outcome.trim({r for r, target in self.shrink_targets.items() if target is other})

    def _execute_item(self, target: Target, item: WorkItem) -> Outcome:
        return execute(target, item.scenario, item.example, evidence_request(item.example), item.name)

    def _check_across_items(self, target: Target) -> None:
        recorder = Recorder(request=None, redactor=target.client.redactor)
        runs = [run for item in self.items if item.outcome is not None for run in item.outcome.runs]
        if runs:
            recorder.apply(distinct_ids, runs)
        self.tally.add(recorder.outcome)

    def _shrink(self, target: Target) -> None:
        deadline = time.monotonic() + self.config.profile.shrink_time
        if self.budget.deadline is not None:
            deadline = min(deadline, self.budget.deadline)
        targets = self.shrink_targets
        memo: dict[tuple[str, str], Outcome] = {
            (item.name, example_key(item.example)): item.outcome
            for item in self.items if item.property is not None and item.outcome is not None
            and item.outcome.abandoned is None
        }
        for number, (requirement, item) in enumerate(sorted(targets.items(), key=lambda pair: pair[0].id)):
            if time.monotonic() >= deadline or self.budget.exhausted:
                break
            self._progress("shrink", number, len(targets))
            try:
                minimal = self._shrink_one(target, item.property, requirement, memo, deadline)
            except Exception:  # Hypothesis itself failed (ours to fix); the unshrunk example stays
                self.tally.internal_errors.append(f"shrinking {requirement.id} failed: "
                                                  f"{traceback.format_exc(limit=8).strip()}")
                continue
            if minimal and minimal[0].request != evidence_request(item.example):
                self.tally.put_first(minimal)

    def _shrink_one(self, target: Target, prop: Property, requirement: Requirement,
                    memo: dict[tuple[str, str], Outcome], deadline: float) -> list[FailureRecord]:
        """The failures of ``requirement`` on the smallest example Hypothesis finds ([]: none found)."""
        last: list[FailureRecord] = []

        def _record_of(outcome: Outcome) -> list[FailureRecord]:
            return [record for record in outcome.failures
                    if record.finding.requirement == requirement and record.finding.failed]

        def test(example: Any) -> None:
            key = (prop.name, example_key(example))
            outcome = memo.get(key)
            if outcome is not None and requirement in outcome.failed_requirements() and not _record_of(outcome):
                outcome = None  # it failed, but its records were not kept: send it again for them
            if outcome is None:
                if time.monotonic() >= deadline or self.budget.exhausted:
                    return  # out of shrink budget: unknown examples count as passing
                outcome = execute(target, prop.scenario, example, evidence_request(example), prop.name)
                self.tally.internal_errors += outcome.internal_errors
                if outcome.abandoned is not None:
                    return
                outcome.trim({requirement})
                memo[key] = outcome
            fired = _record_of(outcome)
            if fired:
                last[:] = fired
                raise RequirementFired(requirement.id)

        try:
            self._given(prop, target, test, phases=[Phase.generate, Phase.shrink])()
        except RequirementFired:
            return last
        return []

    # --- result ----------------------------------------------------------------------------

    def _unexercised_core(self) -> str | None:
        """The core requirements the run could not exercise, and why (None: all were)."""
        streamed_any = any(prop.scenario is streamed.stream and self._examples_of(prop)
                           and prop.runs_on(self.available) for prop in self.config.properties)
        core = CORE_REQUIREMENTS + ((SSE_001,) if streamed_any else ())
        missing = [requirement.id for requirement in core if not self.tally.exercised[requirement]]
        if not missing:
            return None
        if self.budget.rate_limited:
            why = f"the target rate-limited the requests (429, {self.budget.rate_limited} time(s))"
        elif self.budget.exhausted:
            why = "the budget (--max-requests, --max-time) ran out first"
        else:
            why = "no answer could be judged"
        return f"{', '.join(missing)} could not be exercised: {why}"

    def _not_judged(self) -> str | None:
        """Why this run is no verdict on the target, if it is none: it was interrupted, the target
        went away or throttled everything, or nothing failed but the core requirements were not
        exercised (a MUST failure is a verdict: not conformant)."""
        if self.interrupted:
            return "the run was interrupted before it could judge the target"
        if self.budget.stopped:
            return f"{self.budget.stopped}; nothing after that was judged"
        failed_must = any(requirement.level is Level.MUST for requirement in self.tally.failing())
        return None if failed_must else self._unexercised_core()

    def _stopped(self) -> str | None:
        """Why the run stopped before the end, if it did."""
        if self.interrupted:
            return "the run was interrupted"
        if self.budget.stopped:
            return self.budget.stopped
        if self.budget.exhausted:
            return "the budget (--max-requests, --max-time) ran out"
        return None

    def _notes(self) -> list[str]:
        notes = list(self.setup.notes)
        unexercised = self._unexercised_core()
        if unexercised and self._not_judged() is None:  # a verdict all the same: a MUST requirement failed
            notes.append(unexercised)
        if self.budget.rate_limited:
            notes.append(f"the target answered 429 (rate limited) {self.budget.rate_limited} time(s); the suite "
                         f"waited {self.budget.rate_limit_waited:.1f} s for it in all")
        if self.tally.abandoned:
            notes.append(f"{self.tally.abandoned} example(s) were not judged: the budget ran out, the target "
                         "rate-limited them or could not be reached")
        return notes

    def _result(self) -> SuiteResult:
        partial = self.partial or self.budget.exhausted or self.tally.abandoned > 0 or any(
            item.outcome is None for item in self.items)
        return SuiteResult(
            suite_version=__version__,
            spec_commit=SPEC_COMMIT,
            profile=self.config.profile.name,
            seed=self.config.seed,
            base_url=self.config.client.base_url,
            started_at=self.started_wall,
            duration=time.monotonic() - self.started,
            results=self.tally.results(unsupported=self._unsupported(), stopped=self._stopped()),
            partial=partial,
            internal_errors=list(self.tally.internal_errors),
            requests_sent=self.budget.sent,
            not_judged=self._not_judged(),
            notes=self._notes(),
            claims=self.config.claims,
            certification=self.config.certification,
            spec_profile=self.config.spec_profile.name,
            spec_sha256=SPEC_SHA256,
        )

    def _unsupported(self) -> dict[Requirement, str]:
        """The requirements only features the target lacks exercise, with why."""
        reasons = {requirement: self.config.claims.unsupported(requirement, self.config.spec_profile)
                   for requirement in CATALOGUE}
        return {requirement: reason for requirement, reason in reasons.items() if reason}

    def _progress(self, phase: str, done: int, total: int) -> None:
        self.on_progress(Progress(phase=phase, done=done, total=total, requests=self.budget.sent,
                                  failing=len(self.tally.failing()), elapsed=time.monotonic() - self.started))


def _probe_scenario(probe: Callable[[Target, Recorder], None]) -> Scenario:
    def scenario(target: Target, _example: None, recorder: Recorder) -> None:
        probe(target, recorder)
    return scenario


class RequirementFired(Exception):
    """Raised inside a shrinking test when the requirement being shrunk fires."""


def execute(target: Target, scenario: Scenario, example: Any,
            request: Any, name: str) -> Outcome:
    """Run one scenario on one example; the target's behaviour never raises, our bugs are recorded.
    What keeps the example from being judged (the budget, rate limiting, a target gone) abandons it."""
    recorder = Recorder(request=request, redactor=target.client.redactor)
    try:
        scenario(target, example, recorder)
    except BudgetExhausted:
        recorder.outcome.abandoned = "budget exhausted"
    except RateLimited as limited:
        recorder.outcome.abandoned = str(limited)
    except TargetUnreachable as unreachable:
        target.client.budget.halt(str(unreachable))
        recorder.outcome.abandoned = str(unreachable)
    except Exception:
        recorder.crash(f"internal error while running {name}")
    return recorder.outcome


def evidence_request(example: Any) -> Any:
    """The request body an example sends (what a report shows and a reproducer resends): a JSON
    value, or text for a raw body (as in ``Exchange.request_body``)."""
    body = getattr(example, "body", example)
    return body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body


def example_key(example: Any) -> str:
    """A canonical text for an example: equal examples, equal keys."""
    value = dataclasses.asdict(example) if dataclasses.is_dataclass(example) else example
    return json.dumps(value, sort_keys=True, default=repr)


def property_seed(seed: int, name: str) -> int:
    """Each property's own seed, derived from the run's: properties do not share a sequence."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:4], "big")
