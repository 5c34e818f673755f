"""The registry of checks: every check the engine runs, with the requirements its findings may cite.

A check is a plain function of what was observed (replies, run documents, requests) returning
a list of findings; it does no I/O. The engine decides *when* a check applies and only calls it
then: a call counts as one exercise of the check's requirement, an empty list as a pass.

Attribution rules (so a broken server trips exactly the requirement it breaks):
- the status code of an answer belongs to the requirement about that request (REQ-001 valid
  body, the invalid example's own REQ-002..005, AUTH-001, REQ-007, LIFE-004 submit, LIFE-005
  cancel, RUN-002/003/LIFE-006/007 for the follow-up GETs); the body of any answer >= 400
  belongs to ERR-001 alone;
- a document that fails its schema is reported under the schema's requirement only (RUN-001 for
  runs, the listing requirement for lists); semantic checks run on valid documents only;
- an invalid ``stream: true`` request answered with an event stream is REQ-006 only (not also
  its rule's requirement, nor ERR-001);
- status changes are LIFE-002's; LIFE-003 never re-reports a status change (see lifecycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.engine.checks import echo, lifecycle, resources, run_object, status
from conformance.findings import Finding


@dataclass(frozen=True)
class Check:
    name: str
    requirement_ids: tuple[str, ...]  # every requirement its findings may cite
    function: Callable[..., list[Finding]]


# The rejection check cites the requirement the invalid example is labelled with.
REJECTION_REQUIREMENTS = ("REQ-002", "REQ-003", "REQ-004", "REQ-005")

CHECKS: tuple[Check, ...] = (
    Check("accepted", ("REQ-001",), status.check_accepted),
    Check("rejected", REJECTION_REQUIREMENTS, status.check_rejected),
    Check("rejected_before_stream", ("REQ-006",), status.check_rejected_before_stream),
    Check("unknown_assistant", ("REQ-007",), status.check_unknown_assistant),
    Check("unauthorized", ("AUTH-001",), status.check_unauthorized),
    Check("error_envelope", ("ERR-001",), status.check_error_envelope),
    Check("run_reply", ("RUN-001",), run_object.check_run_reply),
    Check("run_document", ("RUN-001",), run_object.check_run_document),
    Check("status_fields", ("RUN-007",), run_object.check_status_fields),
    Check("tool_calls", ("RUN-008",), run_object.check_tool_calls),
    Check("usage", ("RUN-009",), run_object.check_usage),
    Check("timestamps", ("RUN-010",), run_object.check_timestamps),
    Check("overrides", ("RUN-004",), echo.check_overrides),
    Check("run_options", ("RUN-005",), echo.check_run_options),
    Check("sampling", ("RUN-006",), echo.check_sampling),
    Check("assistant_id", ("RUN-002",), resources.check_assistant_id),
    Check("run_retrievable", ("RUN-002",), resources.check_run_retrievable),
    Check("run_listed", ("RUN-002",), resources.check_run_listed),
    Check("distinct_ids", ("RUN-002",), resources.check_distinct_ids),
    Check("thread", ("RUN-003",), resources.check_thread),
    Check("steps", ("LIFE-006",), resources.check_steps),
    Check("messages", ("LIFE-007",), resources.check_messages),
    Check("input_messages", ("LIFE-008",), resources.check_input_messages),
    Check("settled", ("LIFE-001",), lifecycle.check_settled),
    Check("transitions", ("LIFE-002",), lifecycle.check_transitions),
    Check("immutable", ("LIFE-003",), lifecycle.check_immutable),
    Check("submit_accepted", ("LIFE-004",), lifecycle.check_submit_accepted),
    Check("continued", ("LIFE-004",), lifecycle.check_continued),
    Check("cancel_answer", ("LIFE-005",), lifecycle.check_cancel_answer),
    Check("cancel_converged", ("LIFE-005",), lifecycle.check_cancel_converged),
)

BY_FUNCTION: dict[Callable[..., list[Finding]], Check] = {check.function: check for check in CHECKS}


def check_for(function: Callable[..., list[Finding]]) -> Check:
    try:
        return BY_FUNCTION[function]
    except KeyError:
        raise KeyError(f"{getattr(function, '__name__', function)!r} is not a registered check") from None


def covered_requirements() -> set[str]:
    return {requirement_id for check in CHECKS for requirement_id in check.requirement_ids}
