"""The engine against deliberately broken and conformant-but-unusual variants of the reference server.

Every broken variant must fail exactly its requirements (and the run exit 1); every conformant
variant must pass. Together with ``test_every_checked_requirement_has_a_breaking_variant`` this
shows that each check fires when it should and stays quiet otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from broken.variants import BROKEN, CONFORMANT, KEY, Variant, fails_with_temperature, reference, rewrite
from conformance.core import catalogue
from conformance.core.results import Verdict
from conformance.engine import scenarios
from conformance.engine.checks import CHECKS
from conformance.engine.properties import Generation, Property, examples
from engine_support import certify, exercised, first_failure, verdicts
from reports.reproduce import KEY_VARIABLE, reproducer


def covered_requirements() -> set[str]:
    """The requirements the REST checks judge (the stream rules have their own variants)."""
    return {check.requirement.id for check in CHECKS if check.function.__module__.startswith("conformance.engine.")}


@pytest.mark.parametrize("variant", BROKEN, ids=lambda variant: variant.name)
def test_broken_variant_fails_exactly_its_requirements(variant: Variant) -> None:
    result = certify(variant.build(), key=variant.suite_key, rules=variant.rules)

    assert result.internal_errors == []
    assert variant.fails <= exercised(result), "the test profile must exercise what the variant breaks"
    assert verdicts(result, Verdict.FAIL) == variant.fails
    assert result.exit_code(strict=True) == 1
    must = {r for r in variant.fails if catalogue.get(r).level is catalogue.Level.MUST}
    assert result.exit_code() == (1 if must else 0)
    for requirement_id in variant.fails:
        failure = first_failure(result, requirement_id)
        assert failure.exchange is not None and failure.finding.message


@pytest.mark.parametrize("variant", CONFORMANT, ids=lambda variant: variant.name)
def test_conformant_variant_passes(variant: Variant) -> None:
    result = certify(variant.build(), key=variant.suite_key)

    assert result.internal_errors == []
    assert verdicts(result, Verdict.FAIL) == set()
    assert result.exit_code(strict=True) == 0
    checked = covered_requirements()
    assert checked <= exercised(result), f"not exercised: {sorted(checked - exercised(result))}"


def test_instructions_null_is_a_warning_not_a_failure() -> None:
    variant = next(v for v in CONFORMANT if v.name == "instructions-null")
    result = certify(variant.build())
    assert verdicts(result, Verdict.WARN) == {"RUN-001"}
    assert result.exit_code(strict=True) == 0


def test_function_call_under_tool_choice_auto_passes() -> None:
    # The reference model calls a function under "auto" when the last user message names it.
    def mentioning_a_function(generation: Generation) -> Any:
        return st.sampled_from(generation.assistant_ids[:1]).map(lambda assistant_id: {
            "assistant_id": assistant_id,
            "thread": {"messages": [{"role": "user", "content": "please run lookup_order_status for order 42"}]},
        })

    result = certify(reference(), properties=(Property("follow", mentioning_a_function, scenarios.follow,
                                                       examples(0, 0, 0)),))
    assert verdicts(result, Verdict.FAIL) == set()
    submitted = [item for item in result.results if item.requirement.id == "LIFE-004"]
    assert submitted[0].exercised >= 1  # the run paused in requires_action and was continued


def test_a_failure_is_shrunk_to_a_minimal_request() -> None:
    result = certify(rewrite(on_response=fails_with_temperature)())
    minimal = first_failure(result, "REQ-001").request
    assert minimal["temperature"] is not None
    assert set(minimal) <= {"assistant_id", "temperature", "stream"}


def test_every_checked_requirement_has_a_breaking_variant() -> None:
    broken = {requirement_id for variant in BROKEN for requirement_id in variant.fails}
    assert covered_requirements() <= broken


def test_every_requirement_outside_streaming_is_checked() -> None:
    own_areas = {catalogue.Area.AUTH, catalogue.Area.REQUEST, catalogue.Area.ERROR, catalogue.Area.RUN,
                 catalogue.Area.LIFECYCLE}
    owned = {r.id for r in catalogue.CATALOGUE if r.area in own_areas}
    assert owned == covered_requirements()


def test_auth_is_not_probed_without_a_key() -> None:
    result = certify(reference(api_key=None), key=None)
    assert "AUTH-001" not in exercised(result)
    assert verdicts(result, Verdict.FAIL) == set()



def test_the_auth_probes_reproducers_send_the_wrong_key_or_none_never_the_real_one() -> None:
    variant = next(v for v in BROKEN if v.name == "auth-not-enforced")
    result = certify(variant.build(), key=variant.suite_key, counts={}, shrink_time=0.0)  # the probes only
    [auth] = [item for item in result.results if item.requirement.id == "AUTH-001"]
    assert auth.verdict is Verdict.FAIL
    reproducers = {failure.finding.message: reproducer(failure, result.base_url) for failure in auth.failures}
    [wrong_key] = [r for message, r in reproducers.items() if "a wrong bearer key" in message]
    [no_key] = [r for message, r in reproducers.items() if "no Authorization header" in message]
    assert f"-h 'authorization: bearer {scenarios.WRONG_KEY}'" in wrong_key.curl.lower()
    assert f"'Bearer {scenarios.WRONG_KEY}'" in wrong_key.python
    assert "authorization" not in (no_key.curl + no_key.python).lower()
    for script in (wrong_key.curl, wrong_key.python, no_key.curl, no_key.python):
        assert KEY_VARIABLE not in script and KEY not in script
