"""The stream view: a captured stream with its events parsed, and what the rules derive from them.

A ``StreamContext`` says what came before the stream: nothing for createThreadAndRun; for a
submit_tool_outputs stream, the run it continues and what that run's earlier streams left open.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance.core.reading import RUN_HANDLE
from conformance.core.spec import Spec, spec_for
from conformance.core.spec.events import DONE, ERROR, THREAD_CREATED
from conformance.core.spec.runs import SETTLED, pending_tool_calls
from conformance.streaming.captured import CapturedStream
from conformance.streaming.event_model import Event, ObjectState, parse_event


@dataclass(frozen=True)
class StreamContext:
    """What came before a stream: nothing for createThreadAndRun; for a submit_tool_outputs
    stream, the run it continues and what the run's earlier streams left open."""

    run_id: str | None = None
    thread_id: str | None = None
    previous_status: str | None = None
    states: Mapping[str, ObjectState] = field(default_factory=dict)  # step/message id -> open or final
    tool_call_arguments: Mapping[str, str] = field(default_factory=dict)  # call id -> required arguments

    @property
    def is_continuation(self) -> bool:
        return self.run_id is not None


CREATE = StreamContext()


@dataclass
class StreamView:
    """A captured stream with its events parsed, and what the rules derive from them."""

    stream: CapturedStream
    context: StreamContext = CREATE
    spec: Spec = field(default_factory=spec_for)  # the profile the stream is judged against

    @cached_property
    def events(self) -> list[Event]:
        return [parse_event(index, e.event, e.data, self.spec) for index, e in enumerate(self.stream.events)]

    @cached_property
    def done_index(self) -> int | None:
        """The first ``done`` event (by name: a ``[DONE]`` data elsewhere is a fault of its own)."""
        return next((e.index for e in self.events if e.name == DONE), None)

    @cached_property
    def judged(self) -> list[Event]:
        """The stream as a client reads it: up to the first done, done excluded."""
        return self.events if self.done_index is None else self.events[: self.done_index]

    @property
    def answered_200(self) -> bool:
        return self.stream.status == 200

    @property
    def is_event_stream(self) -> bool:
        """A 200 answer read as an event stream: the rules on events apply."""
        return self.answered_200 and self.stream.tail is not None

    @property
    def ended_by_server(self) -> bool:
        """The server ended the stream (not a deadline of ours, not inside an event, not a broken connection)."""
        tail = self.stream.tail
        return (self.is_event_stream and tail is not None and not tail.unterminated
                and self.stream.ending in ("closed", "open-after-done"))

    @cached_property
    def runs(self) -> list[Event]:
        """The run events up to done whose run can be followed (id, thread_id and status readable,
        even if other fields fail the schema: SSE_003's)."""
        return [e for e in self.judged if e.is_run and e.readable(*RUN_HANDLE)]

    @cached_property
    def run_id(self) -> str | None:
        return self.context.run_id or (self.runs[0].data["id"] if self.runs else None)

    @cached_property
    def thread_id(self) -> str | None:
        if self.context.thread_id:
            return self.context.thread_id
        thread = next((e for e in self.judged if e.name == THREAD_CREATED and e.readable("id")), None)
        if thread is not None:
            return str(thread.data["id"])
        return str(self.runs[0].data["thread_id"]) if self.runs else None

    @property
    def last_run(self) -> dict[str, Any] | None:
        """The run as last streamed (the data of the last run event in ``runs``)."""
        return self.runs[-1].data if self.runs else None

    @property
    def error_ended(self) -> bool:
        """The stream's last known event before done is an ``error``: the run's end may be missing
        and done is optional (see the stream's ending requirement)."""
        last = next((e for e in reversed(self.judged) if e.known), None)
        return last is not None and last.name == ERROR

    @property
    def ended_properly(self) -> bool:
        """Ended by the server with the run's ending event and done: the REST view can be compared."""
        return (self.ended_by_server and self.done_index is not None and self.last_run is not None
                and self.last_run["status"] in SETTLED)

    def walk_objects(self, states: dict[str, ObjectState] | None = None) -> Iterator[tuple[Event, ObjectState | None]]:
        """Each step or message event with an id, and the state its object was in before it.

        ``states`` (default: a copy of the context's) is updated as the walk goes: created opens
        an object, a final event closes an open one.
        """
        states = dict(self.context.states) if states is None else states
        for event in self.judged:
            object_id, phase = event.object_id, event.phase
            if object_id is None or phase is None:
                continue
            before = states.get(object_id)
            yield event, before
            if phase == "created":
                states[object_id] = "open"
            elif phase == "final" and before == "open":
                states[object_id] = "final"

    def object_states(self) -> dict[str, ObjectState]:
        """Every step and message id seen so far (this stream and the earlier ones) -> its state."""
        states = dict(self.context.states)
        for _ in self.walk_objects(states):
            pass
        return states

    def event_at(self, offset: int) -> int | None:
        """The index of the event whose bytes include ``offset`` (None: between events)."""
        return next((index for index, e in enumerate(self.stream.events) if e.start <= offset < e.end), None)


def continuation(view: StreamView) -> StreamContext:
    """The context of the submit_tool_outputs stream continuing the run that ``view`` paused."""
    run = view.last_run
    assert run is not None and view.run_id is not None
    calls = pending_tool_calls(run)
    return StreamContext(
        run_id=view.run_id,
        thread_id=view.thread_id,
        previous_status=run["status"],
        states=view.object_states(),
        tool_call_arguments={call["id"]: call["function"]["arguments"] for call in calls
                             if call.get("type") == "function"},
    )
