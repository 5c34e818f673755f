"""What a run exercises: properties (examples drawn from a strategy, each run by a scenario) and
fixed probes, and the run profiles that say how many examples each property gets.

Each property states its own number of examples for every run profile (``Property.examples``);
a property that lacks one for a profile of ``RUN_PROFILES`` is an error at import, so no property
is skipped silently. Properties are listed cheapest first: a requirement found by several is
shrunk with the first of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import strategies
from conformance.core.catalogue import REQ_002, REQ_003, REQ_004, REQ_005, Requirement
from conformance.core.spec.profiles import DEFAULT_PROFILE, FEATURES, SpecProfile
from conformance.core.recorder import Recorder
from conformance.engine import scenarios, streamed
from conformance.engine.scenarios import Scenario, Target


@dataclass(frozen=True)
class RunProfile:
    """How much a run does: ``--profile``. The examples per property are the properties' own."""

    name: str
    description: str
    shrink_time: float  # seconds for shrinking all failing requirements together


RUN_PROFILES: dict[str, RunProfile] = {profile.name: profile for profile in (
    RunProfile("quick", "smoke test, about 80 requests", shrink_time=10.0),
    RunProfile("standard", "the certification run: every requirement exercised, every rule many times",
               shrink_time=30.0),
    RunProfile("deep", "fuzzing: ten times standard", shrink_time=180.0),
)}


@dataclass(frozen=True)
class Generation:
    """What generated requests may name: the target's assistants (with their models), models, files
    and vector stores (None: the strategies' defaults, ids the reference server accepts; () for none
    at all), and the features the target does not claim (never generated)."""

    assistant_ids: tuple[str, ...]
    models: tuple[str, ...]
    file_ids: tuple[str, ...] | None = None
    vector_store_ids: tuple[str, ...] | None = None
    unclaimed: frozenset[str] = frozenset()
    assistant_models: tuple[tuple[str, str | None], ...] = ()  # (assistant id, its model)
    profile: SpecProfile = DEFAULT_PROFILE

    def keywords(self) -> dict[str, Any]:
        keywords: dict[str, Any] = {"assistant_ids": self.assistant_ids, "models": self.models,
                                    "exclude": self.unclaimed & FEATURES.keys(), "profile": self.profile}
        if self.file_ids is not None:
            keywords["file_ids"] = self.file_ids
        if self.vector_store_ids is not None:
            keywords["vector_store_ids"] = self.vector_store_ids
        return keywords

    def overrides_model(self, body: dict[str, Any]) -> bool:
        """True unless the body's model override equals its assistant's model while another model
        is known (an ignored override would then not show)."""
        model = body.get("model")
        return len(set(self.models)) < 2 or model is None or model != dict(self.assistant_models).get(
            body.get("assistant_id"))


@dataclass(frozen=True)
class Property:
    """A Hypothesis property: examples drawn from ``strategy``, each executed by ``scenario``."""

    name: str
    strategy: Callable[[Generation], st.SearchStrategy[Any]]
    scenario: Scenario
    examples: Mapping[str, int]  # run profile name -> examples generated
    long_running: bool = False  # follows runs to their end: started first, so the run ends sooner
    needs: frozenset[str] = frozenset()  # features the target must have, all of them
    needs_one_of: frozenset[str] = frozenset()  # features of which the target must have one

    def runs_on(self, available: frozenset[str]) -> bool:
        """Whether the property has anything to send to a target with the features ``available``
        (those of its spec profile and its behaviours that it claims)."""
        return self.needs <= available and (not self.needs_one_of or bool(self.needs_one_of & available))

    def __post_init__(self) -> None:
        missing = sorted(RUN_PROFILES.keys() - self.examples.keys())
        if missing:
            raise ValueError(f"property {self.name!r} has no number of examples for profile(s) {', '.join(missing)}")


def examples(quick: int, standard: int, deep: int) -> dict[str, int]:
    """A property's examples in each built-in run profile."""
    return {"quick": quick, "standard": standard, "deep": deep}


def _not_streamed(bodies: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies with ``stream`` omitted, false or null: every way of asking for a JSON answer."""
    return bodies.filter(lambda body: body.get("stream") is not True)


def _valid(strategy: str, *, stream: bool = False,
           showing_models: bool = False) -> Callable[[Generation], st.SearchStrategy[Any]]:
    """Valid bodies from ``strategies.<strategy>``: with ``stream`` all ``stream: true``, else none;
    with ``showing_models``, a model override always differs from the assistant's when it can."""
    def build(generation: Generation) -> st.SearchStrategy[Any]:
        bodies = getattr(strategies, strategy)
        built = bodies(stream=True, **generation.keywords()) if stream else _not_streamed(
            bodies(**generation.keywords()))
        return built.filter(generation.overrides_model) if showing_models else built
    return build


def _invalid(requirement: Requirement | None = None, *,
             stream: bool = False) -> Callable[[Generation], st.SearchStrategy[Any]]:
    """Invalid requests breaking the rules of ``requirement`` (None: any rule); with ``stream``
    only JSON-object bodies, all with ``stream: true``."""
    def build(generation: Generation) -> st.SearchStrategy[Any]:
        breakable = strategies.breakable_rules(exclude=generation.keywords()["exclude"], profile=generation.profile)
        rules = None if requirement is None else [rule.name for rule in breakable if rule.requirement == requirement]
        invalid = strategies.invalid_requests(violating=rules, stream=stream, **generation.keywords())
        return invalid.filter(lambda example: isinstance(example.body, dict)) if stream else invalid
    return build


STREAMING, FUNCTION = frozenset({"streaming"}), frozenset({"function"})

PROPERTIES: tuple[Property, ...] = (
    Property("accept", _valid("create_thread_and_run_requests"), scenarios.accept, examples(4, 150, 1500)),
    Property("echo", _valid("requests_with_overrides", showing_models=True), scenarios.accept, examples(3, 100, 1000)),
    # One rejection property per requirement, so that each is exercised whatever the draws.
    Property("reject-schema", _invalid(REQ_002), scenarios.reject, examples(4, 150, 1500)),
    Property("reject-metadata", _invalid(REQ_003), scenarios.reject, examples(2, 40, 400)),
    Property("reject-prose", _invalid(REQ_004), scenarios.reject, examples(2, 40, 400),
             needs_one_of=REQ_004.features),
    Property("reject-raw", _invalid(REQ_005), scenarios.reject, examples(1, 20, 200)),
    Property("reject-stream", _invalid(stream=True), scenarios.reject_streaming, examples(2, 50, 500),
             needs=STREAMING),
    Property("accept-stream", _valid("create_thread_and_run_requests", stream=True), streamed.stream,
             examples(2, 40, 400), long_running=True, needs=STREAMING),
    # accept-stream forces a tool call only now and then: this one always does, so that every
    # profile streams submit_tool_outputs continuations.
    Property("tool-round-trip-stream", _valid("requests_forcing_requires_action", stream=True), streamed.stream,
             examples(1, 4, 20), long_running=True, needs=STREAMING | FUNCTION),
    Property("follow", _valid("create_thread_and_run_requests"), scenarios.follow, examples(1, 12, 60),
             long_running=True),
    Property("tool-round-trip", _valid("requests_forcing_requires_action"), scenarios.follow, examples(1, 6, 20),
             long_running=True, needs=FUNCTION),
    Property("incomplete", _valid("requests_ending_incomplete"), scenarios.follow, examples(1, 4, 15),
             long_running=True, needs=frozenset({"run_incomplete"})),
    Property("cancel", _valid("create_thread_and_run_requests"), scenarios.cancel, examples(1, 6, 20),
             long_running=True),
)

PROBES: tuple[tuple[str, Callable[[Target, Recorder], None]], ...] = (
    ("unknown-assistant", scenarios.probe_unknown_assistant),
    ("auth", scenarios.probe_auth),
)
