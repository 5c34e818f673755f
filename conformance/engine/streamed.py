"""What the engine does with a valid ``stream: true`` example: capture, judge, compare, continue.

Send it and capture the stream under the target's limits; judge the answer's status like any
request's, the stream with the oracle (``streaming.rules.judge``) and every streamed run like any
run; replay it through the official SDK where the rules allow; then, for a stream that ended
properly, compare it with the REST view. When the run paused in requires_action, submit an
output for every call with ``stream: true`` and judge that continuation the same way (a stream
of the same run: it starts with neither thread.created nor thread.run.created), for at most
``MAX_TOOL_ROUNDS`` rounds.

A 429 answer is retried as any request of the client is (``TargetClient.stream``); if it stays
429, the example is abandoned (``RateLimited``: not judged).
"""

from __future__ import annotations

from typing import Any

from conformance.core.catalogue import LIFE_004, RUN_001, SSE_011
from conformance.core.checks import CannotJudge
from conformance.core.reading import read_run
from conformance.core.recorder import Recorder
from conformance.core.spec.runs import REQUIRES_ACTION, pending_tool_calls
from conformance.engine.checks.common import listed_items
from conformance.engine.checks.lifecycle import submit_accepted
from conformance.engine.checks.requests import accepted, error_envelope
from conformance.engine.checks.resources import ids_usable, run_retrievable
from conformance.engine.checks.run_object import run_answer
from conformance.engine.run_control import run_path, thread_path, tool_outputs_for
from conformance.engine.scenarios import CREATE_PATH, MAX_TOOL_ROUNDS, Target, get_list, judge_run
from conformance.streaming.captured import CapturedStream
from conformance.streaming.event_model import Kind
from conformance.streaming.rest import rest_objects, rest_run
from conformance.streaming.rules import judge, sdk_consumes
from conformance.streaming.view import CREATE, StreamContext, StreamView, continuation

NOT_ENDED_PROPERLY = ("no stream ended properly (the run's ending event, done, and the server closing): "
                      "nothing to compare with the REST view")


def stream(target: Target, body: dict[str, Any], recorder: Recorder) -> None:
    """The scenario of a valid ``stream: true`` example."""
    view = judge_stream(target, CREATE_PATH, body, recorder, CREATE)
    rounds = 0
    while view is not None and view.ended_properly:
        run = view.last_run
        assert run is not None  # ended properly: the run's ending event was streamed
        if recorder.apply(ids_usable, run, evidence=view.stream.exchange):
            return  # no URL of the run can be built: neither the REST view nor a continuation
        compare_with_rest(target, view, recorder)
        if run["status"] != REQUIRES_ACTION or rounds == MAX_TOOL_ROUNDS:
            return
        try:
            calls = pending_tool_calls(run)
            context = continuation(view)
        except CannotJudge as cannot:  # required_action failed its schema: no call to answer
            recorder.cannot_judge([LIFE_004], str(cannot))
            return
        if not calls:
            return
        rounds += 1
        submission = {"tool_outputs": tool_outputs_for(calls), "stream": True}
        path = run_path(run["thread_id"], run["id"], "/submit_tool_outputs")
        view = judge_stream(target, path, submission, recorder, context,
                            submitted=[str(call.get("id")) for call in calls])
    recorder.cannot_judge([SSE_011], NOT_ENDED_PROPERLY)


def judge_stream(target: Target, path: str, body: dict[str, Any], recorder: Recorder,
                 context: StreamContext, submitted: list[str] | None = None) -> StreamView | None:
    """POST ``body`` to ``path`` as a stream and judge everything about it; the view of the
    stream, or None if there is no stream to go on from. ``submitted``: the tool call ids of a
    submit_tool_outputs request (None: a createThreadAndRun request)."""
    captured = target.client.stream("POST", path, body, target.stream_limits)
    exchange = captured.exchange
    _judge_status(captured, submitted, recorder)
    judgement = judge(captured, context, request=recorder.request, redactor=recorder.redactor, spec=target.spec)
    recorder.outcome.merge(judgement.outcome)
    for event in judgement.view.runs:  # a streamed run is a run
        judge_run(event.data, recorder, exchange)
    recorder.apply(sdk_consumes, judgement, evidence=exchange)
    return judgement.view if judgement.view.is_event_stream else None


def _judge_status(captured: CapturedStream, submitted: list[str] | None, recorder: Recorder) -> None:
    """The answer as any request's (no answer at all within the first-byte deadline is a stream
    limit, the oracle's, not also the request's)."""
    if captured.status is None and captured.ending != "transport-error":
        return
    answer = captured.exchange
    if submitted is None:
        recorder.apply(accepted, answer, evidence=answer)
    else:
        recorder.apply(submit_accepted, answer, submitted, evidence=answer)
    recorder.apply(error_envelope, answer, evidence=answer)


def compare_with_rest(target: Target, view: StreamView, recorder: Recorder) -> None:
    """Right after done, the run, its steps and the thread's messages as the REST API shows them
    agree with what the stream showed last.

    Only documents the REST API did return are compared: a GET of the run that fails is judged
    as any such GET, a listing that fails is the listing's requirement's (judged in the polling
    scenarios).
    """
    run, client = view.last_run, target.client
    assert run is not None
    reply = client.get(run_path(run["thread_id"], run["id"]))
    recorder.apply(run_retrievable, run, reply, evidence=reply)
    recorder.apply(error_envelope, reply, evidence=reply)
    if reply.status == 200:
        recorder.apply(run_answer, reply, target.spec, evidence=reply)
        document = reply.json_or_none()
        if isinstance(document, dict):
            recorder.apply(rest_run, view, read_run(document, RUN_001, target.spec), evidence=reply)
    listings: tuple[tuple[Kind, str, str], ...] = (
        ("step", run_path(run["thread_id"], run["id"], "/steps"), "ListRunStepsResponse"),
        ("message", thread_path(run["thread_id"], "/messages"), "ListMessagesResponse"),
    )
    for kind, path, schema_name in listings:
        listing = get_list(client, path)
        recorder.apply(error_envelope, listing, evidence=listing)
        items = listed_items(listing, schema_name, target.spec)
        if items is not None:
            recorder.apply(rest_objects, view, kind, items, evidence=listing)
