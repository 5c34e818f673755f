"""Running the engine in-process against an ASGI app, with a small run profile that keeps tests fast."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from starlette.types import ASGIApp

from broken.variants import KEY
from conformance.core.results import SuiteResult, Verdict
from conformance.engine import scenarios
from conformance.engine.client import ClientConfig
from conformance.engine.properties import PROPERTIES, Generation, Property, RunProfile, examples
from conformance.engine.runner import RunConfig, run_suite
from conformance.server.background import running_server

# The test profile's examples per property; a property not named here gets none.
TEST_EXAMPLES = {
    "accept": 6, "echo": 6, "follow": 2, "tool-round-trip": 1, "incomplete": 1, "cancel": 1,
    "reject-schema": 12, "reject-metadata": 4, "reject-prose": 4, "reject-raw": 3, "reject-stream": 6,
}
TEST_PROFILE = RunProfile("test", "small and fast, for the suite's own tests", shrink_time=1.5)
POLL_TIMEOUT = 2.0
MODELS = ("gpt-4o", "gpt-4o-mini")  # two: a model override must be observable


def rejecting(rules: tuple[str, ...]) -> Property:
    """The schema-rule rejection property restricted to some rules of ``strategies.invalid_requests``."""
    def build(generation: Generation) -> Any:
        import strategies

        return strategies.invalid_requests(violating=rules, stream=False, **generation.keywords())
    return Property("reject-schema", build, scenarios.reject, examples(0, 0, 0))


def counted(properties: tuple[Property, ...] = PROPERTIES,
            counts: Mapping[str, int] = TEST_EXAMPLES) -> tuple[Property, ...]:
    """``properties`` with ``counts`` examples in the test profile (none for a property not named)."""
    return tuple(replace(prop, examples={**prop.examples, TEST_PROFILE.name: counts.get(prop.name, 0)})
                 for prop in properties)


def certify(app: ASGIApp, *, key: str | None = KEY, rules: tuple[str, ...] | None = None,
            properties: tuple[Property, ...] | None = None, counts: Mapping[str, int] = TEST_EXAMPLES,
            shrink_time: float = TEST_PROFILE.shrink_time, seed: int = 7,
            models: tuple[str, ...] | None = MODELS, **options: Any) -> SuiteResult:
    """Run the suite against ``app`` served on a free loopback port, with ``counts`` examples per
    property (of ``properties``, default all; ``rules`` restricts the schema rejections)."""
    chosen = properties or PROPERTIES
    if rules is not None:
        chosen = tuple(rejecting(rules) if prop.name == "reject-schema" else prop for prop in chosen)
    with running_server(app) as base_url:
        config = RunConfig(client=ClientConfig(base_url=base_url, api_key=key, request_timeout=5.0),
                           profile=replace(TEST_PROFILE, shrink_time=shrink_time), seed=seed,
                           poll_timeout=POLL_TIMEOUT, properties=counted(chosen, counts), models=models, **options)
        return run_suite(config)


def verdicts(result: SuiteResult, verdict: Verdict) -> set[str]:
    return {item.requirement.id for item in result.results if item.verdict is verdict}


def exercised(result: SuiteResult) -> set[str]:
    return {item.requirement.id for item in result.results if item.exercised}


def first_failure(result: SuiteResult, requirement_id: str) -> Any:
    return next(item.failures[0] for item in result.results if item.requirement.id == requirement_id)
