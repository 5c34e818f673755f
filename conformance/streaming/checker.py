"""The stream checker the engine plugs in for every valid ``stream: true`` example.

For one example: send it, capture the stream under the limits, judge it with the oracle (and
the SDK replay when the oracle found nothing wrong), then compare it with the REST view (SSE-011).
When the run paused in requires_action, submit an output for every call with ``stream: true``
and judge that continuation the same way (it is a stream of the same run, so it starts with
neither thread.created nor thread.run.created), for at most ``MAX_TOOL_ROUNDS`` rounds.

A 429 answer is retried as any request of the engine's client is (``TargetClient.stream``); if
it stays 429, the example is abandoned (``RateLimited``: not judged).

Attribution beyond the oracle's (see ``oracle``):
- the status of a stream answer is judged by the engine's checks of that request: REQ-001 for
  createThreadAndRun, LIFE-004 for submit_tool_outputs; the body of an answer >= 400 by ERR-001.
  No status at all because of a deadline is SSE-010's (the oracle's), not also the request's;
- SDK-001 is judged only on streams the server ended and the oracle passed (warnings allowed):
  a broken stream breaking the SDK is the broken rule's fault, not an SDK incompatibility;
- a streamed run's data that fails its schema is SSE-003's; a valid one is judged by the
  engine's semantic run checks too (RUN-007..010), as a run returned by any endpoint;
- SSE-011 is judged only on a stream that ended properly (the run's ending event, then done):
  the run GET after it is RUN-001's if it is not a run, SSE-011's if it shows another status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.engine.checks.common import only_warnings
from conformance.engine.checks.lifecycle import check_submit_accepted
from conformance.engine.checks.resources import check_run_retrievable, listed_items
from conformance.engine.checks.run_object import check_run_reply, semantic_checks
from conformance.engine.checks.status import check_accepted
from conformance.engine.client import Reply, TargetClient
from conformance.engine.lifecycle import REQUIRES_ACTION, pending_tool_calls, run_path, tool_outputs_for
from conformance.engine.recorder import Recorder
from conformance.engine.scenarios import CREATE_PATH, MAX_TOOL_ROUNDS, Target, get_list, judge_error_body
from conformance.exchange import Exchange
from conformance.streaming import oracle
from conformance.streaming.capture import CapturedStream, StreamLimits
from conformance.streaming.oracle import CREATE, StreamContext, StreamView


@dataclass(frozen=True)
class StreamingChecker:
    """``scenarios.StreamChecker``: judges one ``stream: true`` example under ``limits``."""

    limits: StreamLimits = StreamLimits()

    def __call__(self, target: Target, body: dict[str, Any], recorder: Recorder) -> None:
        view = self.judge_stream(target, CREATE_PATH, body, recorder, CREATE)
        rounds = 0
        while view is not None and view.ended_properly:
            run = view.last_run
            assert run is not None  # ended properly: the run's ending event was streamed
            compare_with_rest(target.client, view, recorder)
            calls = pending_tool_calls(run)
            if run["status"] != REQUIRES_ACTION or not calls or rounds == MAX_TOOL_ROUNDS:
                return
            rounds += 1
            submission = {"tool_outputs": tool_outputs_for(calls), "stream": True}
            path = run_path(run["thread_id"], run["id"], "/submit_tool_outputs")
            view = self.judge_stream(target, path, submission, recorder, oracle.continuation(view),
                                     submitted=[str(call.get("id")) for call in calls])

    def judge_stream(self, target: Target, path: str, body: dict[str, Any], recorder: Recorder,
                     context: StreamContext, submitted: list[str] | None = None) -> StreamView | None:
        """POST ``body`` to ``path`` as a stream and judge everything about it; the view of the
        stream, or None if there is no stream to go on from. ``submitted``: the tool call ids of
        a submit_tool_outputs request (None: a createThreadAndRun request)."""
        captured = target.client.stream("POST", path, body, self.limits)
        exchange = target.client.stream_evidence(captured)
        self._judge_status(captured, exchange, submitted, recorder)
        judgement = oracle.judge(captured, context)
        recorder.record(judgement.exercised, judgement.findings, exchange)
        for event in judgement.view.runs:  # a streamed run is a run: RUN-007..010 as for every other
            for check, arguments in semantic_checks(event.data):
                recorder.apply(check, *arguments, exchange=exchange)
        for requirement_id, trace in judgement.crashes:
            recorder.outcome.crashed.add(requirement_id)
            recorder.outcome.internal_errors.append(f"stream rule {requirement_id} crashed: {trace}")
        if judgement.view.ended_by_server and not judgement.failed and not judgement.crashes:
            self._replay_in_sdk(captured, exchange, recorder)
        return judgement.view if judgement.view.is_event_stream else None

    def _judge_status(self, captured: CapturedStream, exchange: Exchange, submitted: list[str] | None,
                      recorder: Recorder) -> None:
        if captured.status is None and captured.ending != "transport-error":
            return  # no answer within the first-byte deadline: SSE-010's
        reply = Reply(exchange=exchange, content=b"" if captured.tail is not None else captured.body)
        if submitted is None:
            recorder.apply(check_accepted, reply, exchange=exchange)
        else:
            recorder.apply(check_submit_accepted, reply, submitted, exchange=exchange)
        judge_error_body(reply, recorder)

    def _replay_in_sdk(self, captured: CapturedStream, exchange: Exchange, recorder: Recorder) -> None:
        from conformance.streaming.sdk_replay import check_sdk_replay  # imports the SDK: only when needed

        try:
            findings = check_sdk_replay(captured)
        except Exception:
            recorder.outcome.crashed.add("SDK-001")
            recorder.crash("the SDK replay crashed")
            return
        recorder.record(["SDK-001"], findings, exchange)


def compare_with_rest(client: TargetClient, view: StreamView, recorder: Recorder) -> None:
    """SSE-011: right after done, the run, its steps and the thread's messages as the REST API
    shows them agree with what the stream showed last.

    Only documents the REST API did return are compared: a GET of the run that fails is RUN-002's
    (RUN-001's if it is no run), a listing that fails is the listing requirement's (LIFE-006/007,
    judged in the polling scenarios); their error bodies are ERR-001's.
    """
    run = view.last_run
    assert run is not None
    reply = client.get(run_path(run["thread_id"], run["id"]))
    recorder.apply(check_run_retrievable, run, reply, exchange=reply.exchange)
    judge_error_body(reply, recorder)
    if reply.status == 200 and only_warnings(recorder.apply(check_run_reply, reply, exchange=reply.exchange)):
        recorder.record(["SSE-011"], oracle.check_rest_run(view, reply.json()), reply.exchange)
    listings: tuple[tuple[oracle.Kind, str, str], ...] = (
        ("step", run_path(run["thread_id"], run["id"], "/steps"), "ListRunStepsResponse"),
        ("message", f"threads/{run['thread_id']}/messages", "ListMessagesResponse"),
    )
    for kind, path, schema_name in listings:
        reply = get_list(client, path)
        judge_error_body(reply, recorder)
        items = listed_items(reply, schema_name)
        if items is not None:
            recorder.record(["SSE-011"], oracle.check_rest_objects(view, kind, items), reply.exchange)

