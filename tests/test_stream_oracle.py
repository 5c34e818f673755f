"""The stream oracle's rules on captured streams: real reference streams, each edited to break
one rule (or to be unusual but right), judged without a network.

The reference streams are recorded once per module (a plain reply; a forced tool call that
pauses in requires_action, and its submit_tool_outputs continuation). Each case edits a copy
and asserts exactly which requirements the oracle reports, at which severity.
"""

from __future__ import annotations

import dataclasses
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from broken_streams.middleware import SSE, encode, parse
from conformance.core.findings import Finding, FindingMaker, Severity
from conformance.core.observation import Exchange, Headers, StreamEvent
from conformance.core.spec import events as spec_events
from conformance.server import create_app
from conformance.server.background import running_server
from conformance.streaming import rules
from conformance.streaming.captured import CapturedStream, Ending, StreamLimits, StreamTimings
from conformance.streaming.rest import rest_objects, rest_run
from conformance.streaming.rules import Judgement, judge
from conformance.streaming.sse import SSEDecoder
from conformance.streaming.view import CREATE, StreamContext, StreamView, continuation

LIMITS = StreamLimits(first_byte=1, idle=1, total=2, max_bytes=1_000_000, after_done=0.5)
TEXT = "hello there my good friend"
FUNCTION = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, list[SSE]]]:
    """Reference streams: "plain", "paused" (requires_action) and "continued" (after the outputs)."""
    with running_server(create_app()) as base, httpx.Client(base_url=base + "/", timeout=10) as client:
        assistant = client.post("assistants", json={"model": "gpt-4o", "tools": [FUNCTION]}).json()
        thread = {"messages": [{"role": "user", "content": TEXT}]}
        plain = client.post("threads/runs", json={"assistant_id": assistant["id"], "stream": True,
                                                  "tool_choice": "none", "thread": thread})
        paused = client.post("threads/runs", json={"assistant_id": assistant["id"], "stream": True,
                                                   "tool_choice": "required", "thread": thread})
        run = next(e.data for e in parse(paused.content) if e.event == "thread.run.requires_action")
        outputs = [{"tool_call_id": call["id"], "output": "sunny and warm"}
                   for call in run["required_action"]["submit_tool_outputs"]["tool_calls"]]
        continued = client.post(f"threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs",
                                json={"tool_outputs": outputs, "stream": True})
        yield {"plain": parse(plain.content), "paused": parse(paused.content), "continued": parse(continued.content)}


def captured(body: bytes | list[SSE], *, ending: Ending = "closed", status: int | None = 200,
             content_type: str = "text/event-stream; charset=utf-8", error: str | None = None) -> CapturedStream:
    """A CapturedStream as ``capture_stream`` would build it from ``body``."""
    raw = encode(body) if isinstance(body, list) else body
    stream = status is not None and content_type.startswith("text/event-stream")
    decoder = SSEDecoder(origin=0.0)
    events = decoder.feed(raw, now=0.1) if stream else []
    tail = decoder.close()
    exchange = Exchange(
        "POST", "http://127.0.0.1:1/v1/threads/runs", Headers(), status=status,
        response_headers=Headers() if status is None else Headers({"content-type": content_type}),
        events=[StreamEvent(e.event, e.data, e.at) for e in events] if stream else None, elapsed=0.1,
        transport_error=error, content=raw)
    return CapturedStream(
        exchange=exchange, limits=LIMITS, ending=ending, timings=StreamTimings(0.01, 0.02, 0.05, 0.1), events=events,
        defects=decoder.defects, defect_counts=decoder.defect_counts, comments=decoder.comments,
        comment_count=decoder.comment_count, bom_seen=decoder.bom_seen, tail=tail if stream else None)


def reported(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(finding.requirement_id, finding.severity.value) for finding in findings}


def index(events: list[SSE], name: str, nth: int = 0) -> int:
    return [i for i, e in enumerate(events) if e.event == name][nth]


def context_after(events: list[SSE]) -> StreamContext:
    return continuation(StreamView(captured(events)))


ALL_RULES = [f"SSE-{n:03}" for n in range(1, 11)]


# --- the event table and the reference streams ---------------------------------------------

def test_event_table_is_read_from_the_spec() -> None:
    table = spec_events.event_data_schemas()
    assert len(table) == 24 and spec_events.done_data() == "[DONE]"
    for name, schema in table.items():
        if name == "thread.created":
            assert schema == "ThreadObject"
        elif name == "error":
            assert schema == "Error"
        elif name.startswith("thread.run.step."):
            assert schema == ("RunStepDeltaObject" if name.endswith(".delta") else "RunStepObject")
        elif name.startswith("thread.run."):
            assert schema == "RunObject"
        else:
            assert name.startswith("thread.message.")
            assert schema == ("MessageDeltaObject" if name.endswith(".delta") else "MessageObject")


def test_reference_streams_pass_every_rule(recorded: dict[str, list[SSE]]) -> None:
    for name, context in (("plain", CREATE), ("paused", CREATE), ("continued", context_after(recorded["paused"]))):
        judgement = judge(captured(recorded[name]), context)
        assert judgement.findings == [] and judgement.outcome.crashed == set(), name
        assert judgement.exercised == ALL_RULES
    plain = StreamView(captured(recorded["plain"]))
    assert plain.ended_properly and plain.last_run is not None and plain.last_run["status"] == "completed"
    assert len([e for e in recorded["plain"] if e.event == "thread.message.delta"]) > 1  # deltas to add up


def test_continuation_context_carries_the_paused_run(recorded: dict[str, list[SSE]]) -> None:
    paused = recorded["paused"]
    run = paused[index(paused, "thread.run.requires_action")].data
    step = paused[index(paused, "thread.run.step.created")].data
    context = context_after(paused)
    assert (context.run_id, context.thread_id, context.previous_status) == (run["id"], run["thread_id"],
                                                                             "requires_action")
    assert context.states == {step["id"]: "open"}
    [call] = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert context.tool_call_arguments == {call["id"]: call["function"]["arguments"]}


def test_a_continuation_judged_as_a_new_stream_breaks_order_and_lifecycles(recorded: dict[str, list[SSE]]) -> None:
    """Why the context matters: without it the continued step has no created event, no thread."""
    assert reported(judge(captured(recorded["continued"])).findings) == {("SSE-005", "fail"), ("SSE-007", "fail")}


# --- one fault, one requirement ------------------------------------------------------------

Edit = Callable[[list[SSE]], None]


def insert_after(name: str, *new: SSE) -> Edit:
    def edit(events: list[SSE]) -> None:
        at = index(events, name) + 1
        events[at:at] = list(new)
    return edit


def run_again(after: str, name: str) -> Edit:
    """Insert, after the run event ``after``, a run event ``name`` carrying the same run in that status."""
    def edit(events: list[SSE]) -> None:
        at = index(events, after)
        run = {**copy.deepcopy(events[at].data), "status": spec_events.run_status(name), "required_action": None,
               "completed_at": None, "usage": None}
        events.insert(at + 1, SSE(name, run))
    return edit


def set_data(name: str, **values: Any) -> Edit:
    def edit(events: list[SSE]) -> None:
        for event in events:
            if event.event == name:
                event.data.update(values)
    return edit


def replace_data(name: str, data: Any) -> Edit:
    def edit(events: list[SSE]) -> None:
        events[index(events, name)].data = data
    return edit


def duplicate(name: str) -> Edit:
    def edit(events: list[SSE]) -> None:
        at = index(events, name)
        events.insert(at + 1, copy.deepcopy(events[at]))
    return edit


def move_after(name: str, after: str) -> Edit:
    def edit(events: list[SSE]) -> None:
        event = events.pop(index(events, name))
        events.insert(index(events, after) + 1, event)
    return edit


def remove(name: str) -> Edit:
    def edit(events: list[SSE]) -> None:
        del events[index(events, name)]
    return edit


def step_of_another_run(events: list[SSE]) -> None:
    events[index(events, "thread.run.step.created")].data["run_id"] = "run_elsewhere"


def one_run_event_of_another_run(events: list[SSE]) -> None:
    events[index(events, "thread.run.in_progress")].data["id"] = "run_elsewhere"


def runs_in_another_thread(events: list[SSE]) -> None:
    for event in events:
        if event.event.startswith("thread.run.") and not event.event.startswith("thread.run.step."):
            event.data["thread_id"] = "thread_elsewhere"


def argument_fragment_changed(events: list[SSE]) -> None:
    delta = events[index(events, "thread.run.step.delta", 1)].data
    delta["delta"]["step_details"]["tool_calls"][0]["function"]["arguments"] += "x"


def cumulative_arguments(events: list[SSE]) -> None:
    so_far = ""
    for event in events:
        if event.event == "thread.run.step.delta":
            function = event.data["delta"]["step_details"]["tool_calls"][0]["function"]
            so_far += function["arguments"]
            function["arguments"] = so_far


def delta_after_final(events: list[SSE]) -> None:
    delta = copy.deepcopy(events[index(events, "thread.message.delta")])
    events.insert(index(events, "thread.message.completed") + 1, delta)


def not_a_number(events: list[SSE]) -> None:
    events[index(events, "thread.run.queued")].data["temperature"] = float("nan")  # json.dumps writes NaN


def error_instead_of_the_end(events: list[SSE]) -> None:
    at = index(events, "thread.run.in_progress") + 1
    events[at:] = [SSE("error", {"type": "server_error", "message": "boom", "param": None, "code": None}),
                   SSE("done", "[DONE]")]


UNKNOWN = SSE("thread.vendor.progress", {"percent": 50})

CASES: list[tuple[str, str, Edit, set[tuple[str, str]]]] = [
    ("run ends twice", "plain", duplicate("thread.run.completed"), {("SSE-009", "fail")}),
    ("requires_action, then in_progress", "paused", run_again("thread.run.requires_action", "thread.run.in_progress"),
     {("SSE-009", "fail")}),
    ("completed, then in_progress", "plain", run_again("thread.run.completed", "thread.run.in_progress"),
     {("SSE-006", "fail")}),
    ("message completed after the run", "plain", move_after("thread.message.completed", "thread.run.completed"),
     {("SSE-009", "fail")}),
    ("run ending missing", "plain", remove("thread.run.completed"), {("SSE-009", "fail")}),
    ("delta after the message's final event", "plain", delta_after_final, {("SSE-007", "fail")}),
    ("message created twice", "plain", duplicate("thread.message.created"), {("SSE-007", "fail")}),
    ("step of another run", "plain", step_of_another_run, {("SSE-007", "fail")}),
    ("run events of two runs", "plain", one_run_event_of_another_run, {("SSE-006", "fail")}),
    ("runs in another thread", "plain", runs_in_another_thread, {("SSE-005", "fail")}),
    ("thread.created twice", "plain", duplicate("thread.created"), {("SSE-005", "fail")}),
    ("NaN is not JSON", "plain", not_a_number, {("SSE-003", "fail")}),
    ("done's data is not [DONE]", "plain", replace_data("done", "DONE"), {("SSE-009", "fail")}),
    ("instructions null only warns", "plain", set_data("thread.run.queued", instructions=None),
     {("SSE-003", "warn")}),
    ("argument deltas differ from required_action", "paused", argument_fragment_changed, {("SSE-008", "fail")}),
    ("cumulative argument deltas", "paused", cumulative_arguments, {("SSE-008", "fail")}),
    ("unknown event first only warns", "plain", lambda events: events.insert(0, UNKNOWN), {("SSE-004", "warn")}),
    ("[DONE] data on an unknown event", "plain", insert_after("thread.run.queued", SSE("ping", "[DONE]")),
     {("SSE-009", "fail"), ("SSE-004", "warn")}),
    ("an error event ends the stream", "plain", error_instead_of_the_end, set()),
    ("a spec-shaped error event mid-stream", "plain",
     insert_after("thread.run.queued", SSE("error", {"type": "t", "message": "m", "param": None, "code": None})),
     set()),
]


@pytest.mark.parametrize(("stream", "edit", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_one_fault_one_requirement(recorded: dict[str, list[SSE]], stream: str, edit: Edit,
                                   expected: set[tuple[str, str]]) -> None:
    events = copy.deepcopy(recorded[stream])
    edit(events)
    judgement = judge(captured(events))
    assert reported(judgement.findings) == expected, [f.message for f in judgement.findings]
    assert judgement.outcome.crashed == set()


def test_findings_point_at_the_offending_event(recorded: dict[str, list[SSE]]) -> None:
    events = copy.deepcopy(recorded["plain"])
    move_after("thread.created", "thread.run.queued")(events)
    findings = judge(captured(events)).findings
    assert [(f.requirement_id, events[f.event_index].event) for f in findings] == [
        ("SSE-005", "thread.run.created"), ("SSE-005", "thread.run.queued"), ("SSE-005", "thread.created")]
    events = copy.deepcopy(recorded["plain"])
    run_again("thread.run.completed", "thread.run.in_progress")(events)
    findings = judge(captured(events)).findings
    assert [events[f.event_index].event for f in findings] == ["thread.run.in_progress"]
    assert "completed -> in_progress" in findings[0].message


def test_continuation_arguments_must_match_the_required_ones(recorded: dict[str, list[SSE]]) -> None:
    context = context_after(recorded["paused"])
    events = copy.deepcopy(recorded["continued"])
    completed = events[index(events, "thread.run.step.completed")].data
    completed["step_details"]["tool_calls"][0]["function"]["arguments"] = "{}"
    [finding] = judge(captured(events), context).findings
    assert finding.requirement_id == "SSE-008" and finding.expected != "{}"
    events = copy.deepcopy(recorded["continued"])
    events.insert(0, copy.deepcopy(recorded["paused"][0]))  # thread.created again
    assert reported(judge(captured(events), context).findings) == {("SSE-005", "fail")}


def test_cumulative_snapshots_are_named_as_such(recorded: dict[str, list[SSE]]) -> None:
    events = copy.deepcopy(recorded["paused"])
    cumulative_arguments(events)
    [finding] = judge(captured(events)).findings
    assert "cumulative snapshots" in finding.message


# --- framing, endings and limits -----------------------------------------------------------

def applied(judgement: Judgement) -> set[str]:
    return set(judgement.exercised)


def test_a_stream_the_server_cut_is_only_sse_002(recorded: dict[str, list[SSE]]) -> None:
    body = encode(recorded["plain"])
    judgement = judge(captured(body[: body.rindex(b"event: thread.run.completed") + 40]))
    assert reported(judgement.findings) == {("SSE-002", "fail")}
    assert "SSE-009" not in applied(judgement)  # a cut stream has no end to judge
    assert not judgement.view.ended_properly


def test_a_stream_we_cut_at_a_deadline_is_only_sse_010(recorded: dict[str, list[SSE]]) -> None:
    body = encode(recorded["plain"])
    for ending in ("idle-timeout", "total-timeout", "byte-cap"):
        judgement = judge(captured(body[: body.rindex(b"event: thread.run.completed") + 40], ending=ending))
        assert reported(judgement.findings) == {("SSE-010", "fail")}, ending
        assert applied(judgement) == set(ALL_RULES) - {"SSE-009"}


def test_no_answer_within_the_first_byte_deadline() -> None:
    judgement = judge(captured(b"", ending="first-byte-timeout", status=None))
    assert applied(judgement) == {"SSE-010"}
    [finding] = judgement.findings
    assert finding.message == "no response within 1 s"


def test_a_non_200_answer_is_not_judged_as_a_stream() -> None:
    error = json.dumps({"error": {"message": "no", "type": "server_error", "param": None, "code": None}})
    judgement = judge(captured(error.encode(), status=500, content_type="application/json"))
    assert applied(judgement) == set() and judgement.findings == []  # no stream: not even its limits


def test_broken_connection_and_invalid_utf8(recorded: dict[str, list[SSE]]) -> None:
    body = encode(recorded["plain"][:3])
    judgement = judge(captured(body, ending="transport-error", error="RemoteProtocolError: incomplete chunked read"))
    assert reported(judgement.findings) == {("SSE-002", "fail")} and "SSE-009" not in applied(judgement)
    events = recorded["plain"]
    body = encode(events[:2]) + b'event: thread.run.queued\ndata: {"id": "\xff"}\n\n'
    finding = next(f for f in judge(captured(body)).findings if f.requirement_id == "SSE-002")
    assert finding.event_index == 2 and "not valid UTF-8" in finding.message


def test_open_after_done_is_sse_009(recorded: dict[str, list[SSE]]) -> None:
    judgement = judge(captured(recorded["plain"], ending="open-after-done"))
    [finding] = judgement.findings
    assert finding.requirement_id == "SSE-009" and "open more than 0.5 s" in finding.message
    assert judgement.view.ended_properly  # the server did end it with done: the REST view can be compared


def test_media_type_with_parameters(recorded: dict[str, list[SSE]]) -> None:
    for content_type in ("text/event-stream", "Text/Event-Stream;charset=UTF-8"):
        assert judge(captured(recorded["plain"], content_type=content_type)).findings == []
    judgement = judge(captured(encode(recorded["plain"]), content_type="text/plain"))
    assert reported(judgement.findings) == {("SSE-001", "fail")} and applied(judgement) == {"SSE-001"}


def test_a_crashing_rule_is_recorded_not_fatal(recorded: dict[str, list[SSE]], monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(finding: FindingMaker, view: StreamView) -> list[Finding]:
        raise RuntimeError("bug")

    crashing = tuple(dataclasses.replace(rule, function=crash) if rule.requirement.id == "SSE-008"
                     else rule for rule in rules.STREAM_RULES)
    monkeypatch.setattr(rules, "STREAM_RULES", crashing)
    judgement = judge(captured(recorded["plain"]))
    assert [requirement.id for requirement in judgement.outcome.crashed] == ["SSE-008"]
    [error] = judgement.outcome.internal_errors
    assert "RuntimeError: bug" in error
    assert applied(judgement) == set(ALL_RULES) - {"SSE-008"} and judgement.findings == []


# --- SSE-011: the stream against the REST view ---------------------------------------------

def test_rest_comparisons(recorded: dict[str, list[SSE]]) -> None:
    view = StreamView(captured(recorded["plain"]))
    run = view.last_run
    assert run is not None
    assert rest_run(view, run) == []
    [finding] = rest_run(view, {**run, "status": "in_progress"})
    assert (finding.expected, finding.observed) == ("completed", "in_progress")
    messages = [event.data for event in view.judged if event.name == "thread.message.completed"]
    assert rest_objects(view, "message", messages) == []
    [missing] = rest_objects(view, "message", [])
    assert "is not listed" in missing.message
    edited = copy.deepcopy(messages)
    edited[0]["content"][0]["text"]["value"] += "!"
    [changed] = rest_objects(view, "message", edited)
    assert "another content" in changed.message and changed.severity is Severity.FAIL


def test_one_rule_per_requirement() -> None:
    assert [rule.requirement.id for rule in rules.STREAM_RULES] == ALL_RULES  # SSE-011 needs the REST view: rest's
