"""Hypothesis strategies for ``POST /v1/threads/runs`` (createThreadAndRun) request bodies.

Use them in your own property tests::

    from hypothesis import given
    import strategies

    @given(strategies.create_thread_and_run_requests(assistant_ids=["asst_123"], models=["gpt-4o"]))
    def test_accepts_valid_requests(body):
        assert client.post("/v1/threads/runs", json=body).status_code == 200

    @given(strategies.invalid_requests(violating="maximum"))
    def test_rejects_invalid_requests(invalid):
        assert client.post("/v1/threads/runs", content=invalid.content).status_code == 400

- ``create_thread_and_run_requests``: valid bodies, every branch and boundary of the spec.
- ``invalid_requests``: a valid body with exactly one rule broken, labelled (``InvalidRequest``);
  ``breakable_rules`` says which rules a target can have broken.
- ``requests_forcing_requires_action``, ``requests_ending_incomplete``,
  ``requests_with_overrides``: valid bodies with a known outcome, for oracles.

All take the same parameters describing the target (assistant ids, models, file and vector
store ids, stream, features it lacks, spec profile); see ``create_thread_and_run_requests``.
Under a spec profile (``SPEC_PROFILES``: ``v1``, ``v2-2024Q2``, ``v2-current``, the default)
valid bodies use exactly that profile's surface and invalid ones break a rule of its schema.
Invalid requests are labelled with their rule, one of ``INVALID_RULES``, and the catalogue
requirement it belongs to.
"""

from conformance.core.spec.profiles import (
    DEFAULT_PROFILE,
    FEATURES,
    SPEC_PROFILES,
    SpecProfile,
    get_profile,
)
from strategies.invalid import (
    DESCRIPTION_RULES,
    INVALID_RULES,
    RAW_RULES,
    RULES,
    SCHEMA_RULES,
    InvalidRequest,
    InvalidRule,
    breakable_rules,
    invalid_requests,
)
from strategies.requests import create_thread_and_run_requests
from strategies.semantic import (
    ECHOED_PROPERTIES,
    requests_ending_incomplete,
    requests_forcing_requires_action,
    requests_with_overrides,
)

__all__ = [
    "DEFAULT_PROFILE",
    "DESCRIPTION_RULES",
    "ECHOED_PROPERTIES",
    "FEATURES",
    "INVALID_RULES",
    "RAW_RULES",
    "RULES",
    "SCHEMA_RULES",
    "SPEC_PROFILES",
    "InvalidRequest",
    "InvalidRule",
    "SpecProfile",
    "breakable_rules",
    "create_thread_and_run_requests",
    "get_profile",
    "invalid_requests",
    "requests_ending_incomplete",
    "requests_forcing_requires_action",
    "requests_with_overrides",
]
