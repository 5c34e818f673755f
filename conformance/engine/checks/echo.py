"""Checks that a run carries what was asked: overrides, run options, sampling (RUN_004 to RUN_006).

Each echoed field has two checks. One judges a run whose request *gave* the field (present and
not null: the spec types every overridable field as nullable, and null means "not given"): the
run carries the request's value. The other judges a run whose request did not: it carries the
assistant's value, else the spec's default. A value given that equals what the run would carry
anyway shows nothing (a server ignoring the field would pass), so the first check cannot judge it
and says why; if no request of a run ever shows a field's override (a single model known, say),
the report names that check as not exercised, with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.core.catalogue import RUN_001, RUN_004, RUN_005, RUN_006, Requirement
from conformance.core.checks import CannotJudge, Check, register
from conformance.core.findings import Finding, FindingMaker
from conformance.engine.checks.common import echoes
from conformance.engine.setup import Assistant

DEFAULT_TRUNCATION = {"type": "auto", "last_messages": None}
DEFAULT_SAMPLING = 1


@dataclass(frozen=True)
class Inherited:
    """What a run carries where its request is silent: its assistant's values (when the suite
    knows them), else the spec's defaults; and the models the suite knows the target serves."""

    assistant: Assistant | None
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class EchoedField:
    """A field of the request the run must carry, and what it carries when the request is silent."""

    key: str
    requirement: Requirement
    fallback: Callable[[Assistant], Any]  # the value without the request's
    from_assistant: Callable[[Assistant], bool]  # whether that value is the assistant's (else a default)
    exact: bool = False  # compared with ==, not ``echoes`` (which lets a server add keys and fill defaults)
    null_when_silent: Callable[[Assistant], bool] = lambda assistant: False  # null may show the fallback
    required: bool = False  # absent from the run is a failure of this field (not only RUN_001's)

    def same(self, expected: Any, observed: Any) -> bool:
        return expected == observed if self.exact else echoes(expected, observed)


def _assistants(key: str) -> Callable[[Assistant], bool]:
    return lambda assistant: getattr(assistant, key) is not None


def _sampling(key: str) -> EchoedField:
    return EchoedField(key, RUN_006, lambda a: DEFAULT_SAMPLING if getattr(a, key) is None else getattr(a, key),
                       _assistants(key), null_when_silent=lambda a: getattr(a, key) is None, required=True)


ECHOED_FIELDS: tuple[EchoedField, ...] = (
    EchoedField("model", RUN_004, lambda a: a.model, lambda a: True),
    EchoedField("instructions", RUN_004, lambda a: a.instructions or "", lambda a: True),
    EchoedField("tools", RUN_004, lambda a: a.tools, lambda a: True),
    # Metadata is nullable: null shows "none" as {} does.
    EchoedField("metadata", RUN_005, lambda a: {}, lambda a: False, exact=True, null_when_silent=lambda a: True),
    EchoedField("max_prompt_tokens", RUN_005, lambda a: None, lambda a: False, exact=True),
    EchoedField("max_completion_tokens", RUN_005, lambda a: None, lambda a: False, exact=True),
    # Null is how the spec writes "not set" for these three: it shows the default.
    EchoedField("truncation_strategy", RUN_005, lambda a: DEFAULT_TRUNCATION, lambda a: False,
                null_when_silent=lambda a: True),
    EchoedField("tool_choice", RUN_005, lambda a: "auto", lambda a: False, null_when_silent=lambda a: True),
    EchoedField("parallel_tool_calls", RUN_005, lambda a: True, lambda a: False, exact=True),
    EchoedField("response_format", RUN_005, lambda a: "auto" if a.response_format is None else a.response_format,
                _assistants("response_format"), null_when_silent=lambda a: a.response_format in (None, "auto")),
    _sampling("temperature"),
    _sampling("top_p"),
)


def _observed(field: EchoedField, run: Any, finding: FindingMaker, expected: Any) -> tuple[Any, list[Finding]]:
    """The run's value of ``field`` (CannotJudge if the run's schema check already reports it)."""
    if field.key not in run:
        if field.required:
            return None, [finding(f"run.{field.key} is absent", expected=expected, observed="absent")]
        raise CannotJudge(f"blocked by {RUN_001.id}: run.{field.key} is missing")
    observed = run[field.key]
    if field.key == "instructions" and observed is None:
        raise CannotJudge(f"run.instructions is null (a {RUN_001.id} warning): nothing to compare")
    return observed, []


def _given_check(field: EchoedField) -> Check[[dict[str, Any], Any, Inherited]]:
    def given(finding: FindingMaker, request: dict[str, Any], run: Any, inherited: Inherited) -> list[Finding]:
        value = request[field.key]
        assistant = inherited.assistant
        if assistant is not None and field.same(value, field.fallback(assistant)):
            raise CannotJudge(_coincidence(field, assistant, inherited.models))
        observed, findings = _observed(field, run, finding, value)
        if findings or field.same(value, observed):
            return findings
        return [finding(f"run.{field.key} is not the request's {field.key}", expected=value, observed=observed)]

    return register(Check(f"run.{field.key} from the request", field.requirement, given,
                          applies=lambda request, run, inherited: request.get(field.key) is not None,
                          otherwise=f"no request gave {field.key}"))


def _silent_check(field: EchoedField) -> Check[[dict[str, Any], Any, Inherited]]:
    def silent(finding: FindingMaker, request: dict[str, Any], run: Any, inherited: Inherited) -> list[Finding]:
        assistant = inherited.assistant
        if assistant is None:
            raise CannotJudge("the request named an assistant whose values the suite does not know")
        expected = field.fallback(assistant)
        observed, findings = _observed(field, run, finding, expected)
        if findings or field.same(expected, observed) or (observed is None and field.null_when_silent(assistant)):
            return findings
        source = "the assistant's" if field.from_assistant(assistant) else "the default"
        return [finding(f"run.{field.key} is not {source} {field.key} (the request did not give one)",
                        expected=expected, observed=observed)]

    return register(Check(f"run.{field.key} without the request's", field.requirement, silent,
                          applies=lambda request, run, inherited: request.get(field.key) is None,
                          otherwise=f"every request gave {field.key}"))


def _coincidence(field: EchoedField, assistant: Assistant, models: tuple[str, ...]) -> str:
    if field.key == "model" and len(set(models)) < 2:
        return (f"only one model is known ({assistant.model}): a model override cannot differ from the "
                "assistant's model; name a second one with --model")
    whose = "the assistant's" if field.from_assistant(assistant) else "the default"
    return f"the request's {field.key} equals {whose}: a server ignoring it would pass"


# field key -> (the check of a run whose request gave it, the check of one whose request did not)
ECHO_CHECKS: dict[str, tuple[Check[[dict[str, Any], Any, Inherited]], Check[[dict[str, Any], Any, Inherited]]]] = {
    field.key: (_given_check(field), _silent_check(field)) for field in ECHOED_FIELDS
}
