"""The stream rules: a captured stream judged against the streaming requirements, one rule each.

Each rule is a registered check of a ``StreamView``; ``STREAM_RULES`` lists them in the order
``judge`` applies them, through a ``Recorder`` like every other check. The rules do no I/O: the
comparison with the REST view is ``rest``'s (the engine fetches what it compares with), and the
SDK replay (``sdk_consumes``) runs on the judgement of the other rules.

Attribution: every fault is reported under exactly one requirement.
- The status of the answer belongs to the request's own requirement (the engine judges it);
  SSE_001 judges the media type of a 200 answer.
- A stream the suite cut at a deadline or the byte cap is SSE_010 alone: neither "cut inside an
  event" (SSE_002) nor "no done" (SSE_009); the events received so far are still judged.
- A stream the server cut inside an event, or whose connection broke, is SSE_002 alone: SSE_009
  (the end) is not judged, as the stream has no end to judge.
- An event's data belongs to SSE_003 (JSON, then the schema of its event name). The other rules
  read the data leniently (``core.reading``): each reads the fields it needs of every event where
  those fields pass their schema, so one broken field (an ISO timestamp) blocks only what reads it.
  They read the names of all events (a name is framing, not data). Unknown names are SSE_004
  warnings and take no part in order or lifecycles.
- ``done`` itself, its data included, and events after the first ``done`` belong to SSE_009 alone
  (clients stop reading at ``done``); the other rules judge the stream up to it. So does a
  ``[DONE]`` data on another event (the SDK stops reading there), which SSE_003 therefore does not
  call "not JSON". SSE_009 reports every way a stream's end is wrong, each a finding of its own.
- A run status change against the state graph is SSE_006's; SSE_009 judges how the stream ends
  and never re-reports a run event that leaves a terminal state.
- An object's lifecycle (created, deltas, final) is SSE_007's, followed by the id in the data
  even when the rest of it is invalid; the content its deltas add up to is SSE_008's, compared
  only with final documents whose content can be read (deltas out of order still add up: their
  order is SSE_007's).
- The official SDK is judged (SDK_001) only on streams the server ended and the other rules
  passed (warnings allowed): a broken stream breaking the SDK is the broken rule's fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.core.catalogue import (
    SDK_001,
    SSE_001,
    SSE_002,
    SSE_003,
    SSE_004,
    SSE_005,
    SSE_006,
    SSE_007,
    SSE_008,
    SSE_009,
    SSE_010,
)
from conformance.core.checks import Check, check
from conformance.core.findings import Finding, FindingMaker
from conformance.core.recorder import Outcome, Recorder
from conformance.core.redaction import Redactor
from conformance.core.spec import Spec, spec_for
from conformance.core.spec.events import DONE, RUN_CREATED, RUN_PREFIX, THREAD_CREATED, done_data, run_status
from conformance.core.spec.runs import REQUIRES_ACTION, SETTLED, is_legal_transition
from conformance.streaming.captured import LIMIT_ENDINGS, CapturedStream
from conformance.streaming.event_model import NOT_JSON, Event
from conformance.streaming.view import CREATE, StreamContext, StreamView

MAX_FINDINGS_PER_RULE = 5  # per stream: a broken server repeats one fault in every event
NO_EVENT_STREAM = "no stream: true request was answered 200 with a body to read as events"


@check(SSE_001, applies=lambda view: view.answered_200, otherwise="no stream: true request was answered 200")
def stream_media_type(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """A 200 answer to a stream: true request is text/event-stream (charset allowed)."""
    if view.stream.is_event_stream:
        return []
    return [finding(f"a stream: true request was answered 200 with Content-Type "
                    f"{view.stream.content_type!r}, not text/event-stream",
                    expected="text/event-stream", observed=view.stream.content_type)]


@check(SSE_002, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def framing(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """The bytes are UTF-8 and the stream is not cut inside an event by the server."""
    stream, findings = view.stream, []
    invalid = stream.defect_counts["invalid-utf8"]
    if invalid:
        first = next((d for d in stream.defects if d.kind == "invalid-utf8"), None)
        where = f", the first at byte {first.offset}" if first else ""
        findings.append(finding(f"the stream is not valid UTF-8 ({invalid} invalid sequence(s){where})",
                                observed=first.detail if first else None,
                                event_index=view.event_at(first.offset) if first else None))
    if stream.ending == "transport-error":
        findings.append(finding(f"the connection broke in the middle of the stream: {stream.error}",
                                observed=stream.error))
    elif stream.ending == "closed" and stream.tail is not None and stream.tail.unterminated:
        pending = stream.tail.pending_event
        findings.append(finding("the stream ended inside an event: its last lines are not followed "
                                "by a blank line (clients drop that event)",
                                expected="a blank line after every event", observed=pending))
    return findings


@check(SSE_003, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def event_data(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """Data is JSON (but done's: SSE_009 judges it) and validates against its event's schema."""
    findings: list[Finding] = []
    reported: set[tuple[str, str]] = set()

    def report(event: Event, what: str, found: Finding) -> None:
        if (event.name, what) not in reported:
            reported.add((event.name, what))
            findings.append(found)

    for event in view.judged:
        if event.raw.startswith(done_data()):
            continue  # a [DONE] data on another event: SSE_009's (it ends clients' reading)
        elif event.data is NOT_JSON:
            report(event, "json", finding(f"the data of a {event.name} event is not JSON",
                                          expected="JSON", observed=event.raw[:200], event_index=event.index))
        elif event.problems:
            report(event, "schema", finding(f"the data of a {event.name} event does not validate "
                                            f"against {event.schema}", expected=event.schema,
                                            observed=list(event.problems), event_index=event.index))
        for deviation in event.deviations:
            report(event, deviation, finding.warning(f"{event.name}: {deviation}", event_index=event.index))
    return findings


@check(SSE_004, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def event_names(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """Every event name is one the spec defines (an unknown one is only a warning)."""
    findings, seen = [], set()
    for event in view.judged:
        if not event.known and event.name not in seen:
            seen.add(event.name)
            findings.append(finding.warning(f"unknown event name {event.name!r} (clients must ignore it)",
                                            observed=event.name, event_index=event.index))
    return findings


@check(SSE_005, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def event_order(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """Thread.created first, thread.run.created second (neither in a continuation);
    every run event's thread_id is the stream's thread."""
    findings = []
    objects = [e for e in view.judged if e.is_object]
    if view.context.is_continuation:
        for event in objects:
            if event.name in (THREAD_CREATED, RUN_CREATED):
                findings.append(finding(f"a submit_tool_outputs stream sent {event.name}",
                                        expected="neither thread.created nor thread.run.created",
                                        observed=event.name, event_index=event.index))
    else:
        for position, (place, expected) in enumerate((("first", THREAD_CREATED), ("second", RUN_CREATED))):
            if len(objects) > position and objects[position].name != expected:
                event = objects[position]
                findings.append(finding(f"the {place} event is {event.name}, not {expected}",
                                        expected=expected, observed=event.name, event_index=event.index))
        for event in objects[2:]:
            if event.name in (THREAD_CREATED, RUN_CREATED):
                place = "first" if event.name == THREAD_CREATED else "second"
                findings.append(finding(f"{event.name} came as event {event.index + 1}; it must come "
                                        f"once, {place}", expected=f"{event.name} {place}", observed=event.name,
                                        event_index=event.index))
    other = next((e for e in view.runs if e.data["thread_id"] != view.thread_id), None)
    if view.thread_id is not None and other is not None:
        findings.append(finding(f"the run's thread_id in {other.name} is not the stream's thread",
                                expected=view.thread_id, observed=other.data["thread_id"],
                                event_index=other.index))
    return findings


@check(SSE_006, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def run_events(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """Each thread.run.<status> event carries that status, one run id, legal transitions."""
    findings = []
    wrong_status = set()
    for event in view.runs:
        expected = run_status(event.name)
        if event.data["status"] != expected and event.name not in wrong_status:
            wrong_status.add(event.name)
            findings.append(finding(f"a {event.name} event carries status {event.data['status']!r}",
                                    expected=expected, observed=event.data["status"], event_index=event.index))
    other = next((e for e in view.runs if e.data["id"] != view.run_id), None)
    if other is not None:
        findings.append(finding("the stream's run events are not all of one run",
                                expected=view.run_id, observed=other.data["id"], event_index=other.index))
    statuses = [view.context.previous_status] if view.context.previous_status else []
    announced = [e for e in view.judged if e.is_run]
    statuses += [run_status(e.name) for e in announced]
    # The event announcing each "after" status: the first run event when a previous status leads.
    for event, before, after in zip(announced[len(announced) - len(statuses) + 1:], statuses, statuses[1:]):
        if not is_legal_transition(before, after):
            findings.append(finding(f"illegal status transition {before} -> {after}",
                                    expected=f"a status reachable from {before}", observed=after,
                                    event_index=event.index))
    return findings[:MAX_FINDINGS_PER_RULE]


@check(SSE_007, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def object_lifecycles(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """A step's or message's in_progress, delta and final events come after its created
    event and before its final one, and each object belongs to the stream's run and thread."""
    findings: list[Finding] = []
    reported: set[str] = set()

    def report(event: Event, object_id: str, message: str, **values: Any) -> None:
        if object_id not in reported:
            reported.add(object_id)
            findings.append(finding(message, event_index=event.index, **values))

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
        elif not event.name.endswith(".delta"):  # deltas carry no run_id/thread_id
            for key, expected in (("run_id", view.run_id), ("thread_id", view.thread_id)):
                if expected is not None and event.readable(key) and event.data.get(key) != expected:
                    report(event, object_id, f"{what} has another {key} than the stream's run",
                           expected=expected, observed=event.data.get(key))
    return findings[:MAX_FINDINGS_PER_RULE]


@check(SSE_008, applies=lambda view: view.is_event_stream, otherwise=NO_EVENT_STREAM)
def delta_accumulation(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """Deltas are increments that add up to the final object: message text per content
    index, function arguments per tool call (final step, required_action, the continued step)."""
    return (_message_text_findings(finding, view) + _argument_findings(finding, view))[:MAX_FINDINGS_PER_RULE]


@check(SSE_009, applies=lambda view: view.ended_by_server,
       otherwise="no stream was ended by the server (the suite cut it at a limit, or it broke)")
def termination(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """One ending run event (terminal or requires_action), then done with [DONE] as
    the very last event, and the server closes (done is optional after an error event). Every
    way the stream breaks this is a finding of its own."""
    findings, events, done = [], view.events, view.done_index
    for event in events[: len(events) if done is None else done]:
        if event.name != DONE and event.raw.startswith(done_data()):
            findings.append(finding(f"a {event.name} event carries the data {done_data()}: "
                                    "clients stop reading the stream there", expected=f"event: {DONE}",
                                    observed=event.name, event_index=event.index))
            break
    if done is None:
        if not view.error_ended:
            findings.append(finding(f"the stream ended without the {DONE} event",
                                    expected=f"event: {DONE} / data: {done_data()}", observed="no done event"))
    elif events[done].raw != done_data():
        findings.append(finding(f"the {DONE} event's data is not {done_data()}", expected=done_data(),
                                observed=events[done].raw[:200], event_index=done))
    if done is not None and done < len(events) - 1:
        findings.append(finding(f"{len(events) - 1 - done} event(s) came after {DONE}",
                                expected=f"{DONE} as the last event", observed=events[done + 1].name,
                                event_index=done + 1))
    if view.stream.ending == "open-after-done":
        findings.append(finding(f"the server kept the connection open more than "
                                f"{view.stream.limits.after_done:g} s after {DONE}",
                                expected="the server closes the stream", observed="connection open",
                                event_index=done))
    return findings + _run_end_findings(finding, view)


@check(SSE_010, applies=lambda view: view.is_event_stream or view.stream.ending in LIMIT_ENDINGS,
       otherwise=NO_EVENT_STREAM)
def stream_limits(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """The stream keeps within the deadlines and the byte cap."""
    stream, limits, findings = view.stream, view.stream.limits, []
    if stream.ending in LIMIT_ENDINGS:
        message = {
            "first-byte-timeout": f"no response within {limits.first_byte:g} s" if stream.status is None
            else f"no body byte within {limits.first_byte:g} s of the request",
            "idle-timeout": f"the stream went silent for {limits.idle:g} s without ending",
            "total-timeout": f"the stream did not terminate within {limits.total:g} s",
            "byte-cap": f"the stream sent more than {limits.max_bytes} bytes without ending",
            "event-cap": f"the stream sent more than {limits.max_events} events without ending",
        }[stream.ending]
        findings.append(finding(message, expected="done within the limits", observed=stream.ending))
    too_large = next((d for d in stream.defects if d.kind == "event-too-large"), None)
    if too_large is not None:
        findings.append(finding(f"an event at byte {too_large.offset} was too large to read "
                                f"({too_large.detail})", observed=too_large.detail))
    return findings


STREAM_RULES: tuple[Check[[StreamView]], ...] = (
    stream_media_type, framing, event_data, event_names, event_order, run_events, object_lifecycles,
    delta_accumulation, termination, stream_limits,
)


@dataclass
class Judgement:
    """What the rules said of one stream."""

    view: StreamView
    outcome: Outcome

    @property
    def findings(self) -> list[Finding]:
        return [record.finding for record in self.outcome.failures]

    @property
    def exercised(self) -> list[str]:
        """The IDs of the requirements whose rule applied, in the order of ``STREAM_RULES``."""
        return [requirement.id for requirement in self.outcome.exercised]

    @property
    def failed(self) -> bool:
        return any(finding.failed for finding in self.findings)


def judge(stream: CapturedStream, context: StreamContext = CREATE, *, request: Any = None,
          redactor: Redactor = Redactor(), spec: Spec | None = None) -> Judgement:
    """Apply every rule that applies to ``stream``, judged against ``spec`` (default: the shipped
    spec's); ``request``: the example that sent it, for the findings' records. A rule that raises
    is recorded as an internal error, not fatal."""
    view = StreamView(stream, context, spec or spec_for())
    recorder = Recorder(request, redactor)
    for rule in STREAM_RULES:
        recorder.apply(rule, view, evidence=stream.exchange)
    return Judgement(view, recorder.outcome)


@check(SDK_001, applies=lambda judgement: (judgement.view.ended_by_server and not judgement.failed
                                            and not judgement.outcome.crashed),
       otherwise="no stream passed the other stream rules (a broken stream breaking the SDK is that rule's fault)")
def sdk_consumes(finding: FindingMaker, judgement: Judgement) -> list[Finding]:
    """The official openai SDK consumes the stream: its raw stream parsing, then its event handler."""
    from conformance.streaming.sdk_replay import replay  # imports the SDK: only when a stream is replayed

    stream = judgement.view.stream
    failure = replay(stream.body)
    if failure is None:
        return []
    error = f"{type(failure.error).__name__}: {failure.error}"
    return [finding(f"the official openai SDK ({failure.sdk_version}) cannot consume this stream: "
                    f"{failure.consumer} raised {error}", expected="no exception", observed=error[:500],
                    event_index=failure.events if failure.events < len(stream.events) else None)]


# --- helpers of the rules ------------------------------------------------------------------

def _run_end_findings(finding: FindingMaker, view: StreamView) -> list[Finding]:
    """SSE_009 on the run's end: an ending event exists, the run does not go on after it (unless
    it leaves a terminal state: SSE_006's), and no step or message event follows the last one."""
    runs = [e for e in view.judged if e.is_run]
    endings = [k for k, e in enumerate(runs) if run_status(e.name) in SETTLED]
    if not endings:
        if view.error_ended:
            return []
        return [finding("the stream ended without a terminal run event or "
                        "thread.run.requires_action", expected=sorted(f"{RUN_PREFIX}{s}" for s in SETTLED),
                        observed=[e.name for e in runs], event_index=view.done_index)]
    findings = []
    for k in endings:
        if k + 1 < len(runs):
            ending, after = runs[k], runs[k + 1]
            if is_legal_transition(run_status(ending.name), run_status(after.name)):
                word = "paused" if run_status(ending.name) == REQUIRES_ACTION else "ended"
                findings.append(finding(f"the stream went on after the run {word} ({ending.name}): "
                                        f"{after.name}", expected=f"{DONE} after {ending.name}", observed=after.name,
                                        event_index=after.index))
                break
    last = runs[endings[-1]]
    trailing = next((e for e in view.judged[last.index + 1:] if e.is_object and not e.is_run), None)
    if trailing is not None:
        findings.append(finding(f"{trailing.name} came after the run's ending event {last.name}",
                                expected=f"{DONE} after {last.name}", observed=trailing.name,
                                event_index=trailing.index))
    return findings


def _message_text_findings(finding: FindingMaker, view: StreamView) -> list[Finding]:
    texts: dict[str, dict[int, str]] = {}  # message id -> content index -> text so far
    pieces: dict[str, dict[int, list[str]]] = {}  # message id -> content index -> the delta values
    findings = []
    for event in view.judged:
        if not (event.is_message and event.readable("id", _payload(event))):
            continue
        message_id, phase = event.data["id"], event.phase
        if phase == "created":  # its content is the start (deltas before it are SSE_007's, still added)
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
                findings.append(finding(_mismatch(f"message {message_id!r}: the text deltas",
                                                             pieces[message_id], final),
                                        expected=final, observed=streamed, event_index=event.index))
    return findings


def _argument_findings(finding: FindingMaker, view: StreamView) -> list[Finding]:
    arguments: dict[tuple[str, int], str] = {}  # (step id, tool call index) -> arguments so far
    pieces: dict[tuple[str, int], list[str]] = {}
    call_ids: dict[tuple[str, int], str] = {}
    findings = []
    for event in view.judged:
        if not ((event.is_step and event.readable("id", _payload(event)))
                or (event.is_run and event.readable("required_action"))):
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
                    findings.append(_arguments_finding(finding, f"tool call {index} of step {key[0]!r}",
                                                       pieces[key], final, arguments[key], event))
                elif key not in arguments and call.get("id") in view.context.tool_call_arguments:
                    required_before = view.context.tool_call_arguments[call["id"]]
                    if final != required_before:
                        findings.append(finding(f"tool call {call['id']!r} completes with other "
                                                "arguments than the run required", expected=required_before,
                                                observed=final, event_index=event.index))
        elif event.is_run and event.data.get("required_action"):
            required = {call["id"]: call["function"]["arguments"]
                        for call in event.data["required_action"]["submit_tool_outputs"]["tool_calls"]}
            for key, call_id in call_ids.items():
                if key in pieces and call_id in required and arguments[key] != required[call_id]:
                    findings.append(_arguments_finding(finding, f"tool call {call_id!r} (required_action)",
                                                       pieces[key], required[call_id], arguments[key], event))
    return findings


def _payload(event: Event) -> str:
    """The field of a step or message event that holds what deltas build up."""
    if event.name.endswith(".delta"):
        return "delta"
    return "step_details" if event.is_step else "content"


def _tool_calls(details: Any) -> list[dict[str, Any]]:
    if not isinstance(details, dict) or details.get("type") != "tool_calls":
        return []
    return [call for call in details.get("tool_calls") or [] if isinstance(call, dict)]


def _arguments_finding(finding: FindingMaker, what: str, pieces: list[str], final: Any, streamed: str,
                       event: Event) -> Finding:
    return finding(_mismatch(f"{what}: the argument deltas", {0: pieces}, {0: final}),
                   expected=final, observed=streamed, event_index=event.index)


def _mismatch(what: str, pieces: dict[int, list[str]], final: dict[int, Any]) -> str:
    """Why accumulated deltas differ from the final value: cumulative snapshots, or just different."""
    cumulative = any(len(values) > 1 and all(b.startswith(a) for a, b in zip(values, values[1:]))
                     and values[-1] == final.get(index) for index, values in pieces.items())
    if cumulative:
        return f"{what} repeat the value so far (cumulative snapshots), not increments"
    return f"{what} do not add up to the final value"
