"""The stream's events as the spec defines them: names, the schema of each one's data, and ``done``.

The spec lists the event names in ``AssistantStreamEvent``; the order of a stream comes from its
examples and descriptions (see the streaming requirements of the catalogue).
"""

from __future__ import annotations

from functools import cache

from conformance.core.spec.profile_spec import shipped_document, spec_for

DONE = "done"
ERROR = "error"
THREAD_CREATED = "thread.created"
RUN_CREATED = "thread.run.created"
RUN_PREFIX = "thread.run."
STEP_PREFIX = "thread.run.step."
MESSAGE_PREFIX = "thread.message."
# The final events of a step's and of a message's lifecycle.
STEP_FINAL = frozenset({"completed", "failed", "cancelled", "expired"})
MESSAGE_FINAL = frozenset({"completed", "incomplete"})


@cache
def event_data_schemas() -> dict[str, str]:
    """Every event name of the shipped spec's AssistantStreamEvent -> the schema of its data
    (``Spec.event_data_schemas`` of v2-current; another profile's: ``spec_for(profile)``)."""
    return spec_for().event_data_schemas()


@cache
def done_data() -> str:
    """The data of the ``done`` event, as the spec's DoneEvent states it (``[DONE]``)."""
    [literal] = shipped_document()["components"]["schemas"]["DoneEvent"]["properties"]["data"]["enum"]
    return str(literal)


def is_known(name: str) -> bool:
    return spec_for().is_known_event(name)


def is_done(name: str, data: str) -> bool:
    """The end of a stream for a client: ``event: done`` (the spec), or ``data: [DONE]`` on any
    event (where the official SDK stops reading)."""
    return name == DONE or data == done_data()


def run_status(name: str) -> str:
    """The status a run event announces (thread.run.created announces queued)."""
    return "queued" if name == RUN_CREATED else name.removeprefix(RUN_PREFIX)
