"""The runner: from a target and a run profile to a ``SuiteResult``.

1. Setup: a client with the run's budget; the suite's assistants (or the user's, fetched).
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
5. Verdicts per requirement (``Tally``), budgets and interruptions marked as partial.
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
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed

from conformance import __version__
from conformance.core.catalogue import Requirement
from conformance.core.errors import BudgetExhausted, Interrupted, RateLimited
from conformance.core.recorder import Outcome, Recorder, Tally
from conformance.core.results import FailureRecord, SuiteResult
from conformance.core.spec import SPEC_COMMIT
from conformance.engine.checks.resources import distinct_ids
from conformance.engine.client import Budget, ClientConfig, TargetClient
from conformance.engine.properties import PROBES, PROPERTIES, RUN_PROFILES, Generation, Property, RunProfile
from conformance.engine.scenarios import Scenario, Target
from conformance.engine.setup import Assistant, create_assistants, delete_assistants, fetch_assistant
from conformance.streaming.captured import StreamLimits

log = logging.getLogger(__name__)

DEFAULT_POLL_TIMEOUT = 60.0
PROGRESS_INTERVAL = 0.25  # seconds between progress callbacks while work is running


@dataclass(frozen=True)
class RunConfig:
    client: ClientConfig
    profile: RunProfile = RUN_PROFILES["standard"]
    seed: int = 0
    models: tuple[str, ...] = ("gpt-4o",)  # the first is the suite's assistants'; requests use all
    assistant_id: str | None = None  # use this assistant instead of creating the suite's
    max_requests: int | None = None
    max_time: float | None = None  # seconds for the whole run (setup and teardown excepted)
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    file_ids: tuple[str, ...] | None = None  # files requests may name (None: any, as the reference server)
    vector_store_ids: tuple[str, ...] | None = None  # likewise for vector stores
    stream_limits: StreamLimits = StreamLimits()
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
        self.budget = Budget(max_requests=config.max_requests, deadline=deadline)
        self.tally = Tally()
        self.items: list[WorkItem] = []
        self.partial = False

    def execute(self) -> SuiteResult:
        with TargetClient(self.config.client, self.budget) as client:
            self._progress("setup", 0, 0)
            assistants = self._assistants(client)
            try:
                target = Target(client=client, assistants=tuple(assistants), poll_timeout=self.config.poll_timeout,
                                stream_limits=self.config.stream_limits,
                                api_key_configured=bool(self.config.client.api_key))
                try:
                    self._generate(target)
                    self._run_items(target)
                    self._check_across_items()
                    self._shrink(target)
                except KeyboardInterrupt:
                    self.budget.stop.set()
                    self.partial = True
                    raise Interrupted(self._result()) from None
                except Exception:  # a bug of ours: reported as such (exit 3), never as the target's fault
                    self.partial = True
                    self.tally.internal_errors.append(f"the run stopped: {traceback.format_exc(limit=8).strip()}")
            finally:
                self._progress("teardown", 0, 0)
                for problem in delete_assistants(client, assistants):
                    log.warning("%s", problem)
            return self._result()

    # --- phases ----------------------------------------------------------------------------

    def _assistants(self, client: TargetClient) -> list[Assistant]:
        if self.config.assistant_id:
            return [fetch_assistant(client, self.config.assistant_id)]
        return create_assistants(client, self.config.models[0])

    def _examples_of(self, prop: Property) -> int:
        return prop.examples[self.config.profile.name]

    def _generate(self, target: Target) -> None:
        self._progress("generate", 0, 0)
        for name, probe in PROBES:
            self.items.append(WorkItem(None, name, None, _probe_scenario(probe)))
        for prop in self.config.properties:
            if self._examples_of(prop) == 0:
                continue
            for example in self._examples(prop, target):
                self.items.append(WorkItem(prop, prop.name, example, prop.scenario))

    def _examples(self, prop: Property, target: Target) -> list[Any]:
        examples: list[Any] = []

        def collect(example: Any) -> None:
            examples.append(copy.deepcopy(example))

        self._given(prop, target, collect, phases=[Phase.generate])()
        return examples

    def _given(self, prop: Property, target: Target, test: Callable[[Any], None],
               phases: list[Phase]) -> Callable[[], None]:
        generation = Generation(assistant_ids=tuple(a.id for a in target.assistants), models=self.config.models,
                                file_ids=self.config.file_ids, vector_store_ids=self.config.vector_store_ids)
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
                        done_count += 1
                    self._progress("run", done_count, total)
            except BaseException:
                self.budget.stop.set()  # running items stop at their next request
                for future in pending:
                    future.cancel()
                raise

    def _execute_item(self, target: Target, item: WorkItem) -> Outcome:
        return execute(target, item.scenario, item.example, evidence_request(item.example), item.name)

    def _check_across_items(self) -> None:
        recorder = Recorder(request=None)
        runs = [run for item in self.items if item.outcome is not None for run in item.outcome.runs]
        if runs:
            recorder.apply(distinct_ids, runs)
        self.tally.add(recorder.outcome)

    def _shrink(self, target: Target) -> None:
        deadline = time.monotonic() + self.config.profile.shrink_time
        if self.budget.deadline is not None:
            deadline = min(deadline, self.budget.deadline)
        failing = [item for item in self.items if item.property is not None and item.outcome is not None
                   and item.outcome.failed_requirements()]
        targets: dict[Requirement, WorkItem] = {}
        for item in failing:  # the first failing example of each requirement, in generation order
            for requirement in sorted(item.outcome.failed_requirements(), key=lambda r: r.id):
                targets.setdefault(requirement, item)
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
            if minimal is not None and minimal.request != evidence_request(item.example):
                self.tally.put_first(minimal)

    def _shrink_one(self, target: Target, prop: Property, requirement: Requirement,
                    memo: dict[tuple[str, str], Outcome], deadline: float) -> FailureRecord | None:
        """The failure of ``requirement`` on the smallest example Hypothesis finds, or None."""
        last: list[FailureRecord] = []

        def test(example: Any) -> None:
            key = (prop.name, example_key(example))
            outcome = memo.get(key)
            if outcome is None:
                if time.monotonic() >= deadline or self.budget.exhausted:
                    return  # out of shrink budget: unknown examples count as passing
                outcome = execute(target, prop.scenario, example, evidence_request(example), prop.name)
                self.tally.internal_errors += outcome.internal_errors
                if outcome.abandoned is not None:
                    return
                memo[key] = outcome
            fired = [record for record in outcome.failures
                     if record.finding.requirement == requirement and record.finding.failed]
            if fired:
                last[:] = fired[:1]
                raise RequirementFired(requirement.id)

        try:
            self._given(prop, target, test, phases=[Phase.generate, Phase.shrink])()
        except RequirementFired:
            return last[0] if last else None
        return None

    # --- result ----------------------------------------------------------------------------

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
            results=self.tally.results(),
            partial=partial,
            internal_errors=list(self.tally.internal_errors),
            requests_sent=self.budget.sent,
        )

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
    """Run one scenario on one example; the target's behaviour never raises, our bugs are recorded."""
    recorder = Recorder(request=request)
    try:
        scenario(target, example, recorder)
    except BudgetExhausted:
        recorder.outcome.abandoned = "budget exhausted"
    except RateLimited as limited:
        recorder.outcome.abandoned = str(limited)
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
