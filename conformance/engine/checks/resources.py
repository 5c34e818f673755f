"""Checks on what a run created, seen through the other endpoints: the run itself (RUN-002), its
thread (RUN-003), its steps (LIFE-006), the thread's messages (LIFE-007) and the input messages
stored with the thread (LIFE-008).

Attribution: a list response that is not the documented list is reported under the requirement
of what was listed (steps: LIFE-006, messages: LIFE-007), and the items are judged only when the
list validated; a run document inside a list is RUN-001's (the engine checks it as such).
"""

from __future__ import annotations

from typing import Any

from conformance.engine.checks.common import (
    is_valid_list,
    json_body_findings,
    list_findings,
    only_warnings,
    schema_problems,
)
from conformance.engine.client import Reply
from conformance.engine.lifecycle import TERMINAL
from conformance.findings import Finding


def check_assistant_id(request: dict[str, Any], run: dict[str, Any]) -> list[Finding]:
    """RUN-002: the run belongs to the assistant the request named."""
    if run["assistant_id"] == request["assistant_id"]:
        return []
    return [Finding("RUN-002", "run.assistant_id is not the request's assistant_id",
                    expected=request["assistant_id"], observed=run["assistant_id"])]


def check_run_retrievable(run: dict[str, Any], reply: Reply) -> list[Finding]:
    """RUN-002: GET /threads/{thread_id}/runs/{id} returns the run."""
    if reply.status != 200:
        return [Finding("RUN-002", f"GET of the created run was answered {reply.describe()}",
                        expected=200, observed=reply.status)]
    got = reply.json_or_none()
    if isinstance(got, dict) and got.get("id") != run["id"]:
        return [Finding("RUN-002", "GET of the created run returned another run", expected=run["id"],
                        observed=got.get("id"))]
    return []


def check_run_listed(run: dict[str, Any], reply: Reply) -> list[Finding]:
    """RUN-002: listRuns of the run's thread lists it."""
    body, findings = _json_answer("RUN-002", reply, "listing the thread's runs", "the run list")
    if findings:
        return findings
    data = body.get("data") if isinstance(body, dict) else None
    ids = [item.get("id") for item in data if isinstance(item, dict)] if isinstance(data, list) else None
    if ids is None or run["id"] not in ids:
        return [Finding("RUN-002", "the thread's run list does not contain the run", expected=run["id"],
                        observed=ids)]
    return []


def check_distinct_ids(runs: list[tuple[str, str]]) -> list[Finding]:
    """RUN-002: every createThreadAndRun call made a new run in a new thread ((run_id, thread_id) pairs)."""
    findings = []
    for index, label in ((0, "run id"), (1, "thread id")):
        seen: set[str] = set()
        for pair in runs:
            if pair[index] in seen:
                findings.append(Finding("RUN-002", f"two createThreadAndRun calls returned the same {label}",
                                        observed=pair[index]))
                break
            seen.add(pair[index])
    return findings


def check_thread(request: dict[str, Any], run: dict[str, Any], reply: Reply) -> list[Finding]:
    """RUN-003: the created thread is retrievable, a ThreadObject, with the request's thread metadata."""
    thread, findings = _json_answer("RUN-003", reply, "GET of the run's thread", "the thread")
    if findings:
        return findings
    problems = schema_problems("ThreadObject", thread)
    if problems:
        return [Finding("RUN-003", "the thread does not validate against ThreadObject", observed=problems)]
    if thread["id"] != run["thread_id"]:
        return [Finding("RUN-003", "GET of the run's thread returned another thread", expected=run["thread_id"],
                        observed=thread["id"])]
    requested = request.get("thread")
    expected = (requested.get("metadata") if isinstance(requested, dict) else None) or {}
    if thread["metadata"] != expected and (expected or thread["metadata"] is not None):  # null: none, too
        return [Finding("RUN-003", "thread.metadata is not the request's thread.metadata", expected=expected,
                        observed=thread["metadata"])]
    return []


def listed_items(reply: Reply, schema_name: str) -> list[dict[str, Any]] | None:
    """The items of a 200 list response that validates against ``schema_name``, else None
    (the list's own check says why)."""
    body = reply.json_or_none() if reply.status == 200 else None
    return body["data"] if body is not None and is_valid_list(schema_name, body) else None


def check_steps(run: dict[str, Any], reply: Reply, message_ids: set[str] | None) -> list[Finding]:
    """LIFE-006: the run's steps are listed, valid, belong to the run and agree with its state.

    ``message_ids``: the thread's messages as listed (None if they could not be), to resolve
    the message of each message_creation step.
    """
    findings, steps = _listing("LIFE-006", reply, "the run's steps", "ListRunStepsResponse", "the step list")
    if steps is None:
        return findings
    for step in steps:
        where = f"step {step['id']!r}"
        for key in ("run_id", "thread_id", "assistant_id"):
            expected = run["id"] if key == "run_id" else run[key]
            if step[key] != expected:
                findings.append(Finding("LIFE-006", f"{where} has another {key}", expected=expected,
                                        observed=step[key]))
        if step["type"] != step["step_details"]["type"]:
            findings.append(Finding("LIFE-006", f"{where} type differs from step_details.type",
                                    expected=step["type"], observed=step["step_details"]["type"]))
        if run["status"] in TERMINAL and step["status"] == "in_progress":
            findings.append(Finding("LIFE-006", f"{where} is in_progress while the run is {run['status']}",
                                    observed=step["status"]))
        if step["step_details"]["type"] == "message_creation" and message_ids is not None:
            message_id = step["step_details"]["message_creation"]["message_id"]
            if message_id not in message_ids:
                findings.append(Finding("LIFE-006", f"{where} names message {message_id!r}, which the thread "
                                        "does not list", observed=sorted(message_ids)))
    return findings


def check_messages(run: dict[str, Any], reply: Reply, steps: list[dict[str, Any]] | None) -> list[Finding]:
    """LIFE-007: the thread's messages are valid; the run's own are the assistant's, and a completed
    run that called no tool wrote at least one."""
    findings, messages = _listing("LIFE-007", reply, "the thread's messages", "ListMessagesResponse",
                                  "the message list")
    if messages is None:
        return findings
    written = [message for message in messages if message["run_id"] == run["id"]]
    for message in messages:
        if message["thread_id"] != run["thread_id"]:
            findings.append(Finding("LIFE-007", f"message {message['id']!r} has another thread_id",
                                    expected=run["thread_id"], observed=message["thread_id"]))
    for message in written:
        if message["role"] != "assistant" or message["assistant_id"] != run["assistant_id"]:
            findings.append(Finding("LIFE-007", f"message {message['id']!r} written by the run is not the "
                                    "assistant's", expected={"role": "assistant", "assistant_id": run["assistant_id"]},
                                    observed={"role": message["role"], "assistant_id": message["assistant_id"]}))
    called_tools = steps is None or any(step.get("type") == "tool_calls" for step in steps)
    if run["status"] == "completed" and not called_tools and not written:
        findings.append(Finding("LIFE-007", "a completed run that called no tool wrote no message",
                                expected="at least one assistant message", observed=[]))
    return findings


def _listing(requirement_id: str, reply: Reply, listed: str, schema_name: str,
             what: str) -> tuple[list[Finding], list[dict[str, Any]] | None]:
    """The findings on a listing of ``listed`` (status, JSON, ``schema_name``), and its items when
    they can be judged (None: the listing failed, the findings say why)."""
    body, findings = _json_answer(requirement_id, reply, f"listing {listed}", what)
    if findings:
        return findings, None
    findings = list_findings(requirement_id, schema_name, body, what)
    return findings, body["data"] if only_warnings(findings) else None


def _json_answer(requirement_id: str, reply: Reply, asked: str, what: str) -> tuple[Any, list[Finding]]:
    """The JSON body of a 200 answer to ``asked`` (e.g. "GET of the run's thread"), or the findings
    saying why there is none: another status, then as ``json_body_findings``."""
    if reply.status != 200:
        return None, [Finding(requirement_id, f"{asked} was answered {reply.describe()}",
                              expected=200, observed=reply.status)]
    return json_body_findings(requirement_id, reply, what)


def check_input_messages(request: dict[str, Any], messages: list[dict[str, Any]]) -> list[Finding]:
    """LIFE-008: the request's thread messages are stored in order with role and text, run_id null.

    ``messages``: the thread's messages, oldest first (already validated by LIFE-007).
    """
    thread = request.get("thread")
    requested = (thread.get("messages") if isinstance(thread, dict) else None) or []
    expected = [(message["role"], _request_texts(message["content"])) for message in requested]
    stored = [(message["role"], _stored_texts(message["content"])) for message in messages
              if message.get("run_id") is None]
    if stored != expected:
        return [Finding("LIFE-008", "the thread's messages are not the request's (order, role, text)",
                        expected=expected, observed=stored)]
    return []


def _request_texts(content: Any) -> list[str]:
    parts = [content] if isinstance(content, str) else [
        part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"
    ]
    return [text for text in parts if text]  # empty text is implementation-defined (analysis AMB-38)


def _stored_texts(content: list[dict[str, Any]]) -> list[str]:
    texts = [part["text"]["value"] for part in content if part.get("type") == "text"]
    return [text for text in texts if text]
