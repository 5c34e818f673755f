"""What the engine does with one example: send it, follow what it started, and apply the checks.

Each scenario is ``(target, example, recorder) -> None``: it talks to the target through
``target.client`` and reports only through the recorder, so it can run in any thread, be
repeated while shrinking, and be judged without knowing how it was scheduled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.engine import lifecycle
from conformance.engine.checks.echo import check_overrides, check_run_options, check_sampling
from conformance.engine.checks.lifecycle import (
    check_cancel_answer,
    check_cancel_converged,
    check_continued,
    check_immutable,
    check_settled,
    check_submit_accepted,
    check_transitions,
)
from conformance.engine.checks.resources import (
    check_assistant_id,
    check_input_messages,
    check_messages,
    check_run_listed,
    check_run_retrievable,
    check_steps,
    check_thread,
    listed_items,
)
from conformance.engine.checks.common import only_warnings
from conformance.engine.checks.run_object import check_run_reply, semantic_checks
from conformance.engine.checks.status import (
    check_accepted,
    check_error_envelope,
    check_rejected,
    check_rejected_before_stream,
    check_unauthorized,
    check_unknown_assistant,
)
from conformance.engine.client import Reply, TargetClient
from conformance.engine.recorder import Recorder
from conformance.engine.setup import Assistant

CREATE_PATH = "threads/runs"
MAX_TOOL_ROUNDS = 2  # submit_tool_outputs rounds followed per run; a model may keep calling tools
LIST_QUERY = {"order": "asc", "limit": 100}
MAX_LIST_PAGES = 20  # pages followed per listing: a server may cap a page below the limit asked
WRONG_KEY = "sk-conformance-wrong-key-0000"
UNKNOWN_ASSISTANT_ID = "asst_conformance_does_not_exist"  # fixed: a seed must replay the same requests


class StreamChecker(Protocol):
    """The stream oracle's entry point: send ``body`` (``stream: true``) to ``target``, capture the
    stream, judge it, and report through ``recorder.record(requirement_ids, findings, exchange)``."""

    def __call__(self, target: Target, body: dict[str, Any], recorder: Recorder) -> None: ...


@dataclass(frozen=True)
class Target:
    """What a scenario needs to know about the server under test."""

    client: TargetClient
    assistants: tuple[Assistant, ...]
    poll_timeout: float
    stream_checker: StreamChecker | None = None
    api_key_configured: bool = False

    def assistant(self, assistant_id: Any) -> Assistant | None:
        return next((a for a in self.assistants if a.id == assistant_id), None)


Scenario = Callable[[Target, Any, Recorder], None]


# --- accepting a valid request -------------------------------------------------------------

def accept(target: Target, body: dict[str, Any], recorder: Recorder) -> dict[str, Any] | None:
    """POST a valid body; judge the answer and the run it returns. Returns the run if usable."""
    reply = target.client.post(CREATE_PATH, body)
    recorder.apply(check_accepted, reply, exchange=reply.exchange)
    judge_error_body(reply, recorder)
    if reply.status != 200:
        return None
    run = judge_run_reply(reply, recorder)
    if run is None:
        return None
    recorder.outcome.runs.append((run["id"], run["thread_id"]))
    recorder.apply(check_assistant_id, body, run, exchange=reply.exchange)
    assistant = target.assistant(body.get("assistant_id"))
    if assistant is not None:
        for check in (check_overrides, check_run_options, check_sampling):
            recorder.apply(check, body, run, assistant, exchange=reply.exchange)
    return run


def follow(target: Target, body: dict[str, Any], recorder: Recorder) -> None:
    """Accept, then follow the run to its end: polling, tool outputs, and what it created."""
    run = accept(target, body, recorder)
    if run is None:
        return
    life = Lifeline(target, recorder, run)
    poll = life.poll()
    rounds = 0
    while poll.settled and life.status == lifecycle.REQUIRES_ACTION and rounds < MAX_TOOL_ROUNDS:
        rounds += 1
        poll = life.submit_and_poll()
        if poll is None:
            break
    if poll is not None and not poll.broken:
        recorder.apply(check_settled, life.statuses, poll.settled, poll.waited, exchange=life.last_exchange)
    life.finish(body)


def cancel(target: Target, body: dict[str, Any], recorder: Recorder) -> None:
    """Accept, cancel at once, and follow the run to its end."""
    run = accept(target, body, recorder)
    if run is None:
        return
    life = Lifeline(target, recorder, run)
    reply = lifecycle.cancel_run(target.client, run["thread_id"], run["id"])
    judge_error_body(reply, recorder)
    status_after = None
    if reply.status == 200:
        life.observe(reply)
    else:  # a refusal is right only if the run had already ended: look
        life.observe(target.client.get(lifecycle.run_path(run["thread_id"], run["id"])))
        status_after = life.status
    recorder.apply(check_cancel_answer, reply, status_after, exchange=reply.exchange)
    poll = life.poll()
    if not poll.broken:
        recorder.apply(check_cancel_converged, life.statuses, poll.settled, poll.waited, exchange=life.last_exchange)
    life.finish(body)


@dataclass
class Lifeline:
    """Everything observed of one run, in order; judges each observation as it comes."""

    target: Target
    recorder: Recorder
    created: dict[str, Any]
    observations: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    last_exchange: Any = None
    retrievable: bool = True

    def __post_init__(self) -> None:
        self.observations.append(self.created)
        self.statuses.append(self.created["status"])

    @property
    def status(self) -> str:
        return self.statuses[-1]

    @property
    def path(self) -> str:
        return lifecycle.run_path(self.created["thread_id"], self.created["id"])

    def observe(self, reply: Reply) -> dict[str, Any] | None:
        """Judge a reply that should carry this run; keep the run if it is usable."""
        self.last_exchange = reply.exchange
        if reply.exchange.method == "GET":
            self.recorder.apply(check_run_retrievable, self.created, reply, exchange=reply.exchange)
            self.retrievable = self.retrievable and reply.status == 200
        judge_error_body(reply, self.recorder)
        if reply.status != 200:
            return None
        run = judge_run_reply(reply, self.recorder)
        if run is not None:
            self.observations.append(run)
            self.statuses.append(run["status"])
        return run

    def poll(self) -> lifecycle.Poll:
        poll = lifecycle.poll_run(self.target.client, self.created["thread_id"], self.created["id"],
                                  timeout=self.target.poll_timeout)
        for reply in poll.replies:
            self.observe(reply)
        return poll

    def submit_and_poll(self) -> lifecycle.Poll | None:
        """Submit an output for every pending call, then poll; None if the submission failed."""
        waiting = self.observations[-1]
        submitted = [str(call.get("id")) for call in lifecycle.pending_tool_calls(waiting)]
        reply, _ = lifecycle.submit_tool_outputs(self.target.client, waiting)
        self.recorder.apply(check_submit_accepted, reply, submitted, exchange=reply.exchange)
        judge_error_body(reply, self.recorder)
        if reply.status != 200:
            return None
        first = len(self.statuses)
        self.observe(reply)
        poll = self.poll()
        self.recorder.apply(check_continued, self.statuses[first:], self.observations[-1], submitted,
                            exchange=self.last_exchange)
        return poll

    def finish(self, body: dict[str, Any]) -> None:
        """Judge the whole life, then what the run created (unless the run could not be retrieved)."""
        if self.status in lifecycle.TERMINAL:  # terminal is absorbing: look once more
            self.observe(self.target.client.get(self.path))
        self.recorder.apply(check_transitions, self.statuses, exchange=self.last_exchange)
        self.recorder.apply(check_immutable, self.observations, exchange=self.last_exchange)
        if self.retrievable:
            inspect_created(self.target, body, self.observations[-1], self.recorder)


def inspect_created(target: Target, body: dict[str, Any], run: dict[str, Any], recorder: Recorder) -> None:
    """The run as listed, its thread, its steps and the thread's messages."""
    client, thread_id = target.client, run["thread_id"]
    listed = get_list(client, f"threads/{thread_id}/runs")
    recorder.apply(check_run_listed, run, listed, exchange=listed.exchange)
    judge_error_body(listed, recorder)
    thread = client.get(f"threads/{thread_id}")
    recorder.apply(check_thread, body, run, thread, exchange=thread.exchange)
    judge_error_body(thread, recorder)
    steps_reply = get_list(client, lifecycle.run_path(thread_id, run["id"], "/steps"))
    messages_reply = get_list(client, f"threads/{thread_id}/messages")
    judge_error_body(steps_reply, recorder)
    judge_error_body(messages_reply, recorder)
    steps = listed_items(steps_reply, "ListRunStepsResponse")
    messages = listed_items(messages_reply, "ListMessagesResponse")
    recorder.apply(check_messages, run, messages_reply, steps, exchange=messages_reply.exchange)
    recorder.apply(check_steps, run, steps_reply,
                   {message["id"] for message in messages} if messages is not None else None,
                   exchange=steps_reply.exchange)
    if messages is not None:
        recorder.apply(check_input_messages, body, messages, exchange=messages_reply.exchange)


def get_list(client: TargetClient, path: str) -> Reply:
    """GET a list endpoint (oldest first) and follow ``has_more`` with ``after=last_id``: the
    spec's limit is an upper bound, so a server may page below it.

    One reply: the last page's exchange as evidence, with every page's items in its body; or
    the first page that is not a 200 JSON list, which its checks then judge as it is.
    """
    reply = client.get(path, LIST_QUERY)
    pages: list[dict[str, Any]] = []
    while True:
        page = reply.json_or_none() if reply.status == 200 and reply.media_type == "application/json" else None
        if not (isinstance(page, dict) and isinstance(page.get("data"), list)):
            return reply
        pages.append(page)
        if (page.get("has_more") is not True or not page["data"] or not isinstance(page.get("last_id"), str)
                or len(pages) == MAX_LIST_PAGES):
            break
        reply = client.get(path, {**LIST_QUERY, "after": page["last_id"]})
    if len(pages) == 1:
        return reply
    merged = {**pages[-1], "data": [item for page in pages for item in page["data"]]}
    if "first_id" in pages[0]:
        merged["first_id"] = pages[0]["first_id"]
    return Reply(exchange=reply.exchange, content=json.dumps(merged).encode())


# --- rejecting an invalid request ----------------------------------------------------------

class InvalidExample(Protocol):
    """``strategies.InvalidRequest``: a body breaking one rule, labelled with its requirement."""

    body: Any
    requirement_id: str
    rule: str
    description: str


def reject(target: Target, invalid: InvalidExample, recorder: Recorder) -> None:
    """POST an invalid body: it is answered 400 with the error envelope."""
    reply = post_invalid(target.client, invalid)
    recorder.apply(check_rejected, invalid, reply, exchange=reply.exchange, exercised=invalid.requirement_id)
    judge_error_body(reply, recorder)


def reject_streaming(target: Target, invalid: InvalidExample, recorder: Recorder) -> None:
    """POST an invalid body that asks for ``stream: true``: rejected the same way, before any event.

    The answer is read like a stream (to its end, within the deadline), so that an error event
    sent after the stream started is seen.
    """
    reply = target.client.capture("POST", CREATE_PATH, invalid.body)
    if recorder.apply(check_rejected_before_stream, reply, exchange=reply.exchange):
        return  # rejected inside a stream: REQ-006 only, a stream has neither the status nor the envelope
    recorder.apply(check_rejected, invalid, reply, exchange=reply.exchange, exercised=invalid.requirement_id)
    judge_error_body(reply, recorder)


def post_invalid(client: TargetClient, invalid: InvalidExample) -> Reply:
    if isinstance(invalid.body, (bytes, str)):
        return client.post(CREATE_PATH, raw_body=invalid.body)
    return client.post(CREATE_PATH, invalid.body)


# --- fixed probes --------------------------------------------------------------------------

def probe_auth(target: Target, recorder: Recorder) -> None:
    """AUTH-001: without credentials, and with a wrong key, a request is refused with 401 (only
    when the suite was given a key: a target without one may well be open).

    The wrong key is no secret: its evidence keeps it, so that a reproducer sends it, not the real key.
    """
    if not target.api_key_configured:
        return
    body = {"assistant_id": target.assistants[0].id}
    for credentials, options in (
        ("no Authorization header", {"omit_headers": ("Authorization",)}),
        ("a wrong bearer key", {"public_headers": {"Authorization": f"Bearer {WRONG_KEY}"}}),
    ):
        reply = target.client.post(CREATE_PATH, body, **options)
        recorder.apply(check_unauthorized, reply, credentials, exchange=reply.exchange)
        judge_error_body(reply, recorder)


def probe_unknown_assistant(target: Target, recorder: Recorder) -> None:
    """REQ-007: an assistant_id the server cannot know is answered 404."""
    reply = target.client.post(CREATE_PATH, {"assistant_id": UNKNOWN_ASSISTANT_ID})
    recorder.apply(check_unknown_assistant, reply, exchange=reply.exchange)
    judge_error_body(reply, recorder)


# --- shared judgements ---------------------------------------------------------------------

def judge_error_body(reply: Reply, recorder: Recorder) -> None:
    """ERR-001 for every answer >= 400."""
    if reply.status is not None and reply.status >= 400:
        recorder.apply(check_error_envelope, reply, exchange=reply.exchange)


def judge_run_reply(reply: Reply, recorder: Recorder) -> dict[str, Any] | None:
    """RUN-001 on a 200 run answer, then the semantic checks if it is valid; the run or None."""
    if not only_warnings(recorder.apply(check_run_reply, reply, exchange=reply.exchange)):
        return None
    run = reply.json_or_none()
    if not isinstance(run, dict):  # only if the RUN-001 check itself crashed
        return None
    for check, arguments in semantic_checks(run):
        recorder.apply(check, *arguments, exchange=reply.exchange)
    return run

