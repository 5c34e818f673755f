"""Deliberately broken variants of the reference server, and conformant but unusual ones.

Each broken variant is the reference server with one bug, told coherently by every endpoint,
so that the suite must report exactly ``fails``; a conformant variant (``fails`` empty) must
pass. Most wrap ``create_app`` in ``Rewrite``; a few only configure the server.
"""

from __future__ import annotations

import json
import re
import struct
from urllib.parse import parse_qsl, urlencode
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from broken.middleware import Answer, Call, Middleware, Rewrite, read_body, response_start
from conformance.server import ServerConfig, create_app

KEY = "sk-variant-key-4Qm9Zr2Tx7"  # the key every variant requires (unless it says otherwise)
TERMINAL = {"completed", "incomplete", "failed", "cancelled", "expired"}
CREATE = "/v1/threads/runs"
_RUN = re.compile(r"^/v1/threads/[^/]+/runs/[^/]+$")
_THREAD = re.compile(r"^/v1/threads/[^/]+$")
_STEPS = re.compile(r"^/v1/threads/[^/]+/runs/[^/]+/steps$")
_MESSAGES = re.compile(r"^/v1/threads/[^/]+/messages$")
_RUNS = re.compile(r"^/v1/threads/[^/]+/runs$")


@dataclass(frozen=True)
class Variant:
    """A variant of the reference server, and what the suite must say about it."""

    name: str
    build: Callable[[], ASGIApp]
    fails: frozenset[str] = frozenset()  # exactly these requirements fail (empty: conformant)
    suite_key: str | None = KEY  # the key the suite is given
    rules: tuple[str, ...] | None = None  # schema rules of invalid requests to generate (None: all)
    note: str = field(default="", compare=False)


def reference(**config: Any) -> ASGIApp:
    return create_app(ServerConfig(**{"api_key": KEY, **config}))


def rewrite(on_request: Callable[[Call], None] | None = None,
            on_response: Callable[[Call, Answer], None] | None = None, delay: float = 0.0) -> Callable[[], ASGIApp]:
    return lambda: Rewrite(reference(), on_request=on_request, on_response=on_response, delay=delay)


def runs(answer: Answer) -> Iterator[dict[str, Any]]:
    """Every run document in a JSON answer: the body itself, or the items of a list."""
    body = answer.body
    if isinstance(body, dict) and body.get("object") == "thread.run":
        yield body
    elif isinstance(body, dict) and isinstance(body.get("data"), list):
        yield from (item for item in body["data"] if isinstance(item, dict) and item.get("object") == "thread.run")


def each_run(change: Callable[[dict[str, Any]], None]) -> Callable[[Call, Answer], None]:
    def on_response(call: Call, answer: Answer) -> None:
        for run in runs(answer):
            change(run)
    return on_response


def creating(call: Call) -> bool:
    return call.method == "POST" and call.path == CREATE and isinstance(call.body, dict)


# --- request rewrites -----------------------------------------------------------------------

def clamp_temperature(call: Call) -> None:
    if creating(call) and isinstance(call.body.get("temperature"), (int, float)):
        call.body["temperature"] = max(0, min(2, call.body["temperature"]))


def trim_metadata(call: Call) -> None:
    """Make every metadata object of a create request fit the documented limits."""
    def trim(metadata: Any) -> Any:
        if not isinstance(metadata, dict):
            return metadata
        pairs = list(metadata.items())[:16]
        return {str(k)[:64]: (v[:512] if isinstance(v, str) else v) for k, v in pairs}

    if not creating(call):
        return
    body = call.body
    if "metadata" in body:
        body["metadata"] = trim(body["metadata"])
    thread = body.get("thread")
    if isinstance(thread, dict):
        if "metadata" in thread:
            thread["metadata"] = trim(thread["metadata"])
        resources = thread.get("tool_resources")
        file_search = resources.get("file_search") if isinstance(resources, dict) else None
        stores = file_search.get("vector_stores") if isinstance(file_search, dict) else None
        for item in [*_items(thread.get("messages")), *_items(stores)]:
            if isinstance(item, dict) and "metadata" in item:
                item["metadata"] = trim(item["metadata"])


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def empty_tool_outputs(call: Call) -> None:
    if call.method == "POST" and call.path.endswith("/submit_tool_outputs") and isinstance(call.body, dict):
        call.body["tool_outputs"] = []


def cancel_is_get(call: Call) -> None:
    if call.method == "POST" and call.path.endswith("/cancel"):
        call.method, call.path = "GET", call.path.removesuffix("/cancel")


# --- response rewrites ----------------------------------------------------------------------

def model_override_ignored(call: Call, answer: Answer) -> None:
    """Every run reports its assistant's model, whatever the request asked for."""
    models: dict[str, str] = call.state.setdefault("models", {})
    if call.method == "POST" and call.path == "/v1/assistants" and answer.status == 200:
        models[answer.body["id"]] = answer.body["model"]
    for run in runs(answer):
        run["model"] = models.get(run["assistant_id"], run["model"])


def framework_422(call: Call, answer: Answer) -> None:
    if answer.status == 400:
        message = answer.body.get("error", {}).get("message") if isinstance(answer.body, dict) else None
        answer.status = 422
        answer.body = {"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}


def unfinish(call: Call, answer: Answer) -> None:
    """After a run was once reported terminal, report it in_progress again."""
    finished: set[str] = call.state.setdefault("finished", set())
    if call.method != "GET" or not _RUN.match(call.path):
        return
    for run in runs(answer):
        if run["status"] not in TERMINAL:
            continue
        if run["id"] not in finished:
            finished.add(run["id"])
            continue
        run.update(status="in_progress", completed_at=None, failed_at=None, cancelled_at=None, last_error=None,
                   incomplete_details=None, usage=None, started_at=run["started_at"] or run["created_at"])


def completed_while_active(run: dict[str, Any]) -> None:
    if run["status"] not in TERMINAL:
        run["completed_at"] = max(run["created_at"], run["started_at"] or 0)


def created_at_drifts(call: Call, answer: Answer) -> None:
    if call.method == "GET" and _RUN.match(call.path):
        for run in runs(answer):
            run["created_at"] -= 1


def unknown_assistant_500(call: Call, answer: Answer) -> None:
    if creating(call) and answer.status == 404:
        answer.status = 500


def steps_of_another_run(call: Call, answer: Answer) -> None:
    if _STEPS.match(call.path) and isinstance(answer.body, dict):
        for step in answer.body.get("data", []):
            step["run_id"] = "run_elsewhere"


def run_messages_as_user(call: Call, answer: Answer) -> None:
    if _MESSAGES.match(call.path) and isinstance(answer.body, dict):
        for message in answer.body.get("data", []):
            if message["run_id"] is not None:
                message["role"] = "user"


def input_messages_edited(call: Call, answer: Answer) -> None:
    if _MESSAGES.match(call.path) and isinstance(answer.body, dict):
        for message in answer.body.get("data", []):
            if message["run_id"] is None:
                for part in message["content"]:
                    if part["type"] == "text":
                        part["text"]["value"] += " (edited)"


def thread_not_a_thread(call: Call, answer: Answer) -> None:
    if call.method == "GET" and _THREAD.match(call.path) and isinstance(answer.body, dict):
        answer.body["object"] = "threads"


def run_not_listed(call: Call, answer: Answer) -> None:
    if call.method == "GET" and _RUNS.match(call.path) and isinstance(answer.body, dict):
        answer.body["data"] = []


def usage_off_by_one(run: dict[str, Any]) -> None:
    if run["usage"] is not None:
        run["usage"]["total_tokens"] += 1


def tool_call_names_unknown(run: dict[str, Any]) -> None:
    if run["required_action"] is not None:
        for tool_call in run["required_action"]["submit_tool_outputs"]["tool_calls"]:
            tool_call["function"]["name"] = "not_a_tool_of_the_run"


def envelope_without_param_and_code(call: Call, answer: Answer) -> None:
    if answer.status >= 400 and isinstance(answer.body, dict) and isinstance(answer.body.get("error"), dict):
        answer.body["error"].pop("param", None)
        answer.body["error"].pop("code", None)


def stream_before_error(call: Call, answer: Answer) -> None:
    if creating(call) and call.body.get("stream") is True and answer.status == 400:
        answer.headers["content-type"] = "text/event-stream"


def error_inside_stream(call: Call, answer: Answer) -> None:
    """Validate a stream: true request only after the stream started: 200, then an error event."""
    if creating(call) and call.body.get("stream") is True and answer.status == 400:
        error = answer.body["error"]
        answer.status = 200
        answer.headers["content-type"] = "text/event-stream"
        answer.body = (f"event: error\ndata: {json.dumps(error)}\n\nevent: done\ndata: [DONE]\n\n").encode()


def fails_with_temperature(call: Call, answer: Answer) -> None:
    if creating(call) and call.body.get("temperature") is not None and answer.status == 200:
        answer.status = 500
        answer.body = {"error": {"message": "internal error", "type": "server_error", "param": None, "code": None}}


def sampling_ignored(run: dict[str, Any]) -> None:
    run["temperature"], run["top_p"] = 1.0, 1.0


def extra_fields(call: Call, answer: Answer) -> None:
    body = answer.body
    if not isinstance(body, dict):
        return
    body["x_vendor_extension"] = {"region": "eu", "beta": True}
    for item in body.get("data", []) if isinstance(body.get("data"), list) else []:
        if isinstance(item, dict):
            item["x_vendor_trace"] = "abc"
    if isinstance(body.get("error"), dict):
        body["error"]["x_retry_hint"] = 0


def charset(call: Call, answer: Answer) -> None:
    if answer.headers.get("content-type", "").startswith("application/json"):
        answer.headers["content-type"] = "application/json; charset=utf-8"


def instructions_null(run: dict[str, Any]) -> None:
    run["instructions"] = None


# --- conformant but unusual: what the spec allows and the reference server does not do ------

def in_progress_on_create(call: Call, answer: Answer) -> None:
    """The create answer shows the run already started (with step_delay 0 every later GET is
    at least as far along, so the story stays coherent)."""
    if creating(call) and answer.status == 200:
        for run in runs(answer):
            if run["status"] == "queued":
                run.update(status="in_progress", started_at=run["created_at"])


@dataclass(eq=False)
class SettledOnCreate(Middleware):
    """A synchronous server: createThreadAndRun (not streamed) answers with the run as it is once
    settled (completed, requires_action...), read back from the app itself."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = await _call(self.app, scope, await read_body(receive))
        run = json.loads(body) if status == 200 and headers.get("content-type", "").startswith(
            "application/json") and scope["method"] == "POST" and scope["path"] == CREATE else None
        if isinstance(run, dict) and run.get("object") == "thread.run":
            get = {**scope, "method": "GET", "path": f"/v1/threads/{run['thread_id']}/runs/{run['id']}",
                   "raw_path": b"", "query_string": b""}
            status, headers, body = await _call(self.app, get, b"")
        headers["content-length"] = str(len(body))
        await send(response_start(status, headers))
        await send({"type": "http.response.body", "body": body})


async def _call(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One whole request to ``app``: status, headers (lower-case names) and body."""
    sent = False
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers, b"".join(chunks)


@dataclass(eq=False)
class PagesOf(Middleware):
    """Every list page holds at most ``size`` items, whatever limit was asked (has_more says more)."""

    size: int = 2

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        if "limit" in query:
            query["limit"] = str(min(int(query["limit"]), self.size))
            scope = {**scope, "query_string": urlencode(query).encode()}
        await self.app(scope, receive, send)


def float32(value: Any) -> Any:
    return struct.unpack("f", struct.pack("f", value))[0] if isinstance(value, float) else value


def sampling_as_float32(run: dict[str, Any]) -> None:
    """temperature and top_p stored as 32-bit floats: 0.7 comes back as 0.699999988079071."""
    for key in ("temperature", "top_p"):
        run[key] = float32(run.get(key))


def metadata_null_when_empty(call: Call, answer: Answer) -> None:
    """No metadata is shown as null (Metadata is nullable) in runs and threads."""
    body = answer.body
    documents = list(runs(answer)) + ([body] if isinstance(body, dict) and body.get("object") == "thread" else [])
    for document in documents:
        if document.get("metadata") == {}:
            document["metadata"] = None


def empty_list_ids_null(call: Call, answer: Answer) -> None:
    """An empty list has null first_id/last_id (as the real API sends; the spec says string)."""
    body = answer.body
    if isinstance(body, dict) and body.get("object") == "list" and body.get("data") == []:
        body["first_id"] = body["last_id"] = None


def tool_defaults_filled(run: dict[str, Any]) -> None:
    """Tools echoed with server-filled defaults (strict: false and the like)."""
    for tool in run["tools"]:
        if tool["type"] == "function":
            tool["function"].setdefault("parameters", {})
            tool["function"].setdefault("description", "")
            if tool["function"].get("strict") is None:
                tool["function"]["strict"] = False
        elif tool["type"] == "file_search":
            options = tool.setdefault("file_search", {})
            options.setdefault("max_num_results", 20)
            ranking = options.setdefault("ranking_options", {})
            ranking.setdefault("ranker", "default_2024_08_21")
            ranking.setdefault("score_threshold", 0.0)


def example_shaped(call: Call, answer: Answer) -> None:
    """What the spec's own examples show: usage while requires_action, metadata pairs in another
    order, steps and messages with their own created_at, an extra response header."""
    answer.headers["x-request-id"] = "req_123"
    for run in runs(answer):
        if run["status"] == "requires_action" and run["usage"] is None:
            run["usage"] = {"prompt_tokens": 3, "completion_tokens": 0, "total_tokens": 3}
        if isinstance(run["metadata"], dict):
            run["metadata"] = dict(reversed(list(run["metadata"].items())))
    if (_STEPS.match(call.path) or _MESSAGES.match(call.path)) and isinstance(answer.body, dict):
        for item in answer.body.get("data", []):
            item["created_at"] += 1


BROKEN: tuple[Variant, ...] = (
    Variant("wrong-object", rewrite(on_response=each_run(lambda run: run.update(object="run"))),
            frozenset({"RUN-001"})),
    Variant("model-override-ignored", rewrite(on_response=model_override_ignored), frozenset({"RUN-004"})),
    Variant("metadata-dropped", rewrite(on_response=each_run(lambda run: run.update(metadata={}))),
            frozenset({"RUN-005"})),
    Variant("temperature-unchecked", rewrite(on_request=clamp_temperature), frozenset({"REQ-002"}),
            rules=("maximum",)),
    Variant("metadata-limits-unchecked", rewrite(on_request=trim_metadata), frozenset({"REQ-003"})),
    Variant("framework-422", rewrite(on_response=framework_422),
            frozenset({"REQ-002", "REQ-003", "REQ-004", "REQ-005", "ERR-001"})),
    Variant("never-finishes", lambda: reference(step_delay=3600.0), frozenset({"LIFE-001", "LIFE-005"}),
            note="cancelling never ends either"),
    Variant("leaves-terminal-state", rewrite(on_response=unfinish), frozenset({"LIFE-002"})),
    Variant("completed-at-while-active", rewrite(on_response=each_run(completed_while_active)),
            frozenset({"RUN-007"})),
    Variant("created-at-drifts", rewrite(on_response=created_at_drifts), frozenset({"LIFE-003"})),
    Variant("unknown-assistant-500", rewrite(on_response=unknown_assistant_500), frozenset({"REQ-007"})),
    Variant("auth-not-enforced", lambda: reference(api_key=None), frozenset({"AUTH-001"})),
    Variant("steps-of-another-run", rewrite(on_response=steps_of_another_run), frozenset({"LIFE-006"})),
    Variant("run-messages-as-user", rewrite(on_response=run_messages_as_user), frozenset({"LIFE-007"})),
    Variant("input-messages-edited", rewrite(on_response=input_messages_edited), frozenset({"LIFE-008"})),
    Variant("thread-not-a-thread", rewrite(on_response=thread_not_a_thread), frozenset({"RUN-003"})),
    Variant("run-not-listed", rewrite(on_response=run_not_listed), frozenset({"RUN-002"})),
    Variant("usage-off-by-one", rewrite(on_response=each_run(usage_off_by_one)), frozenset({"RUN-009"})),
    Variant("tool-call-names-unknown", rewrite(on_response=each_run(tool_call_names_unknown)),
            frozenset({"RUN-008"})),
    Variant("timestamps-in-milliseconds",
            rewrite(on_response=each_run(lambda run: run.update(created_at=run["created_at"] * 1000))),
            frozenset({"RUN-010"})),
    Variant("submit-rejected", rewrite(on_request=empty_tool_outputs), frozenset({"LIFE-004"})),
    Variant("cancel-ignored", rewrite(on_request=cancel_is_get), frozenset({"LIFE-005"})),
    Variant("envelope-incomplete", rewrite(on_response=envelope_without_param_and_code), frozenset({"ERR-001"})),
    Variant("stream-before-error", rewrite(on_response=stream_before_error), frozenset({"REQ-006"})),
    Variant("error-inside-stream", rewrite(on_response=error_inside_stream), frozenset({"REQ-006"})),
    Variant("fails-with-temperature", rewrite(on_response=fails_with_temperature), frozenset({"REQ-001"})),
    Variant("sampling-ignored", rewrite(on_response=each_run(sampling_ignored)), frozenset({"RUN-006"})),
)

CONFORMANT: tuple[Variant, ...] = (
    Variant("reference", reference),
    Variant("terminal-on-first-poll", lambda: reference(step_delay=0.0)),
    Variant("extra-fields", rewrite(on_response=extra_fields)),
    Variant("slow-responses", rewrite(delay=0.1)),
    Variant("charset-in-content-type", rewrite(on_response=charset)),
    Variant("instructions-null", rewrite(on_response=each_run(instructions_null)), note="RUN-001 warns"),
    Variant("in-progress-on-create", lambda: Rewrite(reference(step_delay=0.0), on_response=in_progress_on_create)),
    Variant("settled-on-create", lambda: SettledOnCreate(reference(step_delay=0.0)),
            note="the create answer is already completed, incomplete or requires_action"),
    Variant("sampling-as-float32", rewrite(on_response=each_run(sampling_as_float32))),
    Variant("metadata-null-when-empty", rewrite(on_response=metadata_null_when_empty)),
    Variant("lists-paged-by-two", lambda: PagesOf(reference())),
    Variant("empty-list-ids-null", rewrite(on_response=empty_list_ids_null), note="LIFE-006 may warn"),
    Variant("tool-defaults-filled", rewrite(on_response=each_run(tool_defaults_filled))),
    Variant("example-shaped", rewrite(on_response=example_shaped)),
)
