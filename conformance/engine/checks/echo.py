"""Checks that a run carries what was asked: overrides, run options, sampling.

Each takes the request body, the schema-valid run it produced and the assistant it named. A
value "given" is present and not null; absent and null both mean "not given" (the spec types
every overridable field as nullable), so the assistant's value or the spec default applies.
"""

from __future__ import annotations

from typing import Any

from conformance.core.catalogue import RUN_004, RUN_005, RUN_006
from conformance.core.checks import check
from conformance.core.findings import Finding, FindingMaker
from conformance.engine.checks.common import echoes
from conformance.engine.setup import Assistant

DEFAULT_TRUNCATION = {"type": "auto", "last_messages": None}
DEFAULT_SAMPLING = 1


def _assistant_known(request: dict[str, Any], run: dict[str, Any], assistant: Assistant | None) -> bool:
    """What a run inherits can be judged only when the suite knows the assistant it named."""
    return assistant is not None


def _given(request: dict[str, Any], key: str) -> Any:
    return request.get(key)


@check(RUN_004, applies=_assistant_known)
def overrides(finding: FindingMaker, request: dict[str, Any], run: dict[str, Any],
              assistant: Assistant) -> list[Finding]:
    """Model, instructions and tools are the request's when given, else the assistant's."""
    findings = []
    for key, inherited in (("model", assistant.model), ("instructions", assistant.instructions),
                           ("tools", assistant.tools)):
        given = _given(request, key)
        expected = given if given is not None else inherited
        observed = run.get(key)
        if key == "instructions":
            if observed is None:
                continue  # null instructions: a RUN_001 warning, nothing to compare
            expected = expected or ""
        if not echoes(expected, observed):
            source = "the request's" if given is not None else "the assistant's"
            findings.append(finding(f"run.{key} is not {source} {key}", expected=expected, observed=observed))
    return findings


@check(RUN_005, applies=_assistant_known)
def run_options(finding: FindingMaker, request: dict[str, Any], run: dict[str, Any],
                assistant: Assistant) -> list[Finding]:
    """Run options are the request's when given, else their defaults.

    When not given, truncation_strategy, tool_choice and response_format may also be null: null
    is how the spec writes "not set", and it means the same default.
    """
    findings = []

    def compare(key: str, expected: Any, *, exact: bool = False, null_means_default: bool = False) -> None:
        observed = run.get(key)
        given = _given(request, key) is not None
        if not given and null_means_default and observed is None:
            return
        matched = expected == observed if exact else echoes(expected, observed)
        if not matched:
            source = "the request's value" if given else "the default"
            findings.append(finding(f"run.{key} is not {source}", expected=expected, observed=observed))

    metadata = _given(request, "metadata") or {}
    if metadata or run.get("metadata") is not None:  # no metadata may show as null: Metadata is nullable
        compare("metadata", metadata, exact=True)
    for key in ("max_prompt_tokens", "max_completion_tokens"):
        compare(key, _given(request, key), exact=True)
    compare("truncation_strategy", _given(request, "truncation_strategy") or DEFAULT_TRUNCATION,
            null_means_default=True)
    compare("tool_choice", _given(request, "tool_choice") or "auto", null_means_default=True)
    parallel = _given(request, "parallel_tool_calls")
    compare("parallel_tool_calls", True if parallel is None else parallel, exact=True)
    response_format = _given(request, "response_format")
    if response_format is None:
        response_format = assistant.response_format if assistant.response_format is not None else "auto"
        compare("response_format", response_format,
                null_means_default=assistant.response_format in (None, "auto"))
    else:
        compare("response_format", response_format)
    return findings


@check(RUN_006, applies=_assistant_known)
def sampling(finding: FindingMaker, request: dict[str, Any], run: dict[str, Any],
             assistant: Assistant) -> list[Finding]:
    """Temperature and top_p are the request's, else the assistant's, else 1."""
    findings = []
    for key, inherited in (("temperature", assistant.temperature), ("top_p", assistant.top_p)):
        given = _given(request, key)
        if given is not None:
            expected, source = given, "the request's"
        elif inherited is not None:
            expected, source = inherited, "the assistant's"
        else:
            expected, source = DEFAULT_SAMPLING, "the default"
        if key not in run:
            findings.append(finding(f"run.{key} is absent", expected=expected, observed="absent"))
            continue
        observed = run[key]
        if observed is None and given is None and inherited is None:
            continue  # nothing was set anywhere: null is how the default may be shown
        if not echoes(expected, observed):
            findings.append(finding(f"run.{key} is not {source} value", expected=expected, observed=observed))
    return findings
