"""The stream oracle: a whole captured stream judged against the streaming requirements.

Each rule is a plain function of a ``StreamView`` (the captured stream, its events parsed and
validated once) returning findings for one requirement; ``RULES`` registers them with the
condition under which each applies (a rule that does not apply is not exercised). ``judge``
runs them all. The rules do no I/O: SSE-011's comparisons (``check_rest_run``,
``check_rest_objects``) are here, but ``checker`` fetches the REST view they compare with; the
SDK replay (SDK-001) is ``sdk_replay``'s.

Attribution: every fault is reported under exactly one requirement.
- The status of the answer belongs to the request's own requirement (REQ-001, LIFE-004: the
  checker applies the engine's checks); SSE-001 judges the media type of a 200 answer.
- A stream the suite cut at a deadline or the byte cap is SSE-010 alone: neither "cut inside an
  event" (SSE-002) nor "no done" (SSE-009); the events received so far are still judged.
- A stream the server cut inside an event, or whose connection broke, is SSE-002 alone: SSE-009
  (the end) is not judged, as the stream has no end to judge.
- An event's data belongs to SSE-003 (JSON, then the schema of its event name). The other rules
  read the data of valid events only; they read the names of all events (a name is framing, not
  data). Unknown names are SSE-004 warnings and take no part in order or lifecycles.
- Events after the first ``done`` belong to SSE-009 alone (clients stop reading at ``done``); the
  other rules judge the stream up to it. So does a ``[DONE]`` data on another event (the SDK stops
  reading there), which SSE-003 therefore does not call "not JSON".
- A run status change against the state graph is SSE-006's; SSE-009 judges how the stream ends
  and never re-reports a run event that leaves a terminal state.
- An object's lifecycle (created, deltas, final) is SSE-007's, followed by the id in the data
  even when the rest of it is invalid; the content its deltas add up to is SSE-008's, compared
  only with valid final documents (deltas out of order still add up: their order is SSE-007's).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal

from conformance.engine.checks.common import schema_problems
from conformance.engine.checks.run_object import check_run_document
from conformance.engine.lifecycle import REQUIRES_ACTION, SETTLED, is_legal_transition
from conformance.findings import Finding, Severity
from conformance.spec import SCHEMA_PREFIX, document
from conformance.streaming.capture import CapturedStream

DONE = "done"
ERROR = "error"
THREAD_CREATED = "thread.created"
RUN_CREATED = "thread.run.created"
RUN_PREFIX = "thread.run."
STEP_PREFIX = "thread.run.step."
MESSAGE_PREFIX = "thread.message."
# Object lifecycles (the spec lists the names; the stream examples and its descriptions the order).
STEP_FINAL = frozenset({"completed", "failed", "cancelled", "expired"})
MESSAGE_FINAL = frozenset({"completed", "incomplete"})
PROGRESS = frozenset({"in_progress", "delta"})
LIMIT_ENDINGS = frozenset({"first-byte-timeout", "idle-timeout", "total-timeout", "byte-cap"})
MAX_FINDINGS_PER_RULE = 5  # per stream: a broken server repeats one fault in every event


# --- the spec's events ---------------------------------------------------------------------

@cache
def event_data_schemas() -> dict[str, str]:
    """Every event name of the spec's AssistantStreamEvent -> the schema of its data.

    Read from the spec: the members of the union (and of the unions it names) are
    ``{event: <const>, data: <$ref>}`` objects; ``done``'s data is a literal instead
    (``done_data``), so ``done`` is not in this table.
    """
    schemas = document()["components"]["schemas"]
    table: dict[str, str] = {}

    def collect(member: dict[str, Any]) -> None:
        if "$ref" in member:
            collect(schemas[member["$ref"].removeprefix(SCHEMA_PREFIX)])
        elif "oneOf" in member:
            for variant in member["oneOf"]:
                collect(variant)
        elif "$ref" in member["properties"]["data"]:
            [name] = member["properties"]["event"]["enum"]
            table[name] = member["properties"]["data"]["$ref"].removeprefix(SCHEMA_PREFIX)

    collect(schemas["AssistantStreamEvent"])
    return table


@cache
def done_data() -> str:
    """The data of the ``done`` event, as the spec's DoneEvent states it (``[DONE]``)."""
    [literal] = document()["components"]["schemas"]["DoneEvent"]["properties"]["data"]["enum"]
    return str(literal)


def is_known(name: str) -> bool:
    return name == DONE or name in event_data_schemas()


def run_status(name: str) -> str:
    """The status a run event announces: thread.run.created announces queued (analysis AMB-27)."""
    return "queued" if name == RUN_CREATED else name.removeprefix(RUN_PREFIX)


# --- the stream, parsed --------------------------------------------------------------------

NOT_JSON: Any = object()
Kind = Literal["step", "message"]
Phase = Literal["created", "progress", "final"]
ObjectState = Literal["open", "final"]


@dataclass(frozen=True)
class Event:
    """One event of the stream: its name, its data parsed, and what its schema says of it."""

    index: int  # in CapturedStream.events (and in the Exchange's events)
    name: str
    raw: str  # the data as sent
    data: Any  # the data parsed as JSON; NOT_JSON if it is not (or if it is done's literal)
    schema: str | None  # the schema the data must validate against; None for done and unknown names
    problems: tuple[str, ...] = ()  # why the data does not validate (empty: it does)
    deviations: tuple[str, ...] = ()  # tolerated deviations (warnings), e.g. instructions null

    @property
    def known(self) -> bool:
        return is_known(self.name)

    @property
    def valid(self) -> bool:
        """Known, JSON, and valid against its schema: its data can be trusted."""
        return self.schema is not None and self.data is not NOT_JSON and not self.problems

    @property
    def is_run(self) -> bool:
        return self.name in event_data_schemas() and self.name.startswith(RUN_PREFIX) and not self.is_step

    @property
    def is_step(self) -> bool:
        return self.name in event_data_schemas() and self.name.startswith(STEP_PREFIX)

    @property
    def is_message(self) -> bool:
        return self.name in event_data_schemas() and self.name.startswith(MESSAGE_PREFIX)

    @property
    def is_object(self) -> bool:
        """A thread, run, step or message event (not error, done or an unknown name)."""
        return self.name in event_data_schemas() and self.name.startswith("thread.")

    @property
    def kind(self) -> Kind | None:
        return "step" if self.is_step else "message" if self.is_message else None

    @property
    def phase(self) -> Phase | None:
        if self.kind is None:
            return None
        suffix = self.name.rsplit(".", 1)[1]
        if suffix == "created":
            return "created"
        if suffix in PROGRESS:
            return "progress"
        return "final" if suffix in (STEP_FINAL if self.kind == "step" else MESSAGE_FINAL) else None

    @property
    def object_id(self) -> str | None:
        """The id in the data, even if the data is otherwise invalid (a lifecycle needs only that)."""
        value = self.data.get("id") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None


def parse_event(index: int, name: str, raw: str) -> Event:
    if name == DONE or raw.startswith(done_data()):
        return Event(index, name, raw, NOT_JSON, None)
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        return Event(index, name, raw, NOT_JSON, event_data_schemas().get(name))
    schema = event_data_schemas().get(name)
    if schema is None:
        return Event(index, name, raw, data, None)
    if schema == "RunObject":  # the engine's RUN-001 document check: the same tolerances for runs
        found = check_run_document(data)
        problems = tuple(p for f in found if f.severity is Severity.FAIL for p in f.observed)
        deviations = tuple(f.message for f in found if f.severity is Severity.WARN)
        return Event(index, name, raw, data, schema, problems, deviations)
    return Event(index, name, raw, data, schema, tuple(schema_problems(schema, data)))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity; JSON does not


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

    @cached_property
    def events(self) -> list[Event]:
        return [parse_event(index, e.event, e.data) for index, e in enumerate(self.stream.events)]

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
        """The valid run events, up to done."""
        return [e for e in self.judged if e.is_run and e.valid]

    @cached_property
    def run_id(self) -> str | None:
        return self.context.run_id or (self.runs[0].data["id"] if self.runs else None)

    @cached_property
    def thread_id(self) -> str | None:
        if self.context.thread_id:
            return self.context.thread_id
        thread = next((e for e in self.judged if e.name == THREAD_CREATED and e.valid), None)
        if thread is not None:
            return str(thread.data["id"])
        return str(self.runs[0].data["thread_id"]) if self.runs else None

    @property
    def last_run(self) -> dict[str, Any] | None:
        """The run as last streamed (the data of the last valid run event)."""
        return self.runs[-1].data if self.runs else None

    @property
    def error_ended(self) -> bool:
        """The stream's last known event before done is an ``error``: the run's end may be missing
        and done is optional (analysis AMB-25)."""
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
    calls = ((run.get("required_action") or {}).get("submit_tool_outputs") or {}).get("tool_calls") or []
    return StreamContext(
        run_id=view.run_id,
        thread_id=view.thread_id,
        previous_status=run["status"],
        states=view.object_states(),
        tool_call_arguments={call["id"]: call["function"]["arguments"] for call in calls
                             if call.get("type") == "function"},
    )


# --- the rules ----------------------------------------------------------------------------

def check_media_type(view: StreamView) -> list[Finding]:
    """SSE-001: a 200 answer to a stream: true request is text/event-stream (charset allowed)."""
    if view.stream.is_event_stream:
        return []
    return [Finding("SSE-001", f"a stream: true request was answered 200 with Content-Type "
                    f"{view.stream.content_type!r}, not text/event-stream",
                    expected="text/event-stream", observed=view.stream.content_type)]


def check_framing(view: StreamView) -> list[Finding]:
    """SSE-002: the bytes are UTF-8 and the stream is not cut inside an event by the server."""
    stream, findings = view.stream, []
    invalid = stream.defect_counts["invalid-utf8"]
    if invalid:
        first = next((d for d in stream.defects if d.kind == "invalid-utf8"), None)
        where = f", the first at byte {first.offset}" if first else ""
        findings.append(Finding("SSE-002", f"the stream is not valid UTF-8 ({invalid} invalid sequence(s){where})",
                                observed=first.detail if first else None,
                                event_index=view.event_at(first.offset) if first else None))
    if stream.ending == "transport-error":
        findings.append(Finding("SSE-002", f"the connection broke in the middle of the stream: {stream.error}",
                                observed=stream.error))
    elif stream.ending == "closed" and stream.tail is not None and stream.tail.unterminated:
        pending = stream.tail.pending_event
        findings.append(Finding("SSE-002", "the stream ended inside an event: its last lines are not followed "
                                "by a blank line (clients drop that event)",
                                expected="a blank line after every event", observed=pending))
    return findings


def check_event_data(view: StreamView) -> list[Finding]:
    """SSE-003: data is JSON (done's is [DONE]) and validates against its event's schema."""
    findings: list[Finding] = []
    reported: set[tuple[str, str]] = set()

    def report(event: Event, what: str, finding: Finding) -> None:
        if (event.name, what) not in reported:
            reported.add((event.name, what))
            findings.append(finding)

    done = [] if view.done_index is None else [view.events[view.done_index]]
    for event in view.judged + done:
        if event.name == DONE:
            if event.raw != done_data():
                report(event, "done", Finding("SSE-003", f"the done event's data is not {done_data()}",
                                              expected=done_data(), observed=event.raw[:200],
                                              event_index=event.index))
        elif event.raw.startswith(done_data()):
            continue  # a [DONE] data on another event: SSE-009's (it ends clients' reading)
        elif event.data is NOT_JSON:
            report(event, "json", Finding("SSE-003", f"the data of a {event.name} event is not JSON",
                                          expected="JSON", observed=event.raw[:200], event_index=event.index))
        elif event.problems:
            report(event, "schema", Finding("SSE-003", f"the data of a {event.name} event does not validate "
                                            f"against {event.schema}", expected=event.schema,
                                            observed=list(event.problems), event_index=event.index))
        for deviation in event.deviations:
            report(event, deviation, Finding("SSE-003", f"{event.name}: {deviation}", severity=Severity.WARN,
                                             event_index=event.index))
    return findings


def check_event_names(view: StreamView) -> list[Finding]:
    """SSE-004: every event name is one the spec defines (an unknown one is only a warning)."""
    findings, seen = [], set()
    for event in view.judged:
        if not event.known and event.name not in seen:
            seen.add(event.name)
            findings.append(Finding("SSE-004", f"unknown event name {event.name!r} (clients must ignore it)",
                                    severity=Severity.WARN, observed=event.name, event_index=event.index))
    return findings


def check_order(view: StreamView) -> list[Finding]:
    """SSE-005: thread.created first, thread.run.created second (neither in a continuation);
    every run event's thread_id is the stream's thread."""
    findings = []
    objects = [e for e in view.judged if e.is_object]
    if view.context.is_continuation:
        for event in objects:
            if event.name in (THREAD_CREATED, RUN_CREATED):
                findings.append(Finding("SSE-005", f"a submit_tool_outputs stream sent {event.name}",
                                        expected="neither thread.created nor thread.run.created",
                                        observed=event.name, event_index=event.index))
    else:
        for position, (place, expected) in enumerate((("first", THREAD_CREATED), ("second", RUN_CREATED))):
            if len(objects) > position and objects[position].name != expected:
                event = objects[position]
                findings.append(Finding("SSE-005", f"the {place} event is {event.name}, not {expected}",
                                        expected=expected, observed=event.name, event_index=event.index))
        for event in objects[2:]:
            if event.name in (THREAD_CREATED, RUN_CREATED):
                place = "first" if event.name == THREAD_CREATED else "second"
                findings.append(Finding("SSE-005", f"{event.name} came as event {event.index + 1}; it must come "
                                        f"once, {place}", expected=f"{event.name} {place}", observed=event.name,
                                        event_index=event.index))
    other = next((e for e in view.runs if e.data["thread_id"] != view.thread_id), None)
    if view.thread_id is not None and other is not None:
        findings.append(Finding("SSE-005", f"the run's thread_id in {other.name} is not the stream's thread",
                                expected=view.thread_id, observed=other.data["thread_id"],
                                event_index=other.index))
    return findings


def check_run_events(view: StreamView) -> list[Finding]:
    """SSE-006: each thread.run.<status> event carries that status, one run id, legal transitions."""
    findings = []
    wrong_status = set()
    for event in view.runs:
        expected = run_status(event.name)
        if event.data["status"] != expected and event.name not in wrong_status:
            wrong_status.add(event.name)
            findings.append(Finding("SSE-006", f"a {event.name} event carries status {event.data['status']!r}",
                                    expected=expected, observed=event.data["status"], event_index=event.index))
    other = next((e for e in view.runs if e.data["id"] != view.run_id), None)
    if other is not None:
        findings.append(Finding("SSE-006", "the stream's run events are not all of one run",
                                expected=view.run_id, observed=other.data["id"], event_index=other.index))
    statuses = [view.context.previous_status] if view.context.previous_status else []
    announced = [e for e in view.judged if e.is_run]
    statuses += [run_status(e.name) for e in announced]
    # The event announcing each "after" status: the first run event when a previous status leads.
    for event, before, after in zip(announced[len(announced) - len(statuses) + 1:], statuses, statuses[1:]):
        if not is_legal_transition(before, after):
            findings.append(Finding("SSE-006", f"illegal status transition {before} -> {after}",
                                    expected=f"a status reachable from {before}", observed=after,
                                    event_index=event.index))
    return findings[:MAX_FINDINGS_PER_RULE]


def check_object_lifecycles(view: StreamView) -> list[Finding]:
    """SSE-007: a step's or message's in_progress, delta and final events come after its created
    event and before its final one, and each object belongs to the stream's run and thread."""
    findings: list[Finding] = []
    reported: set[str] = set()

    def report(event: Event, object_id: str, message: str, **values: Any) -> None:
        if object_id not in reported:
            reported.add(object_id)
            findings.append(Finding("SSE-007", message, event_index=event.index, **values))

    for event, before in view.walk_objects():
        object_id = event.object_id
        assert object_id is not None  # the walk yields only events with an id
        what = f"{event.kind} {object_id!r}"
        if event.phase == "created" and before is not None:
            report(event, object_id, f"{event.name} for {what}, which was already created")
        elif event.phase != "created" and before is None:
            report(event, object_id, f"{event.name} for {what} before its created event")
        elif event.phase != "created" and before == "final":
            report(event, object_id, f"{event.name} for {what} after its final event")
        elif event.valid and not event.name.endswith(".delta"):  # deltas carry no run_id/thread_id
            for key, expected in (("run_id", view.run_id), ("thread_id", view.thread_id)):
                if expected is not None and event.data.get(key) != expected:
                    report(event, object_id, f"{what} has another {key} than the stream's run",
                           expected=expected, observed=event.data.get(key))
    return findings[:MAX_FINDINGS_PER_RULE]


def check_accumulation(view: StreamView) -> list[Finding]:
    """SSE-008: deltas are increments that add up to the final object: message text per content
    index, function arguments per tool call (final step, required_action, the continued step)."""
    return (_message_text_findings(view) + _argument_findings(view))[:MAX_FINDINGS_PER_RULE]


def check_termination(view: StreamView) -> list[Finding]:
    """SSE-009: one ending run event (terminal or requires_action), then done with [DONE] as
    the very last event, and the server closes (done is optional after an error event)."""
    findings, events, done = [], view.events, view.done_index
    for event in events[: len(events) if done is None else done]:
        if event.name != DONE and event.raw.startswith(done_data()):
            findings.append(Finding("SSE-009", f"a {event.name} event carries the data {done_data()}: "
                                    "clients stop reading the stream there", expected=f"event: {DONE}",
                                    observed=event.name, event_index=event.index))
            break
    if done is None:
        if not view.error_ended:
            findings.append(Finding("SSE-009", f"the stream ended without the {DONE} event",
                                    expected=f"event: {DONE} / data: {done_data()}", observed="no done event"))
    elif done < len(events) - 1:
        findings.append(Finding("SSE-009", f"{len(events) - 1 - done} event(s) came after {DONE}",
                                expected=f"{DONE} as the last event", observed=events[done + 1].name,
                                event_index=done + 1))
    if view.stream.ending == "open-after-done":
        findings.append(Finding("SSE-009", f"the server kept the connection open more than "
                                f"{view.stream.limits.after_done:g} s after {DONE}",
                                expected="the server closes the stream", observed="connection open",
                                event_index=done))
    return findings + _run_end_findings(view)


def check_limits(view: StreamView) -> list[Finding]:
    """SSE-010: the stream keeps within the deadlines and the byte cap."""
    stream, limits, findings = view.stream, view.stream.limits, []
    if stream.ending in LIMIT_ENDINGS:
        message = {
            "first-byte-timeout": f"no response within {limits.first_byte:g} s" if stream.status is None
            else f"no body byte within {limits.first_byte:g} s of the request",
            "idle-timeout": f"the stream went silent for {limits.idle:g} s without ending",
            "total-timeout": f"the stream did not terminate within {limits.total:g} s",
            "byte-cap": f"the stream sent more than {limits.max_bytes} bytes without ending",
        }[stream.ending]
        findings.append(Finding("SSE-010", message, expected="done within the limits", observed=stream.ending))
    too_large = next((d for d in stream.defects if d.kind == "event-too-large"), None)
    if too_large is not None:
        findings.append(Finding("SSE-010", f"an event at byte {too_large.offset} was too large to read "
                                f"({too_large.detail})", observed=too_large.detail))
    return findings


@dataclass(frozen=True)
class Rule:
    requirement_id: str
    check: Callable[[StreamView], list[Finding]]
    applies: Callable[[StreamView], bool]


RULES: tuple[Rule, ...] = (
    Rule("SSE-001", check_media_type, lambda view: view.answered_200),
    Rule("SSE-002", check_framing, lambda view: view.is_event_stream),
    Rule("SSE-003", check_event_data, lambda view: view.is_event_stream),
    Rule("SSE-004", check_event_names, lambda view: view.is_event_stream),
    Rule("SSE-005", check_order, lambda view: view.is_event_stream),
    Rule("SSE-006", check_run_events, lambda view: view.is_event_stream),
    Rule("SSE-007", check_object_lifecycles, lambda view: view.is_event_stream),
    Rule("SSE-008", check_accumulation, lambda view: view.is_event_stream),
    Rule("SSE-009", check_termination, lambda view: view.ended_by_server),
    Rule("SSE-010", check_limits, lambda view: True),
)


@dataclass
class Judgement:
    view: StreamView
    exercised: list[str] = field(default_factory=list)  # the requirements whose rule applied
    findings: list[Finding] = field(default_factory=list)
    crashes: list[tuple[str, str]] = field(default_factory=list)  # (requirement, traceback): our bugs

    @property
    def failed(self) -> bool:
        return any(finding.severity is Severity.FAIL for finding in self.findings)


def judge(stream: CapturedStream, context: StreamContext = CREATE) -> Judgement:
    """Apply every rule that applies to ``stream``; a rule that raises is recorded, not fatal."""
    judgement = Judgement(StreamView(stream, context))
    for rule in RULES:
        try:
            if not rule.applies(judgement.view):
                continue
            findings = rule.check(judgement.view)
        except Exception:
            judgement.crashes.append((rule.requirement_id, traceback.format_exc(limit=6).strip()))
            continue
        judgement.exercised.append(rule.requirement_id)
        judgement.findings += findings
    return judgement


# --- SSE-011: the stream against the REST view (the checker fetches it) -------------------
# These findings go with the REST answer as evidence (an exchange without events): no event_index.

# What must agree between an object's final streamed document and its listed one.
COMPARED_FIELDS: dict[Kind, tuple[str, ...]] = {"message": ("status", "content"), "step": ("status", "step_details")}


def check_rest_run(view: StreamView, run: dict[str, Any]) -> list[Finding]:
    """SSE-011: GET of the run, right after done, shows the last streamed status."""
    streamed = view.last_run
    if streamed is None or run.get("status") == streamed["status"]:
        return []
    return [Finding("SSE-011", f"after {DONE}, GET of the run shows status {run.get('status')!r}, the stream "
                    f"last showed {streamed['status']!r}", expected=streamed["status"], observed=run.get("status"))]


def check_rest_objects(view: StreamView, kind: Kind, listed: list[dict[str, Any]]) -> list[Finding]:
    """SSE-011: every step (or message) the stream showed is listed; one whose final event was
    streamed is listed with the same final content."""
    by_id = {item.get("id"): item for item in listed}
    findings = []
    for object_id, event in streamed_objects(view, kind).items():
        item = by_id.get(object_id)
        if item is None:
            findings.append(Finding("SSE-011", f"the streamed {kind} {object_id!r} is not listed",
                                    expected=object_id, observed=sorted(map(str, by_id))))
            continue
        if event.phase != "final":
            continue
        for name in COMPARED_FIELDS[kind]:
            if item.get(name) != event.data.get(name):
                findings.append(Finding("SSE-011", f"the {kind} {object_id!r} is listed with another {name} than "
                                        f"its {event.name} event", expected=event.data.get(name),
                                        observed=item.get(name)))
                break
    return findings[:MAX_FINDINGS_PER_RULE]


def streamed_objects(view: StreamView, kind: Kind) -> dict[str, Event]:
    """Each step (or message) id of the stream -> its last valid event that carries the whole object."""
    objects: dict[str, Event] = {}
    for event in view.judged:
        if event.kind == kind and event.valid and not event.name.endswith(".delta"):
            objects[event.data["id"]] = event
    return objects


# --- helpers of the rules ------------------------------------------------------------------

def _run_end_findings(view: StreamView) -> list[Finding]:
    """SSE-009 on the run's end: an ending event exists, the run does not go on after it (unless
    it leaves a terminal state: SSE-006's), and no step or message event follows the last one."""
    runs = [e for e in view.judged if e.is_run]
    endings = [k for k, e in enumerate(runs) if run_status(e.name) in SETTLED]
    if not endings:
        if view.error_ended:
            return []
        return [Finding("SSE-009", "the stream ended without a terminal run event or "
                        "thread.run.requires_action", expected=sorted(f"{RUN_PREFIX}{s}" for s in SETTLED),
                        observed=[e.name for e in runs], event_index=view.done_index)]
    for k in endings:
        if k + 1 < len(runs):
            ending, after = runs[k], runs[k + 1]
            if is_legal_transition(run_status(ending.name), run_status(after.name)):
                word = "paused" if run_status(ending.name) == REQUIRES_ACTION else "ended"
                return [Finding("SSE-009", f"the stream went on after the run {word} ({ending.name}): "
                                f"{after.name}", expected=f"{DONE} after {ending.name}", observed=after.name,
                                event_index=after.index)]
    last = runs[endings[-1]]
    trailing = next((e for e in view.judged[last.index + 1:] if e.is_object and not e.is_run), None)
    if trailing is not None:
        return [Finding("SSE-009", f"{trailing.name} came after the run's ending event {last.name}",
                        expected=f"{DONE} after {last.name}", observed=trailing.name, event_index=trailing.index)]
    return []


def _message_text_findings(view: StreamView) -> list[Finding]:
    texts: dict[str, dict[int, str]] = {}  # message id -> content index -> text so far
    pieces: dict[str, dict[int, list[str]]] = {}  # message id -> content index -> the delta values
    findings = []
    for event in view.judged:
        if not (event.is_message and event.valid):
            continue
        message_id, phase = event.data["id"], event.phase
        if phase == "created":  # its content is the start (deltas before it are SSE-007's, still added)
            so_far = texts.setdefault(message_id, {})
            for index, part in enumerate(event.data["content"]):
                if part["type"] == "text":
                    so_far[index] = part["text"]["value"] + so_far.get(index, "")
        elif event.name.endswith(".delta"):
            for part in event.data["delta"].get("content") or []:
                value = (part.get("text") or {}).get("value") if part["type"] == "text" else None
                if isinstance(value, str):
                    so_far = texts.setdefault(message_id, {})
                    so_far[part["index"]] = so_far.get(part["index"], "") + value
                    pieces.setdefault(message_id, {}).setdefault(part["index"], []).append(value)
        elif phase == "final" and message_id in pieces:
            final = {index: part["text"]["value"] for index, part in enumerate(event.data["content"])
                     if part["type"] == "text"}
            streamed = texts.get(message_id, {})
            if streamed != final:
                findings.append(Finding("SSE-008", _mismatch(f"message {message_id!r}: the text deltas",
                                                             pieces[message_id], final),
                                        expected=final, observed=streamed, event_index=event.index))
    return findings


def _argument_findings(view: StreamView) -> list[Finding]:
    arguments: dict[tuple[str, int], str] = {}  # (step id, tool call index) -> arguments so far
    pieces: dict[tuple[str, int], list[str]] = {}
    call_ids: dict[tuple[str, int], str] = {}
    findings = []
    for event in view.judged:
        if not event.valid:
            continue
        if event.is_step and event.phase == "created":
            for index, call in enumerate(_tool_calls(event.data.get("step_details"))):
                key = (event.data["id"], index)
                arguments[key] = ((call.get("function") or {}).get("arguments") or "") + arguments.get(key, "")
                if isinstance(call.get("id"), str):
                    call_ids[key] = call["id"]
        elif event.is_step and event.name.endswith(".delta"):
            for call in _tool_calls((event.data["delta"] or {}).get("step_details")):
                key = (event.data["id"], call["index"])
                if isinstance(call.get("id"), str):
                    call_ids.setdefault(key, call["id"])
                value = (call.get("function") or {}).get("arguments") if call["type"] == "function" else None
                if isinstance(value, str):
                    arguments[key] = arguments.get(key, "") + value
                    pieces.setdefault(key, []).append(value)
        elif event.is_step and event.phase == "final":
            for index, call in enumerate(_tool_calls(event.data["step_details"])):
                key, final = (event.data["id"], index), (call.get("function") or {}).get("arguments")
                if call["type"] != "function":
                    continue
                if key in pieces and arguments[key] != final:
                    findings.append(_arguments_finding(f"tool call {index} of step {key[0]!r}", pieces[key],
                                                       final, arguments[key], event))
                elif key not in arguments and call.get("id") in view.context.tool_call_arguments:
                    required_before = view.context.tool_call_arguments[call["id"]]
                    if final != required_before:
                        findings.append(Finding("SSE-008", f"tool call {call['id']!r} completes with other "
                                                "arguments than the run required", expected=required_before,
                                                observed=final, event_index=event.index))
        elif event.is_run and event.data.get("required_action"):
            required = {call["id"]: call["function"]["arguments"]
                        for call in event.data["required_action"]["submit_tool_outputs"]["tool_calls"]}
            for key, call_id in call_ids.items():
                if key in pieces and call_id in required and arguments[key] != required[call_id]:
                    findings.append(_arguments_finding(f"tool call {call_id!r} (required_action)", pieces[key],
                                                       required[call_id], arguments[key], event))
    return findings


def _tool_calls(details: Any) -> list[dict[str, Any]]:
    if not isinstance(details, dict) or details.get("type") != "tool_calls":
        return []
    return [call for call in details.get("tool_calls") or [] if isinstance(call, dict)]


def _arguments_finding(what: str, pieces: list[str], final: Any, streamed: str, event: Event) -> Finding:
    return Finding("SSE-008", _mismatch(f"{what}: the argument deltas", {0: pieces}, {0: final}),
                   expected=final, observed=streamed, event_index=event.index)


def _mismatch(what: str, pieces: dict[int, list[str]], final: dict[int, Any]) -> str:
    """Why accumulated deltas differ from the final value: cumulative snapshots, or just different."""
    cumulative = any(len(values) > 1 and all(b.startswith(a) for a, b in zip(values, values[1:]))
                     and values[-1] == final.get(index) for index, values in pieces.items())
    if cumulative:
        return f"{what} repeat the value so far (cumulative snapshots), not increments"
    return f"{what} do not add up to the final value"
