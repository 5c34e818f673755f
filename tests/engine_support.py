"""Running the engine in-process against an ASGI app, with a small profile that keeps tests fast."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from broken.variants import KEY
from conformance.engine import scenarios
from conformance.engine.client import ClientConfig
from conformance.engine.runner import PROPERTIES, Generation, Profile, Property, RunConfig, run_suite
from conformance.results import SuiteResult, Verdict
from conformance.server.background import running_server

TEST_PROFILE = Profile("test", "small and fast, for the suite's own tests", {
    "accept": 6, "echo": 6, "follow": 2, "tool-round-trip": 1, "incomplete": 1, "cancel": 1,
    "reject-schema": 12, "reject-metadata": 4, "reject-prose": 4, "reject-raw": 3, "reject-stream": 6,
}, shrink_time=1.5)
POLL_TIMEOUT = 2.0
MODELS = ("gpt-4o", "gpt-4o-mini")  # two: a model override must be observable


def rejecting(rules: tuple[str, ...]) -> Property:
    """The schema-rule rejection property restricted to some rules of ``strategies.invalid_requests``."""
    def build(generation: Generation) -> Any:
        import strategies

        return strategies.invalid_requests(violating=rules, stream=False, **generation.keywords())
    return Property("reject-schema", build, scenarios.reject)


def certify(app: ASGIApp, *, key: str | None = KEY, rules: tuple[str, ...] | None = None,
            properties: tuple[Property, ...] | None = None, profile: Profile = TEST_PROFILE, seed: int = 7,
            **options: Any) -> SuiteResult:
    """Run the suite against ``app`` served on a free loopback port."""
    chosen = properties or PROPERTIES
    if rules is not None:
        chosen = tuple(rejecting(rules) if prop.name == "reject-schema" else prop for prop in chosen)
    with running_server(app) as base_url:
        config = RunConfig(client=ClientConfig(base_url=base_url, api_key=key, request_timeout=5.0),
                           profile=profile, seed=seed, poll_timeout=POLL_TIMEOUT, properties=chosen,
                           models=MODELS, **options)
        return run_suite(config)


def verdicts(result: SuiteResult, verdict: Verdict) -> set[str]:
    return {item.requirement.id for item in result.results if item.verdict is verdict}


def exercised(result: SuiteResult) -> set[str]:
    return {item.requirement.id for item in result.results if item.exercised}


def first_failure(result: SuiteResult, requirement_id: str) -> Any:
    return next(item.failures[0] for item in result.results if item.requirement.id == requirement_id)

