"""Streaming variants of the reference server: broken ones, and conformant but unusual ones.

Each broken variant breaks one streaming rule and nothing else, so the stream checker must
report exactly ``fails`` (and ``warns``); a conformant variant (``fails`` empty) must pass. Every
variant applies to every event stream it serves (createThreadAndRun and submit_tool_outputs).
``timed`` variants cost a deadline per stream: they are judged on one stream only.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Send

from broken import variants
from broken.middleware import Answer, Call, Rewrite
from broken.variants import reference
from broken_streams.middleware import HOLD, SSE, Deliver, Stream, StreamRewrite, at_once, encode, until_disconnect

TERMINAL = ("thread.run.completed", "thread.run.incomplete", "thread.run.failed", "thread.run.cancelled",
            "thread.run.expired")
ENDING = (*TERMINAL, "thread.run.requires_action")
KEEP_ALIVE = b": keep-alive\n\n"
SPEC_ERROR = {"type": "server_error", "message": "The model is overloaded.", "param": None, "code": None}
_RUN_PATH = re.compile(r"^/v1/threads/[^/]+/runs/([^/]+)$")


@dataclass(frozen=True)
class Variant(variants.Variant):
    """A variant of the reference server (see ``broken.variants.Variant``) judged by the stream checker."""

    warns: frozenset[str] = frozenset()  # exactly these only warn
    timed: bool = False
    unjudged: frozenset[str] = frozenset()  # requirements a conformant variant leaves unjudged by design


def streams(edit: Callable[[Stream], None] | None = None, *, encoder: Callable[[list[SSE]], bytes] = encode,
            deliver: Deliver = at_once) -> Callable[[], ASGIApp]:
    return lambda: StreamRewrite(reference(), edit=edit, encode=encoder, deliver=deliver)


def ending_index(stream: Stream) -> int:
    """The position of the run's ending event (terminal or requires_action)."""
    return next(i for i, e in enumerate(stream.events) if e.event in ENDING)


# --- event edits ----------------------------------------------------------------------------

def swap_thread_and_run_created(stream: Stream) -> None:
    if stream.events and stream.events[0].event == "thread.created":
        stream.events[0], stream.events[1] = stream.events[1], stream.events[0]


def in_progress_says_queued(stream: Stream) -> None:
    for event in stream.named("thread.run.in_progress"):
        event.data["status"] = "queued"


def completed_then_in_progress(stream: Stream) -> None:
    """After thread.run.completed the run goes back to in_progress, then completes again."""
    if stream.named("thread.run.completed"):
        at = stream.index("thread.run.completed")
        completed = stream.events[at]
        again = copy.deepcopy(completed.data)
        again.update(status="in_progress", completed_at=None, usage=None)
        stream.events[at + 1: at + 1] = [SSE("thread.run.in_progress", again), copy.deepcopy(completed)]


def delta_before_created(stream: Stream) -> None:
    if stream.named("thread.message.delta"):
        delta = stream.events.pop(stream.index("thread.message.delta"))
        stream.events.insert(stream.index("thread.message.created"), delta)


def cumulative_deltas(stream: Stream) -> None:
    """Each text delta repeats the message's text so far instead of adding to it."""
    so_far: dict[tuple[str, int], str] = {}
    for event in stream.named("thread.message.delta"):
        for part in event.data["delta"]["content"]:
            key = (event.data["id"], part["index"])
            so_far[key] = so_far.get(key, "") + part["text"]["value"]
            part["text"]["value"] = so_far[key]


def drop_done(stream: Stream) -> None:
    stream.events = [e for e in stream.events if e.event != "done"]


def run_event_after_done(stream: Stream) -> None:
    stream.events.append(copy.deepcopy(stream.events[ending_index(stream)]))


def queued_not_json(stream: Stream) -> None:
    for event in stream.named("thread.run.queued"):
        event.data = "queued"  # sent as is: not JSON


def queued_says_done(stream: Stream) -> None:
    for event in stream.named("thread.run.queued"):
        event.data = "[DONE]"


def thread_created_at_text(stream: Stream) -> None:
    for event in stream.named("thread.created"):
        event.data["created_at"] = "yesterday"


def error_event_wrapped_too(stream: Stream) -> None:
    """An ``error`` event in the spec's shape that also carries the error wrapped, as
    ``{"error": {...}}``: valid (Error is an open object), but the SDK raises on any data with
    an ``error`` key. The run itself goes on normally."""
    at = stream.index("thread.run.queued") + 1
    stream.events.insert(at, SSE("error", {**SPEC_ERROR, "error": dict(SPEC_ERROR)}))


def unknown_event(stream: Stream) -> None:
    at = stream.index("thread.run.queued") + 1
    stream.events.insert(at, SSE("thread.vendor.progress", {"object": "thread.vendor.progress", "percent": 50}))


def extra_fields(stream: Stream) -> None:
    for event in stream.events:
        if isinstance(event.data, dict):
            event.data["x_vendor_trace"] = "abc"


def error_ends_stream(stream: Stream) -> None:
    """The run fails mid-stream: an ``error`` event in the spec's shape ends the stream, no done
    (allowed: see the stream's ending requirement)."""
    at = stream.index("thread.run.queued") + 1
    stream.events[at:] = [SSE("error", dict(SPEC_ERROR))]


def error_then_done(stream: Stream) -> None:
    """As ``error_ends_stream``, then done (optional after an error, so allowed too)."""
    error_ends_stream(stream)
    stream.events.append(SSE("done", "[DONE]"))


def drop_queued(stream: Stream) -> None:
    """No thread.run.queued: thread.run.created already says queued."""
    stream.events = [e for e in stream.events if e.event != "thread.run.queued"]


def sparse_deltas(stream: Stream) -> None:
    """Deltas that add nothing: right after each step's and message's created event, one whose
    delta is empty, and for a message one text part with annotations but no value."""
    at = 0
    while at < len(stream.events):
        event = stream.events[at]
        if event.event in ("thread.run.step.created", "thread.message.created"):
            kind = event.event.removesuffix(".created")
            added = [SSE(f"{kind}.delta", {"id": event.data["id"], "object": f"{kind}.delta", "delta": {}})]
            if kind == "thread.message":
                added.append(SSE("thread.message.delta", {
                    "id": event.data["id"], "object": "thread.message.delta",
                    "delta": {"content": [{"index": 0, "type": "text", "text": {"annotations": []}}]}}))
            stream.events[at + 1: at + 1] = added
            at += len(added)
        at += 1


def completed_without_usage(stream: Stream) -> None:
    """thread.run.completed says nothing of usage (schema-valid: usage is nullable); REST is right."""
    for event in stream.named("thread.run.completed"):
        event.data["usage"] = None


def up_to(event_name: str) -> Callable[[Stream], None]:
    """Keep the events up to (and including) the first ``event_name``."""
    def edit(stream: Stream) -> None:
        stream.events = stream.events[: stream.index(event_name) + 1]
    return edit


def before_ending(stream: Stream) -> None:
    stream.events = stream.events[: ending_index(stream)]


def content_type(value: str) -> Callable[[Stream], None]:
    def edit(stream: Stream) -> None:
        stream.content_type = value
    return edit


# --- encodings ------------------------------------------------------------------------------

def line_ends(end: bytes) -> Callable[[list[SSE]], bytes]:
    return lambda events: encode(events).replace(b"\n", end)


def with_keep_alives(events: list[SSE]) -> bytes:
    return KEEP_ALIVE + b"".join(KEEP_ALIVE + encode([event]) + b":\n" for event in events)


def multi_line_data(events: list[SSE]) -> bytes:
    """JSON pretty-printed over several data lines (joined with LF by the reader)."""
    blocks = []
    for event in events:
        text = event.raw() if isinstance(event.data, str) else json.dumps(event.data, indent=1)
        blocks.append(f"event: {event.event}\n" + "".join(f"data: {line}\n" for line in text.split("\n")) + "\n")
    return "".join(blocks).encode()


def no_space_after_colon(events: list[SSE]) -> bytes:
    return "".join(f"event:{e.event}\ndata:{e.raw()}\n\n" for e in events).encode()


def with_id_and_retry(events: list[SSE]) -> bytes:
    return "".join(f"id: {n}\nevent: {e.event}\nretry: 3000\ndata: {e.raw()}\n\n"
                   for n, e in enumerate(events)).encode()


def with_bom(events: list[SSE]) -> bytes:
    return b"\xef\xbb\xbf" + encode(events)


def invalid_utf8_comment(events: list[SSE]) -> bytes:
    return encode(events[:1]) + b": keep-alive \xff\xfe\n\n" + encode(events[1:])


def cut_inside_ending(events: list[SSE]) -> bytes:
    """The connection closes in the middle of the run's ending event (the body ends there)."""
    body = encode(events)
    at = max(body.rfind(f"event: {name}\n".encode()) for name in ENDING)
    return body[: at + 60]


def run_as_json(events: list[SSE]) -> bytes:
    """The run as a JSON document, as if stream: true had been ignored."""
    return json.dumps(next(e.data for e in reversed(events) if e.event.startswith("thread.run.")
                           and not e.event.startswith("thread.run.step."))).encode()


# --- deliveries -----------------------------------------------------------------------------

async def one_byte_writes(body: bytes, send: Send, receive: Receive) -> None:
    for index in range(len(body)):
        await send({"type": "http.response.body", "body": body[index: index + 1], "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def hold_open(body: bytes, send: Send, receive: Receive) -> None:
    """Send the body, then keep the connection open, silent, until the client leaves."""
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await until_disconnect(receive, HOLD)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def trickle(piece: bytes, period: float) -> Deliver:
    """Send the body, then ``piece`` every ``period`` seconds until the client leaves."""
    async def deliver(body: bytes, send: Send, receive: Receive) -> None:
        await send({"type": "http.response.body", "body": body, "more_body": True})
        for _ in range(int(HOLD / period)):
            if await until_disconnect(receive, period):
                return
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    return deliver


async def reset_after(body: bytes, send: Send, receive: Receive) -> None:
    """Send the body, then fail: the server drops the connection without ending the chunked body."""
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await asyncio.sleep(0.05)
    raise ConnectionAbortedError("variant: the connection drops mid-stream")


# --- REST views that disagree with the stream ----------------------------------------------

def rest_shows_in_progress() -> ASGIApp:
    """GET of a streamed run shows it still in_progress after the stream ended."""
    streamed: set[str] = set()

    def remember(stream: Stream) -> None:
        streamed.update(e.data["id"] for e in stream.events if e.event == "thread.run.created")
        streamed.update(e.data["id"] for e in stream.events if e.event in ENDING)

    def lie(call: Call, answer: Answer) -> None:
        match = _RUN_PATH.match(call.path)
        if call.method == "GET" and match and match.group(1) in streamed and isinstance(answer.body, dict):
            answer.body.update(status="in_progress", completed_at=None, required_action=None, usage=None)

    return StreamRewrite(Rewrite(reference(), on_response=lie), edit=remember)


BROKEN: tuple[Variant, ...] = (
    Variant("wrong-content-type", streams(content_type("text/plain; charset=utf-8")), frozenset({"SSE-001"})),
    Variant("json-instead-of-stream", streams(content_type("application/json"), encoder=run_as_json),
            frozenset({"SSE-001"})),
    Variant("invalid-utf8", streams(encoder=invalid_utf8_comment), frozenset({"SSE-002"}),
            note="in a comment: the events themselves stay intact"),
    Variant("cut-mid-event", streams(encoder=cut_inside_ending), frozenset({"SSE-002"})),
    Variant("connection-drops", streams(up_to("thread.run.in_progress"), deliver=reset_after),
            frozenset({"SSE-002"})),
    Variant("non-json-data", streams(queued_not_json), frozenset({"SSE-003"})),
    Variant("data-fails-schema", streams(thread_created_at_text), frozenset({"SSE-003"})),
    Variant("thread-created-not-first", streams(swap_thread_and_run_created), frozenset({"SSE-005"})),
    Variant("status-mismatch", streams(in_progress_says_queued), frozenset({"SSE-006"})),
    Variant("completed-then-in-progress", streams(completed_then_in_progress), frozenset({"SSE-006"})),
    Variant("delta-before-created", streams(delta_before_created), frozenset({"SSE-007"})),
    Variant("cumulative-deltas", streams(cumulative_deltas), frozenset({"SSE-008"})),
    Variant("no-done", streams(drop_done), frozenset({"SSE-009"})),
    Variant("events-after-done", streams(run_event_after_done), frozenset({"SSE-009"})),
    Variant("done-data-on-another-event", streams(queued_says_done), frozenset({"SSE-009"})),
    Variant("open-after-done", streams(deliver=hold_open), frozenset({"SSE-009"}), timed=True),
    Variant("goes-silent", streams(up_to("thread.run.in_progress"), deliver=hold_open), frozenset({"SSE-010"}),
            timed=True),
    Variant("never-ends", streams(before_ending, deliver=trickle(KEEP_ALIVE, 0.2)), frozenset({"SSE-010"}),
            timed=True, note="keep-alive comments forever: never idle, never done"),
    Variant("floods", streams(before_ending, deliver=trickle(b":" + b"x" * 65536 + b"\n", 0.001)),
            frozenset({"SSE-010"}), timed=True, note="cut at the byte cap"),
    Variant("rest-disagrees", rest_shows_in_progress, frozenset({"SSE-011"})),
    Variant("completed-without-usage", streams(completed_without_usage), frozenset({"RUN-007"}),
            note="a streamed run is judged as every run is"),
    Variant("sdk-raises-on-error-event", streams(error_event_wrapped_too), frozenset({"SDK-001"}),
            note="spec-valid, but the SDK raises APIError on data with an 'error' key"),
)

CONFORMANT: tuple[Variant, ...] = (
    Variant("reference", streams()),
    Variant("crlf-line-ends", streams(encoder=line_ends(b"\r\n"))),
    Variant("cr-line-ends", streams(encoder=line_ends(b"\r"))),
    Variant("keep-alive-comments", streams(encoder=with_keep_alives)),
    Variant("multi-line-data", streams(encoder=multi_line_data)),
    Variant("no-space-after-colon", streams(encoder=no_space_after_colon)),
    Variant("id-and-retry-fields", streams(encoder=with_id_and_retry)),
    Variant("byte-order-mark", streams(encoder=with_bom)),
    Variant("one-byte-writes", streams(deliver=one_byte_writes)),
    Variant("no-charset", streams(content_type("text/event-stream"))),
    Variant("charset-upper-case", streams(content_type("text/event-stream;charset=UTF-8"))),
    Variant("extra-fields", streams(extra_fields)),
    Variant("unknown-event", streams(unknown_event), warns=frozenset({"SSE-004"})),
    Variant("error-ends-stream", streams(error_ends_stream), unjudged=frozenset({"SSE-011"}),
            note="done is optional after error; no run end, so no REST comparison"),
    Variant("error-then-done", streams(error_then_done), unjudged=frozenset({"SSE-011"}),
            note="done after the error event is allowed as well"),
    Variant("no-queued-event", streams(drop_queued)),
    Variant("sparse-deltas", streams(sparse_deltas)),
    Variant("lists-paged-by-two", lambda: variants.PagesOf(reference()), note="SSE-011 follows the pages"),
)
