"""What the engine does with one example: send it, follow what it started, and apply the checks.

Each scenario is ``(target, example, recorder) -> None``: it talks to the target through
``target.client`` and reports only through the recorder, so it can run in any thread, be
repeated while shrinking, and be judged without knowing how it was scheduled.

Runs are read leniently (``core.reading``): a run that fails its schema is followed all the same
when its id, thread_id and status can be read, and each check judges the fields it reads. Where a
scenario cannot go on (no run in the answer, ids no URL can hold, no tool call to answer), it
records the requirements it would have judged as blocked, with why: a requirement nothing else
exercises is reported with that reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol

from conformance.core.catalogue import (
    AUTH_001,
    LIFE_001,
    LIFE_002,
    LIFE_003,
    LIFE_004,
    LIFE_005,
    LIFE_006,
    LIFE_007,
    LIFE_008,
    REQ_001,
    RUN_001,
    RUN_002,
    RUN_003,
    RUN_004,
    RUN_005,
    RUN_006,
    RUN_007,
    RUN_008,
    RUN_009,
    RUN_010,
    Requirement,
)
from conformance.core.checks import CannotJudge
from conformance.core.claims import Claims
from conformance.core.observation import JSON_MEDIA_TYPE, Exchange
from conformance.core.reading import RUN_HANDLE, Lenient, as_sent, read_run
from conformance.core.recorder import Recorder
from conformance.core.spec import Spec, spec_for
from conformance.core.spec.runs import REQUIRES_ACTION, TERMINAL, pending_tool_calls
from conformance.engine import run_control
from conformance.engine.checks.common import is_success, listed_items
from conformance.engine.checks.echo import ECHO_CHECKS, Inherited
from conformance.engine.checks.lifecycle import (
    COMPARED_ACROSS_OBSERVATIONS,
    cancel_answer,
    cancel_converged,
    continued,
    immutable,
    run_settled,
    submit_accepted,
    transitions,
)
from conformance.engine.checks.requests import (
    REJECTED,
    accepted,
    error_envelope,
    rejected_before_stream,
    unauthorized,
    unknown_assistant,
)
from conformance.engine.checks.resources import (
    assistant_id,
    created_thread,
    ids_usable,
    input_messages,
    run_listed,
    run_retrievable,
    run_steps,
    thread_messages,
)
from conformance.engine.checks.run_object import run_answer, status_fields, timestamps, tool_calls, usage_adds_up
from conformance.engine.client import TargetClient
from conformance.engine.setup import Assistant
from conformance.streaming.captured import StreamLimits

CREATE_PATH = "threads/runs"
MAX_TOOL_ROUNDS = 2  # submit_tool_outputs rounds followed per run; a model may keep calling tools
LIST_QUERY = {"order": "asc", "limit": 100}
MAX_LIST_PAGES = 20  # pages followed per listing: a server may cap a page below the limit asked
WRONG_KEY = "sk-conformance-wrong-key-0000"
UNKNOWN_ASSISTANT_ID = "asst_conformance_does_not_exist"  # fixed: a seed must replay the same requests

# What each scenario judges beyond the answer to its request: when it cannot get that far, these
# are recorded as blocked, with why.
JUDGED_ON_A_RUN = (RUN_007, RUN_008, RUN_009, RUN_010)  # ``judge_run``'s, wherever a run is seen
JUDGED_ON_ACCEPT = (RUN_002, RUN_004, RUN_005, RUN_006, *JUDGED_ON_A_RUN)
JUDGED_ON_CREATED = (RUN_003, LIFE_006, LIFE_007, LIFE_008)  # ``inspect_created``'s
JUDGED_ON_FOLLOW = (LIFE_001, LIFE_002, LIFE_003, LIFE_004, *JUDGED_ON_CREATED)
JUDGED_ON_CANCEL = (LIFE_005, LIFE_002, LIFE_003, *JUDGED_ON_CREATED)


@dataclass(frozen=True)
class Target:
    """What a scenario needs to know about the server under test."""

    client: TargetClient
    assistants: tuple[Assistant, ...]
    poll_timeout: float
    stream_limits: StreamLimits = StreamLimits()
    api_key_configured: bool = False
    models: tuple[str, ...] = ()  # the models the suite knows the target serves
    claims: Claims = Claims()
    spec: Spec = field(default_factory=spec_for)  # the spec profile the target is judged against

    @cached_property
    def run_fields(self) -> frozenset[str]:
        """The fields the profile's runs have (an echo of another is not asked for)."""
        return frozenset(self.spec.document["components"]["schemas"]["RunObject"]["properties"])

    def assistant(self, assistant_id: Any) -> Assistant | None:
        """The assistant of that id, if the suite knows its values."""
        return next((a for a in self.assistants if a.id == assistant_id and a.known), None)

    def inherited(self, body: dict[str, Any]) -> Inherited:
        return Inherited(self.assistant(body.get("assistant_id")), self.models)


Scenario = Callable[[Target, Any, Recorder], None]


# --- accepting a valid request -------------------------------------------------------------

def accept(target: Target, body: dict[str, Any], recorder: Recorder,
           then: tuple[Requirement, ...] = ()) -> Lenient | None:
    """POST a valid body; judge the answer and the run it returns. Returns the run if it can be
    followed (``then``: what the caller judges next, recorded as blocked when it cannot be)."""
    reply = target.client.post(CREATE_PATH, body)
    recorder.apply(accepted, reply, evidence=reply)
    recorder.apply(error_envelope, reply, evidence=reply)
    if not is_success(reply):
        recorder.cannot_judge(JUDGED_ON_ACCEPT + then,
                              f"blocked by {REQ_001.id}: valid requests were answered {reply.describe()}")
        return None
    run = judge_run_answer(reply, recorder, target.spec, JUDGED_ON_ACCEPT + then)
    if run is None:
        return None
    recorder.outcome.runs.append((run["id"], run["thread_id"]))
    recorder.apply(assistant_id, body, run, evidence=reply)
    inherited = target.inherited(body)
    for key, (given, silent) in ECHO_CHECKS.items():
        if key in target.run_fields:
            recorder.apply(given, body, run, inherited, evidence=reply)
            recorder.apply(silent, body, run, inherited, evidence=reply)
    if recorder.apply(ids_usable, run, evidence=reply):
        recorder.cannot_judge(then, f"blocked by {RUN_002.id}: the run's ids cannot be put in a URL")
        return None
    return run


def follow(target: Target, body: dict[str, Any], recorder: Recorder) -> None:
    """Accept, then follow the run to its end: polling, tool outputs, and what it created."""
    run = accept(target, body, recorder, then=JUDGED_ON_FOLLOW)
    if run is None:
        return
    life = Lifeline(target, recorder, run)
    poll = life.poll()
    rounds = 0
    while poll.settled and life.status == REQUIRES_ACTION and rounds < MAX_TOOL_ROUNDS:
        rounds += 1
        poll = life.submit_and_poll()
        if poll is None:
            break
    if not rounds:
        recorder.cannot_judge([LIFE_004], "no followed run paused in requires_action")
    if poll is not None and not poll.broken:
        recorder.apply(run_settled, life.statuses, poll.settled, poll.waited, evidence=life.last_exchange)
    life.finish(body)


def cancel(target: Target, body: dict[str, Any], recorder: Recorder) -> None:
    """Accept, cancel at once, and follow the run to its end."""
    run = accept(target, body, recorder, then=JUDGED_ON_CANCEL)
    if run is None:
        return
    life = Lifeline(target, recorder, run)
    reply = run_control.cancel_run(target.client, run["thread_id"], run["id"])
    recorder.apply(error_envelope, reply, evidence=reply)
    status_after = None
    if reply.status == 200:
        life.observe(reply)
    else:  # a refusal is right only if the run had already ended: look
        life.observe(target.client.get(run_control.run_path(run["thread_id"], run["id"])))
        status_after = life.status
    recorder.apply(cancel_answer, reply, status_after, evidence=reply)
    poll = life.poll()
    if not poll.broken:
        recorder.apply(cancel_converged, life.statuses, poll.settled, poll.waited, evidence=life.last_exchange)
    life.finish(body)


@dataclass
class Lifeline:
    """Everything observed of one run, in order; judges each observation as it comes.

    ``observations`` keeps of each run document only what the lifecycle checks compare (one copy
    while it does not change): a target answering megabytes on every poll costs no more than one.
    ``latest`` is the last document whole.
    """

    target: Target
    recorder: Recorder
    created: Lenient
    observations: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    last_exchange: Exchange | None = None
    retrievable: bool = True

    def __post_init__(self) -> None:
        self.latest = self.created
        self._keep(self.created)

    def _keep(self, run: Lenient) -> None:
        kept = {key: run.raw.get(key) for key in COMPARED_ACROSS_OBSERVATIONS}  # as sent: a change is a change
        self.observations.append(self.observations[-1] if self.observations and self.observations[-1] == kept
                                 else kept)
        self.statuses.append(run["status"])

    @property
    def status(self) -> str:
        return self.statuses[-1]

    @property
    def path(self) -> str:
        return run_control.run_path(self.created["thread_id"], self.created["id"])

    def observe(self, reply: Exchange) -> Lenient | None:
        """Judge an answer that should carry this run; keep the run if it can be read."""
        self.last_exchange = reply
        if reply.method == "GET":
            self.recorder.apply(run_retrievable, self.created, reply, evidence=reply)
            self.retrievable = self.retrievable and reply.status == 200
        self.recorder.apply(error_envelope, reply, evidence=reply)
        run = judge_run_answer(reply, self.recorder, self.target.spec) if is_success(reply) else None
        if run is not None:
            self.latest = run
            self._keep(run)
        return run

    def poll(self) -> run_control.Poll:
        poll = run_control.poll_run(self.target.client, self.created["thread_id"], self.created["id"],
                                  timeout=self.target.poll_timeout)
        for reply in poll.replies:
            self.observe(reply)
        return poll

    def submit_and_poll(self) -> run_control.Poll | None:
        """Submit an output for every pending call, then poll; None if the submission failed or
        the calls could not be read."""
        waiting = self.latest
        try:
            calls = pending_tool_calls(waiting)
        except CannotJudge as cannot:  # required_action failed its schema: no call to answer
            self.recorder.cannot_judge([LIFE_004], str(cannot))
            return None
        submitted = [str(call.get("id")) for call in calls]
        reply = run_control.submit_tool_outputs(self.target.client, waiting["thread_id"], waiting["id"], calls)
        self.recorder.apply(submit_accepted, reply, submitted, evidence=reply)
        self.recorder.apply(error_envelope, reply, evidence=reply)
        if reply.status != 200:
            return None
        first = len(self.statuses)
        self.observe(reply)
        poll = self.poll()
        self.recorder.apply(continued, self.statuses[first:], self.latest, submitted,
                            evidence=self.last_exchange)
        return poll

    def finish(self, body: dict[str, Any]) -> None:
        """Judge the whole life, then what the run created (unless the run could not be retrieved)."""
        if self.status in TERMINAL:  # terminal is absorbing: look once more
            self.observe(self.target.client.get(self.path))
        self.recorder.apply(transitions, self.statuses, evidence=self.last_exchange)
        self.recorder.apply(immutable, self.observations, evidence=self.last_exchange)
        if self.retrievable:
            inspect_created(self.target, body, self.latest, self.recorder)
        else:
            self.recorder.cannot_judge(JUDGED_ON_CREATED, f"blocked by {RUN_002.id}: GET of the run failed")


def inspect_created(target: Target, body: dict[str, Any], run: Lenient, recorder: Recorder) -> None:
    """The run as listed, its thread, its steps and the thread's messages."""
    client, thread_id = target.client, run["thread_id"]
    listed = get_list(client, run_control.thread_path(thread_id, "/runs"))
    recorder.apply(run_listed, run, listed, evidence=listed)
    recorder.apply(error_envelope, listed, evidence=listed)
    thread = client.get(run_control.thread_path(thread_id))
    recorder.apply(created_thread, body, run, thread, target.spec, evidence=thread)
    recorder.apply(error_envelope, thread, evidence=thread)
    steps_reply = get_list(client, run_control.run_path(thread_id, run["id"], "/steps"))
    messages_reply = get_list(client, run_control.thread_path(thread_id, "/messages"))
    recorder.apply(error_envelope, steps_reply, evidence=steps_reply)
    recorder.apply(error_envelope, messages_reply, evidence=messages_reply)
    steps = listed_items(steps_reply, "ListRunStepsResponse", target.spec)
    messages = listed_items(messages_reply, "ListMessagesResponse", target.spec)
    recorder.apply(thread_messages, run, messages_reply, steps, target.spec, evidence=messages_reply)
    recorder.apply(run_steps, run, steps_reply,
                   {as_sent(message).get("id") for message in messages} if messages is not None else None,
                   target.spec, evidence=steps_reply)
    if messages is not None:
        recorder.apply(input_messages, body, messages, evidence=messages_reply)
    else:
        recorder.cannot_judge([LIFE_008], f"blocked by {LIFE_007.id}: the thread's messages could not be listed "
                                          f"({messages_reply.describe()})")


def get_list(client: TargetClient, path: str) -> Exchange:
    """GET a list endpoint (oldest first) and follow ``has_more`` with ``after=last_id``: the
    spec's limit is an upper bound, so a server may page below it.

    One exchange: the last page's as evidence, with every page's items in its content; or the
    first page that is not a 200 JSON list, which its checks then judge as it is.
    """
    reply = client.get(path, LIST_QUERY)
    pages: list[dict[str, Any]] = []
    while True:
        page = reply.json_or_none() if reply.status == 200 and reply.media_type == JSON_MEDIA_TYPE else None
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
    return replace(reply, content=json.dumps(merged).encode())


# --- rejecting an invalid request ----------------------------------------------------------

class InvalidExample(Protocol):
    """``strategies.InvalidRequest``: a body breaking one rule, labelled with its requirement."""

    body: Any
    requirement: Requirement
    rule: str
    description: str


def reject(target: Target, invalid: InvalidExample, recorder: Recorder) -> None:
    """POST an invalid body: it is answered 400 with the error envelope."""
    reply = post_invalid(target.client, invalid)
    recorder.apply(REJECTED[invalid.requirement], invalid, reply, evidence=reply)
    recorder.apply(error_envelope, reply, evidence=reply)


def reject_streaming(target: Target, invalid: InvalidExample, recorder: Recorder) -> None:
    """POST an invalid body that asks for ``stream: true``: rejected the same way, before any event.

    The answer is read like a stream (to its end, within the deadline), so that an error event
    sent after the stream started is seen.
    """
    reply = target.client.capture("POST", CREATE_PATH, invalid.body)
    if recorder.apply(rejected_before_stream, reply, evidence=reply):
        return  # rejected inside a stream: only that is judged, a stream has neither the status nor the envelope
    recorder.apply(REJECTED[invalid.requirement], invalid, reply, evidence=reply)
    recorder.apply(error_envelope, reply, evidence=reply)


def post_invalid(client: TargetClient, invalid: InvalidExample) -> Exchange:
    if isinstance(invalid.body, (bytes, str)):
        return client.post(CREATE_PATH, raw_body=invalid.body)
    return client.post(CREATE_PATH, invalid.body)


# --- fixed probes --------------------------------------------------------------------------

def probe_auth(target: Target, recorder: Recorder) -> None:
    """Without credentials, and with a wrong key, a request is refused with 401 (only
    when the suite was given a key: a target without one may well be open).

    The wrong key is no secret: its evidence keeps it, so that a reproducer sends it, not the real key.
    """
    if not target.claims.claims("authentication"):
        return  # unsupported: the requirement says so
    if not target.api_key_configured:
        recorder.cannot_judge([AUTH_001], "no key was given (--api-key or $OPENAI_API_KEY): whether the target "
                                          "refuses a missing or wrong key cannot be seen")
        return
    body = {"assistant_id": target.assistants[0].id}
    for credentials, options in (
        ("no Authorization header", {"omit_headers": ("Authorization",)}),
        ("a wrong bearer key", {"public_headers": {"Authorization": f"Bearer {WRONG_KEY}"}}),
    ):
        reply = target.client.post(CREATE_PATH, body, **options)
        recorder.apply(unauthorized, reply, credentials, evidence=reply)
        recorder.apply(error_envelope, reply, evidence=reply)


def probe_unknown_assistant(target: Target, recorder: Recorder) -> None:
    """An assistant_id the server cannot know is answered 404."""
    reply = target.client.post(CREATE_PATH, {"assistant_id": UNKNOWN_ASSISTANT_ID})
    recorder.apply(unknown_assistant, reply, evidence=reply)
    recorder.apply(error_envelope, reply, evidence=reply)


# --- shared judgements ---------------------------------------------------------------------

def judge_run_answer(reply: Exchange, recorder: Recorder, spec: Spec,
                     then: tuple[Requirement, ...] = ()) -> Lenient | None:
    """The run a success answer carries: its schema (of ``spec``) judged, then, read leniently,
    what the schema cannot say. None if no run can be read in it (no JSON object, or no readable
    id, thread_id and status): ``then`` and what is judged on a run are recorded as blocked."""
    recorder.apply(run_answer, reply, spec, evidence=reply)
    document = reply.json_or_none()
    if not isinstance(document, dict):
        recorder.cannot_judge(JUDGED_ON_A_RUN + then, f"blocked by {RUN_001.id}: the answer carries no JSON object")
        return None
    run = read_run(document, RUN_001, spec)
    if not run.readable(*RUN_HANDLE):
        recorder.cannot_judge(JUDGED_ON_A_RUN + then, run.why_not(*RUN_HANDLE))
        return None
    judge_run(run, recorder, reply)
    return run




def judge_run(run: Lenient, recorder: Recorder, evidence: Exchange) -> None:
    """What the schema cannot say of a run, wherever it was seen (polled or streamed)."""
    recorder.apply(status_fields, run, evidence=evidence)
    recorder.apply(timestamps, run, time.time(), evidence=evidence)
    recorder.apply(tool_calls, run, evidence=evidence)
    recorder.apply(usage_adds_up, run, evidence=evidence)
