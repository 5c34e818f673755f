"""The assistants a run uses: created by the suite (and deleted at the end), or the user's own.

The suite's assistants make "absent in the request -> the assistant's value" observable: the
configured one sets instructions, two function tools, temperature, top_p and response_format to
values no default has; the plain one sets only the model, so the spec defaults show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.core.errors import RateLimited, SetupError, TargetUnreachable
from conformance.core.observation import Exchange
from conformance.engine.client import TargetClient
from conformance.engine.run_control import UnusableId, path_segment

SUITE_NAME = "assistants-conformance"
SUITE_INSTRUCTIONS = "You are the test assistant of a conformance suite. Answer briefly."
SUITE_TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "lookup_order_status", "description": "Look up the status of an order.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    }},
    {"type": "function", "function": {
        "name": "convert_currency", "description": "Convert an amount between currencies.",
        "parameters": {"type": "object", "properties": {"amount": {"type": "number"}, "to": {"type": "string"}}},
    }},
]
SUITE_TEMPERATURE = 0.7
SUITE_TOP_P = 0.9
SUITE_RESPONSE_FORMAT = {"type": "text"}


@dataclass(frozen=True)
class Assistant:
    """The values a run inherits when the request does not override them."""

    id: str
    model: str
    instructions: str | None
    tools: list[dict[str, Any]]
    temperature: float | None
    top_p: float | None
    response_format: Any
    created_by_suite: bool

    @property
    def function_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.tools
                if tool.get("type") == "function" and isinstance(tool.get("function"), dict)]

    @classmethod
    def from_object(cls, document: dict[str, Any], sent: dict[str, Any], created_by_suite: bool) -> Assistant:
        """Values from what we sent when we created it, else from the server's AssistantObject."""
        values = {**document, **sent}
        return cls(
            id=document["id"],
            model=values.get("model"),
            instructions=values.get("instructions"),
            tools=list(values.get("tools") or []),
            temperature=values.get("temperature"),
            top_p=values.get("top_p"),
            response_format=values.get("response_format"),
            created_by_suite=created_by_suite,
        )


def suite_assistant_bodies(model: str) -> list[dict[str, Any]]:
    return [
        {"model": model, "name": f"{SUITE_NAME} (configured)", "instructions": SUITE_INSTRUCTIONS,
         "tools": SUITE_TOOLS, "temperature": SUITE_TEMPERATURE, "top_p": SUITE_TOP_P,
         "response_format": SUITE_RESPONSE_FORMAT, "metadata": {"created_by": SUITE_NAME}},
        {"model": model, "name": f"{SUITE_NAME} (plain)", "metadata": {"created_by": SUITE_NAME}},
    ]


def create_assistants(client: TargetClient, model: str, created: list[Assistant] | None = None) -> list[Assistant]:
    """Create the suite's assistants, each into ``created`` as soon as it exists (so that whoever
    deletes them knows of every one, even when setup fails or is interrupted half-way)."""
    created = [] if created is None else created
    for body in suite_assistant_bodies(model):
        reply = _setup_request(lambda body=body: client.post("assistants", body, budgeted=False), "POST /assistants")
        document = _assistant_document(reply, "POST /assistants")
        created.append(Assistant.from_object(document, body, created_by_suite=True))
    return created


def fetch_assistant(client: TargetClient, assistant_id: str) -> Assistant:
    what = f"GET /assistants/{assistant_id}"
    reply = _setup_request(lambda: client.get(f"assistants/{path_segment(assistant_id)}", budgeted=False), what)
    return Assistant.from_object(_assistant_document(reply, what), {}, created_by_suite=False)


def delete_assistants(client: TargetClient, assistants: list[Assistant], deadline: float | None = None) -> list[str]:
    """Delete the assistants the suite created, before ``deadline`` (a ``time.monotonic()``
    reading); return a note for each one that could not be."""
    problems = []
    for assistant in (a for a in assistants if a.created_by_suite):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            problems.append(f"assistant {assistant.id} was not deleted: the time for cleaning up ran out")
            continue
        try:
            reply = client.delete(f"assistants/{path_segment(assistant.id)}", budgeted=False, timeout=left)
        except (RateLimited, TargetUnreachable) as error:
            problems.append(f"could not delete assistant {assistant.id}: {error}")
            continue
        if reply.status != 200:
            problems.append(f"could not delete assistant {assistant.id}: {reply.describe()}")
    return problems


def _setup_request(send: Callable[[], Exchange], what: str) -> Exchange:
    """A setup request: a target that cannot be reached or keeps rate-limiting cannot be set up."""
    try:
        return send()
    except TargetUnreachable as error:
        raise SetupError(f"cannot reach the target: {what}: {error}") from None
    except RateLimited:
        raise SetupError(f"the target kept answering {what} with 429 (rate limited)") from None


def _assistant_document(reply: Exchange, what: str) -> dict[str, Any]:
    if reply.transport_error:
        raise SetupError(f"cannot reach the target: {what} got no response ({reply.transport_error})")
    document = reply.json_or_none() if reply.status == 200 else None
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        detail = reply.response_body[:300]  # scrubbed of secrets
        raise SetupError(f"{what} was answered status {reply.status}; the run needs an assistant: {detail}")
    try:
        path_segment(document["id"])
    except UnusableId as unusable:
        raise SetupError(f"{what}: the assistant's id cannot be used in a URL: {unusable}") from None
    return document
