"""Checks on what a run created, seen through the other endpoints: the run itself, its thread, its
steps, the thread's messages and the input messages stored with the thread.

A thread, step or message that fails its schema is a finding of its own requirement, and is still
read leniently (``core.reading``) for the rest of what that requirement checks: one broken field
does not hide the others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.core.catalogue import LIFE_006, LIFE_007, LIFE_008, RUN_002, RUN_003
from conformance.core.checks import check
from conformance.core.findings import Finding, FindingMaker
from conformance.core.observation import Exchange
from conformance.core.reading import Lenient, as_sent, read
from conformance.core.spec import Spec
from conformance.core.spec.runs import TERMINAL
from conformance.engine.checks.common import json_answer, list_findings, listed_items
from conformance.engine.run_control import UnusableId, path_segment


@check(RUN_002)
def assistant_id(finding: FindingMaker, request: dict[str, Any], run: Mapping[str, Any]) -> list[Finding]:
    """The run belongs to the assistant the request named."""
    if run["assistant_id"] == request["assistant_id"]:
        return []
    return [finding("run.assistant_id is not the request's assistant_id",
                    expected=request["assistant_id"], observed=run["assistant_id"])]


@check(RUN_002)
def ids_usable(finding: FindingMaker, run: Mapping[str, Any]) -> list[Finding]:
    """The run's id and thread_id can each be one URL path segment: its URLs are built from them."""
    findings = []
    for key in ("thread_id", "id"):
        try:
            path_segment(run[key])
        except UnusableId as unusable:
            findings.append(finding(f"run.{key} cannot be used in the run's URLs: {unusable}",
                                    expected="a URL path segment", observed=run[key]))
    return findings


@check(RUN_002)
def run_retrievable(finding: FindingMaker, run: Mapping[str, Any], reply: Exchange) -> list[Finding]:
    """GET /threads/{thread_id}/runs/{id} returns the run."""
    if reply.status != 200:
        return [finding(f"GET of the created run was answered {reply.describe()}",
                        expected=200, observed=reply.status)]
    got = reply.json_or_none()
    if isinstance(got, dict) and got.get("id") != run["id"]:
        return [finding("GET of the created run returned another run", expected=run["id"],
                        observed=got.get("id"))]
    return []


@check(RUN_002)
def run_listed(finding: FindingMaker, run: Mapping[str, Any], reply: Exchange) -> list[Finding]:
    """listRuns of the run's thread lists it."""
    body, findings = json_answer(finding, reply, "listing the thread's runs", "the run list")
    if findings:
        return findings
    data = body.get("data") if isinstance(body, dict) else None
    ids = [item.get("id") for item in data if isinstance(item, dict)] if isinstance(data, list) else None
    if ids is None or run["id"] not in ids:
        return [finding("the thread's run list does not contain the run", expected=run["id"],
                        observed=ids)]
    return []


@check(RUN_002)
def distinct_ids(finding: FindingMaker, runs: list[tuple[str, str]]) -> list[Finding]:
    """Every createThreadAndRun call made a new run in a new thread ((run_id, thread_id) pairs)."""
    findings = []
    for index, label in ((0, "run id"), (1, "thread id")):
        seen: set[str] = set()
        for pair in runs:
            if pair[index] in seen:
                findings.append(finding(f"two createThreadAndRun calls returned the same {label}",
                                        observed=pair[index]))
                break
            seen.add(pair[index])
    return findings


@check(RUN_003)
def created_thread(finding: FindingMaker, request: dict[str, Any], run: Mapping[str, Any],
                   reply: Exchange, spec: Spec) -> list[Finding]:
    """The created thread is retrievable, a ThreadObject, with the request's thread metadata."""
    document, findings = json_answer(finding, reply, "GET of the run's thread", "the thread")
    if findings:
        return findings
    problems = spec.schema_problems("ThreadObject", document)
    if problems:
        findings.append(finding("the thread does not validate against ThreadObject", observed=problems))
    if not isinstance(document, dict):
        return findings
    thread = read("ThreadObject", document, RUN_003, spec)
    if thread.readable("id") and thread["id"] != run["thread_id"]:
        return [*findings, finding("GET of the run's thread returned another thread", expected=run["thread_id"],
                                   observed=thread["id"])]
    requested = request.get("thread")
    expected = (requested.get("metadata") if isinstance(requested, dict) else None) or {}
    if (thread.readable("metadata") and thread.get("metadata") != expected
            and (expected or thread.get("metadata") is not None)):  # null: none, too
        findings.append(finding("thread.metadata is not the request's thread.metadata", expected=expected,
                                observed=thread.get("metadata")))
    return findings


@check(LIFE_006)
def run_steps(finding: FindingMaker, run: Mapping[str, Any], reply: Exchange,
              message_ids: set[str] | None, spec: Spec) -> list[Finding]:
    """The run's steps are listed, valid, belong to the run and agree with its state.

    ``message_ids``: the thread's messages as listed (None if they could not be), to resolve
    the message of each message_creation step. A step's field that fails its schema is not
    compared (the schema finding says what is wrong with it).
    """
    findings, steps = _listing(finding, reply, "the run's steps", "ListRunStepsResponse", "the step list", spec)
    if steps is None:
        return findings
    for step in steps:
        where = f"step {as_sent(step).get('id')!r}"
        for key in ("run_id", "thread_id", "assistant_id"):
            expected = run["id"] if key == "run_id" else run[key]
            if step.readable(key) and step[key] != expected:
                findings.append(finding(f"{where} has another {key}", expected=expected,
                                        observed=step[key]))
        if not step.readable("type", "step_details", "status"):
            continue
        details = step["step_details"]
        if step["type"] != details["type"]:
            findings.append(finding(f"{where} type differs from step_details.type",
                                    expected=step["type"], observed=details["type"]))
        if run["status"] in TERMINAL and step["status"] == "in_progress":
            findings.append(finding(f"{where} is in_progress while the run is {run['status']}",
                                    observed=step["status"]))
        if details["type"] == "message_creation" and message_ids is not None:
            message_id = details["message_creation"]["message_id"]
            if message_id not in message_ids:
                findings.append(finding(f"{where} names message {message_id!r}, which the thread "
                                        "does not list", observed=sorted(message_ids)))
    return findings


@check(LIFE_007)
def thread_messages(finding: FindingMaker, run: Mapping[str, Any], reply: Exchange,
                    steps: list[Lenient] | None, spec: Spec) -> list[Finding]:
    """The thread's messages are valid; the run's own are the assistant's, and a completed
    run that called no tool wrote at least one."""
    findings, messages = _listing(finding, reply, "the thread's messages", "ListMessagesResponse",
                                  "the message list", spec)
    if messages is None:
        return findings
    written = [message for message in messages if as_sent(message).get("run_id") == run["id"]]
    for message in messages:
        where = f"message {as_sent(message).get('id')!r}"
        if message.readable("thread_id") and message["thread_id"] != run["thread_id"]:
            findings.append(finding(f"{where} has another thread_id",
                                    expected=run["thread_id"], observed=message["thread_id"]))
    for message in written:
        where = f"message {as_sent(message).get('id')!r}"
        if not message.readable("role", "assistant_id"):
            continue
        if message["role"] != "assistant" or message["assistant_id"] != run["assistant_id"]:
            findings.append(finding(f"{where} written by the run is not the "
                                    "assistant's", expected={"role": "assistant", "assistant_id": run["assistant_id"]},
                                    observed={"role": message["role"], "assistant_id": message["assistant_id"]}))
    # A step whose type cannot be read may have called a tool: no message is then demanded.
    called_tools = steps is None or any(as_sent(step).get("type") != "message_creation" for step in steps)
    if run["status"] == "completed" and not called_tools and not written:
        findings.append(finding("a completed run that called no tool wrote no message",
                                expected="at least one assistant message", observed=[]))
    return findings


def _listing(finding: FindingMaker, reply: Exchange, listed: str, schema_name: str,
             what: str, spec: Spec) -> tuple[list[Finding], list[Lenient] | None]:
    """The findings on a listing of ``listed`` (status, JSON, ``schema_name``), and its items,
    read leniently, when there are any to read (None: the findings say why)."""
    body, findings = json_answer(finding, reply, f"listing {listed}", what)
    if findings:
        return findings, None
    return list_findings(finding, schema_name, body, what, spec), listed_items(reply, schema_name, spec)


@check(LIFE_008)
def input_messages(finding: FindingMaker, request: dict[str, Any],
                   messages: list[Lenient]) -> list[Finding]:
    """The request's thread messages are stored in order with role and text, run_id null.

    ``messages``: the thread's messages, oldest first, read leniently (a message whose role,
    content or run_id fails its schema blocks this check: LIFE_007 reports it).
    """
    thread = request.get("thread")
    requested = (thread.get("messages") if isinstance(thread, dict) else None) or []
    expected = [(message["role"], _request_texts(message["content"])) for message in requested]
    stored = [(message["role"], _stored_texts(message["content"])) for message in messages
              if message["run_id"] is None]
    if stored != expected:
        return [finding("the thread's messages are not the request's (order, role, text)",
                        expected=expected, observed=stored)]
    return []


def _request_texts(content: Any) -> list[str]:
    parts = [content] if isinstance(content, str) else [
        part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"
    ]
    return [text for text in parts if text]  # empty text: not compared (see LIFE_008)


def _stored_texts(content: list[dict[str, Any]]) -> list[str]:
    texts = [part["text"]["value"] for part in content if part.get("type") == "text"]
    return [text for text in texts if text]
