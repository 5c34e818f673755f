"""Every check the suite runs: the REST checks here, the stream rules of ``conformance.streaming``.

Each check is a plain function registered with ``@check(<requirement>)`` (``core.checks``);
importing this package loads them all into ``core.checks.REGISTRY``. A scenario calls a check
through its ``Recorder`` where it has something to judge: a call counts as one exercise of the
check's requirement, an empty list as a pass; where it has nothing to judge, why is recorded.

Attribution (so a broken server trips exactly the requirement it breaks; the stream rules
attribute as ``streaming.rules`` says):
- the status code of an answer belongs to the requirement about that request (REQ_001 for a
  valid body, the invalid example's own requirement, AUTH_001, REQ_007, LIFE_004 for a submit,
  LIFE_005 for a cancel, RUN_002, RUN_003, LIFE_006, LIFE_007 for the follow-up GETs); the body
  of every answer >= 400 belongs to ERR_001 alone. So a framework default ``422 {"detail": ...}``
  for an invalid body is two violations, reported once each: the request's requirement (422 is
  not 400) and ERR_001 (no error envelope);
- a document that fails its schema is reported under the schema's requirement only (RUN_001 for
  runs; for a list, the requirement of what was listed: LIFE_006 steps, LIFE_007 messages), and
  is still read leniently (``core.reading``): the other checks judge the fields they read where
  those pass the schema, and one that reads a broken field is not exercised, with that reason
  ("blocked by RUN_001: run.created_at ..."); what a scenario cannot reach (no run in a refused
  answer, say) is recorded as blocked in the same way;
- an invalid ``stream: true`` request answered with an event stream is REQ_006 only (not also
  its rule's requirement, nor ERR_001);
- a status change is LIFE_002's, leaving a terminal state included; LIFE_003 compares terminal
  timestamps only between terminal observations, so a run that "un-finishes" is one LIFE_002
  finding; a run that never settles is LIFE_001's, except after a cancel request (LIFE_005's).
"""

from __future__ import annotations

from conformance.core.catalogue import Requirement
from conformance.core.checks import REGISTRY, Check
from conformance.engine.checks import echo, lifecycle, requests, resources, run_object  # noqa: F401  (registers)
from conformance.streaming import rest, rules  # noqa: F401  (registers)

CHECKS: tuple[Check[...], ...] = tuple(REGISTRY.values())


def covered_requirements() -> set[Requirement]:
    return {check.requirement for check in CHECKS}
