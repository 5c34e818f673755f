"""The assistants a run uses: created by the suite (and deleted at the end), or the user's own.

The suite's assistants make "absent in the request -> the assistant's value" observable: the
configured one sets instructions, two function tools, temperature, top_p and response_format to
values no default has; the plain one sets only the model, so the spec defaults show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.core.errors import SetupError
from conformance.core.observation import Exchange
from conformance.engine.client import TargetClient

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


def create_assistants(client: TargetClient, model: str) -> list[Assistant]:
    """Create the suite's assistants; on failure delete those already created, then raise."""
    assistants: list[Assistant] = []
    try:
        for body in suite_assistant_bodies(model):
            reply = client.post("assistants", body, budgeted=False)
            document = _assistant_document(reply, "POST /assistants")
            assistants.append(Assistant.from_object(document, body, created_by_suite=True))
    except SetupError:
        delete_assistants(client, assistants)
        raise
    return assistants


def fetch_assistant(client: TargetClient, assistant_id: str) -> Assistant:
    reply = client.get(f"assistants/{assistant_id}", budgeted=False)
    return Assistant.from_object(_assistant_document(reply, f"GET /assistants/{assistant_id}"), {},
                                 created_by_suite=False)


def delete_assistants(client: TargetClient, assistants: list[Assistant]) -> list[str]:
    """Delete the assistants the suite created; return a note for each one that could not be."""
    problems = []
    for assistant in assistants:
        if assistant.created_by_suite:
            reply = client.delete(f"assistants/{assistant.id}", budgeted=False)
            if reply.status != 200:
                problems.append(f"could not delete assistant {assistant.id}: {reply.describe()}")
    return problems


def _assistant_document(reply: Exchange, what: str) -> dict[str, Any]:
    if reply.transport_error:
        raise SetupError(f"cannot reach the target: {what} got no response ({reply.transport_error})")
    document = reply.json_or_none() if reply.status == 200 else None
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        detail = reply.response_body[:300]  # scrubbed of secrets
        raise SetupError(f"{what} was answered status {reply.status}; the run needs an assistant: {detail}")
    return document
