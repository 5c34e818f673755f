"""What a run needs before its first request: the assistants it uses, and the models it knows.

The suite's assistants make "absent in the request -> the assistant's value" observable: the
configured one sets instructions, two function tools, temperature, top_p and response_format to
values no default has; the plain one sets only the model, so the spec defaults show. Each gets its
own model when two are known, so that a model override always differs from one of them.

Setting up is not the operation under test, so it asks little of the target: any 2xx answer with
an assistant id is an assistant (a deviation is a note of the report, not a reason to stop); an
assistant given with ``--assistant-id`` that cannot be fetched is used with its values unknown
(what runs inherit from it is then not judged, and the report says why); models are the
``--model`` list, else those ``GET /models`` lists, else the default. Where nothing works, the
error names the flag that gets past it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.core.errors import RateLimited, SetupError, TargetUnreachable
from conformance.core.observation import Exchange
from conformance.core.spec import Spec, spec_for
from conformance.engine.client import TargetClient
from conformance.engine.run_control import UnusableId, path_segment

DEFAULT_MODEL = "gpt-4o"  # when no model is given and the target lists none
MODEL_TRIES = 3  # listed models tried for the second assistant before settling for one model
NO_SUCH_ENDPOINT = (404, 405, 501)

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
    model: str | None
    instructions: str | None
    tools: list[dict[str, Any]]
    temperature: float | None
    top_p: float | None
    response_format: Any
    created_by_suite: bool
    known: bool = True  # False: the suite could not read its values (only its id is known)

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


def suite_assistant_bodies(models: tuple[str, str], tools: bool = True,
                           spec: Spec | None = None) -> list[dict[str, Any]]:
    """The configured assistant (on the first model) and the plain one (on the second); without
    ``tools`` (the target does not claim function tools) the configured one has none, and it sets
    only what assistants of ``spec``'s profile have (v1 assistants have no sampling settings)."""
    fields = (spec or spec_for()).document["components"]["schemas"]["AssistantObject"]["properties"]
    settings = {key: value for key, value in (("temperature", SUITE_TEMPERATURE), ("top_p", SUITE_TOP_P),
                                             ("response_format", SUITE_RESPONSE_FORMAT)) if key in fields}
    return [
        {"model": models[0], "name": f"{SUITE_NAME} (configured)", "instructions": SUITE_INSTRUCTIONS,
         **({"tools": SUITE_TOOLS} if tools else {}), **settings, "metadata": {"created_by": SUITE_NAME}},
        {"model": models[1], "name": f"{SUITE_NAME} (plain)", "metadata": {"created_by": SUITE_NAME}},
    ]


@dataclass
class Setup:
    """What setting up found: the assistants, the models requests may name, notes for the report."""

    assistants: list[Assistant] = field(default_factory=list)  # filled as each exists (for teardown)
    models: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def listed_models(client: TargetClient, setup: Setup) -> tuple[str, ...]:
    """The model ids ``GET /models`` lists, in its order (() if it lists none: noted)."""
    reply = _setup_request(lambda: client.get("models", budgeted=False), "GET /models")
    body = reply.json_or_none() if reply.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    ids = [item["id"] for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)
           and item["id"]] if isinstance(data, list) else []
    if not ids:
        setup.notes.append(f"GET /models was answered {reply.describe()} with no model list; give the models "
                           "the target serves with --model")
    return tuple(dict.fromkeys(ids))


def create_assistants(client: TargetClient, candidates: tuple[str, ...], setup: Setup, tools: bool = True,
                      spec: Spec | None = None) -> None:
    """Create the suite's assistants into ``setup`` (each as soon as it exists, so that whoever
    deletes them knows of every one, even when setup fails half-way). The configured one takes the
    first model of ``candidates``; the plain one the next that the target accepts (at most
    MODEL_TRIES tried), else the same."""
    first = candidates[0] if candidates else DEFAULT_MODEL
    configured, plain = suite_assistant_bodies((first, first), tools, spec)
    setup.assistants.append(_create(client, configured, setup))
    second = None
    for model in [m for m in candidates if m != first][:MODEL_TRIES]:
        reply = _setup_request(lambda model=model: client.post("assistants", {**plain, "model": model},
                                                                budgeted=False), "POST /assistants")
        if reply.status is not None and 200 <= reply.status < 300:
            setup.assistants.append(_created(reply, {**plain, "model": model}, setup))
            second = model
            break
    if second is None:
        setup.assistants.append(_create(client, plain, setup))
    setup.models = tuple(dict.fromkeys([first, *([second] if second else [])]))


def _create(client: TargetClient, body: dict[str, Any], setup: Setup) -> Assistant:
    reply = _setup_request(lambda: client.post("assistants", body, budgeted=False), "POST /assistants")
    if reply.status in NO_SUCH_ENDPOINT:
        raise SetupError(f"the target cannot create assistants (POST /assistants was answered {reply.describe()}): "
                         "give one it has with --assistant-id ID")
    return _created(reply, body, setup)


def _created(reply: Exchange, body: dict[str, Any], setup: Setup) -> Assistant:
    document = _assistant_document(reply, "POST /assistants", setup)
    return Assistant.from_object(document, body, created_by_suite=True)


def fetch_assistant(client: TargetClient, assistant_id: str, setup: Setup) -> None:
    """The user's assistant into ``setup``: its values as ``GET /assistants/{id}`` shows them, or
    only its id when the target does not show it (noted: inheritance is then not judged)."""
    what = f"GET /assistants/{assistant_id}"
    reply = _setup_request(lambda: client.get(f"assistants/{path_segment(assistant_id)}", budgeted=False), what)
    if reply.status is not None and 200 <= reply.status < 300:
        setup.assistants.append(Assistant.from_object(_assistant_document(reply, what, setup), {},
                                                      created_by_suite=False))
        return
    if reply.transport_error:
        raise SetupError(f"cannot reach the target: {what} got no response ({reply.transport_error})")
    setup.notes.append(f"{what} was answered {reply.describe()}: the assistant's values are unknown, so what runs "
                       "inherit from it is not judged")
    setup.assistants.append(Assistant(id=assistant_id, model=None, instructions=None, tools=[], temperature=None,
                                      top_p=None, response_format=None, created_by_suite=False, known=False))


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


def _assistant_document(reply: Exchange, what: str, setup: Setup) -> dict[str, Any]:
    """The assistant a 2xx answer carries (any 2xx: a deviation is noted, not fatal)."""
    if reply.transport_error:
        raise SetupError(f"cannot reach the target: {what} got no response ({reply.transport_error})")
    success = reply.status is not None and 200 <= reply.status < 300
    document = reply.json_or_none() if success else None
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        detail = reply.response_body[:300]  # scrubbed of secrets
        hint = " (a target of an older request surface: pass --spec-profile)" if reply.status == 400 else ""
        raise SetupError(f"{what} was answered {reply.describe()} without an assistant id; the run needs an "
                         f"assistant (or give one the target has with --assistant-id ID){hint}: {detail}")
    if reply.status != 200:
        note = (f"{what} was answered {reply.describe()}, not 200 as the spec says: a deviation of setting up, "
                "not of the operation under test")
        if note not in setup.notes:
            setup.notes.append(note)
    try:
        path_segment(document["id"])
    except UnusableId as unusable:
        raise SetupError(f"{what}: the assistant's id cannot be used in a URL: {unusable}") from None
    return document
