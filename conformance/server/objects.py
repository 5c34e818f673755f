"""Builders of the API objects the reference server serves, as plain JSON-ready dicts.

Each builder returns an object that validates against its schema in the served spec profile
(AssistantObject, ThreadObject, MessageObject, RunObject, RunStepObject); the store then
changes status-dependent fields as the run progresses. A builder fills the fields of every
profile (v1's ``file_ids``, v2's ``attachments`` and ``tool_resources``...) and keeps those
the profile's schema declares (``shaped``).
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from conformance.core.spec import Spec

JSON = dict[str, Any]

DEFAULT_TRUNCATION = {"type": "auto", "last_messages": None}
DEFAULT_SAMPLING = 1.0  # temperature and top_p: "If not set, defaults to 1"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def first_given(*values: Any, default: Any) -> Any:
    """The first value that is not None: null in a request means "not given" (nullable overrides)."""
    return next((value for value in values if value is not None), default)


@cache
def _declared(spec: Spec, schema_name: str) -> frozenset[str]:
    return frozenset(spec.document["components"]["schemas"][schema_name]["properties"])


def shaped(spec: Spec, schema_name: str, fields: JSON) -> JSON:
    """The fields the profile's ``schema_name`` declares (v1's runs: no top_p; v2's: no file_ids)."""
    declared = _declared(spec, schema_name)
    return {key: value for key, value in fields.items() if key in declared}


def tool_resources(requested: JSON | None) -> JSON:
    """Stored tool resources: defaults filled, a ``vector_stores`` helper turned into ids."""
    if not requested:
        return {}
    stored: JSON = {}
    code_interpreter = requested.get("code_interpreter")
    if isinstance(code_interpreter, dict):
        stored["code_interpreter"] = {"file_ids": list(code_interpreter.get("file_ids", []))}
    file_search = requested.get("file_search")
    if isinstance(file_search, dict):
        if "vector_stores" in file_search:  # the helper creates one vector store per entry
            ids = [new_id("vs") for _ in file_search["vector_stores"]]
        else:
            ids = list(file_search.get("vector_store_ids", []))
        stored["file_search"] = {"vector_store_ids": ids}
    return stored


def assistant(body: JSON, now: int, spec: Spec) -> JSON:
    return shaped(spec, "AssistantObject", {
        "id": new_id("asst"),
        "object": "assistant",
        "created_at": now,
        "name": body.get("name"),
        "description": body.get("description"),
        "model": body["model"],
        "instructions": body.get("instructions"),
        "tools": list(body.get("tools") or []),
        "tool_resources": tool_resources(body.get("tool_resources")),
        "file_ids": list(body.get("file_ids") or []),
        "metadata": body.get("metadata") or {},
        "temperature": first_given(body.get("temperature"), default=DEFAULT_SAMPLING),
        "top_p": first_given(body.get("top_p"), default=DEFAULT_SAMPLING),
        "response_format": first_given(body.get("response_format"), default="auto"),
    })


def thread(request: JSON, now: int, spec: Spec) -> JSON:
    return shaped(spec, "ThreadObject", {
        "id": new_id("thread"),
        "object": "thread",
        "created_at": now,
        "tool_resources": tool_resources(request.get("tool_resources")),
        "metadata": request.get("metadata") or {},
    })


def text_part(value: str) -> JSON:
    return {"type": "text", "text": {"value": value, "annotations": []}}


def _content_part(part: JSON) -> JSON:
    if part["type"] == "text":
        return text_part(part["text"])
    return dict(part)  # image_file / image_url parts have the same shape in a MessageObject


def user_message(request: JSON, thread_id: str, now: int, spec: Spec) -> JSON:
    """A message given in the request's thread: stored as created, outside any run."""
    content = request["content"]
    parts = [text_part(content)] if isinstance(content, str) else [_content_part(p) for p in content]
    return shaped(spec, "MessageObject", {
        "id": new_id("msg"),
        "object": "thread.message",
        "created_at": now,
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        "completed_at": now,
        "incomplete_at": None,
        "role": request["role"],
        "content": parts,
        "assistant_id": None,
        "run_id": None,
        "attachments": request.get("attachments") or [],
        "file_ids": list(request.get("file_ids") or []),
        "metadata": request.get("metadata") or {},
    })


def assistant_message(run: JSON, now: int, spec: Spec) -> JSON:
    """The reply of a run, created empty and in progress; text arrives in deltas."""
    return shaped(spec, "MessageObject", {
        "id": new_id("msg"),
        "object": "thread.message",
        "created_at": now,
        "thread_id": run["thread_id"],
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "assistant_id": run["assistant_id"],
        "run_id": run["id"],
        "attachments": [],
        "file_ids": [],
        "metadata": {},
    })


def message_text(message: JSON) -> str:
    return " ".join(part["text"]["value"] for part in message["content"] if part["type"] == "text")


def run(request: JSON, assistant: JSON, thread_id: str, now: int, expires_after: int, spec: Spec) -> JSON:
    """A new run of createThreadAndRun: overrides echoed, defaults applied (status queued). The
    assistant's temperature, top_p and response_format may be absent (v1 assistants have none)."""
    return shaped(spec, "RunObject", {
        "id": new_id("run"),
        "object": "thread.run",
        "created_at": now,
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": now + expires_after,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": first_given(request.get("model"), default=assistant["model"]),
        # RunObject.instructions is a non-nullable string: no instructions at all is "".
        "instructions": first_given(request.get("instructions"), assistant["instructions"], default=""),
        "tools": first_given(request.get("tools"), default=assistant["tools"]),
        "metadata": request.get("metadata") or {},
        "usage": None,
        "temperature": first_given(request.get("temperature"), assistant.get("temperature"),
                                   default=DEFAULT_SAMPLING),
        "top_p": first_given(request.get("top_p"), assistant.get("top_p"), default=DEFAULT_SAMPLING),
        "max_prompt_tokens": request.get("max_prompt_tokens"),
        "max_completion_tokens": request.get("max_completion_tokens"),
        "truncation_strategy": first_given(request.get("truncation_strategy"), default=dict(DEFAULT_TRUNCATION)),
        "tool_choice": first_given(request.get("tool_choice"), default="auto"),
        "parallel_tool_calls": first_given(request.get("parallel_tool_calls"), default=True),
        "response_format": first_given(request.get("response_format"), assistant.get("response_format"),
                                       default="auto"),
        "file_ids": list(assistant.get("file_ids", [])),  # v1: "the File IDs the assistant used for this run"
    })


def step(run: JSON, details: JSON, now: int) -> JSON:
    return {
        "id": new_id("step"),
        "object": "thread.run.step",
        "created_at": now,
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "run_id": run["id"],
        "type": details["type"],
        "status": "in_progress",
        "step_details": details,
        "last_error": None,
        "expired_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "metadata": {},
        "usage": None,
    }


def usage(prompt_tokens: int, completion_tokens: int) -> JSON:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
