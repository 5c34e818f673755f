"""Server-sent events of a streamed run, as ``{"event": name, "data": ...}``.

``AssistantStreamEvent`` is a union discriminated by the event name; validate an event with
``pydantic.TypeAdapter(AssistantStreamEvent)``. The ``done`` event's data is the string
``[DONE]``; every other event's data is the JSON object parsed from the SSE ``data`` field.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import OpenObject
from spec_models.delta import MessageDeltaObject, RunStepDeltaObject
from spec_models.error import Error
from spec_models.message import MessageObject
from spec_models.run import RunObject
from spec_models.step import RunStepObject
from spec_models.thread import ThreadObject


class ThreadCreatedEvent(OpenObject):
    """``ThreadStreamEvent``. ``enabled`` is a stray property of the spec, never required."""

    event: Literal["thread.created"]
    data: ThreadObject
    enabled: bool | MISSING = MISSING


class RunEvent(OpenObject):
    """``RunStreamEvent``: every run event carries the whole run."""

    event: Literal[
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.requires_action",
        "thread.run.completed",
        "thread.run.incomplete",
        "thread.run.failed",
        "thread.run.cancelling",
        "thread.run.cancelled",
        "thread.run.expired",
    ]
    data: RunObject


class RunStepEvent(OpenObject):
    """The ``RunStepStreamEvent`` variants that carry a whole step."""

    event: Literal[
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.run.step.completed",
        "thread.run.step.failed",
        "thread.run.step.cancelled",
        "thread.run.step.expired",
    ]
    data: RunStepObject


class RunStepDeltaEvent(OpenObject):
    event: Literal["thread.run.step.delta"]
    data: RunStepDeltaObject


class MessageEvent(OpenObject):
    """The ``MessageStreamEvent`` variants that carry a whole message."""

    event: Literal[
        "thread.message.created",
        "thread.message.in_progress",
        "thread.message.completed",
        "thread.message.incomplete",
    ]
    data: MessageObject


class MessageDeltaEvent(OpenObject):
    event: Literal["thread.message.delta"]
    data: MessageDeltaObject


class ErrorEvent(OpenObject):
    """``ErrorEvent``: ``data`` is a bare ``Error``, not the ``{"error": ...}`` envelope."""

    event: Literal["error"]
    data: Error


class DoneEvent(OpenObject):
    """``DoneEvent``."""

    event: Literal["done"]
    data: Literal["[DONE]"]


RunStepStreamEvent: TypeAlias = Annotated[
    RunStepEvent | RunStepDeltaEvent, Field(discriminator="event")
]
MessageStreamEvent: TypeAlias = Annotated[
    MessageEvent | MessageDeltaEvent, Field(discriminator="event")
]

AssistantStreamEvent: TypeAlias = Annotated[
    ThreadCreatedEvent
    | RunEvent
    | RunStepEvent
    | RunStepDeltaEvent
    | MessageEvent
    | MessageDeltaEvent
    | ErrorEvent
    | DoneEvent,
    Field(discriminator="event"),
]
