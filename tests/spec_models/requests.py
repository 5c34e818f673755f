"""Request bodies: create thread and run (and the thread and messages in it), submit tool outputs.

These are the closed objects of the spec (``additionalProperties: false``): an unknown key is an
error here. The option objects they nest (tools, tool_resources, ...) stay open.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import (
    ClosedObject,
    Metadata,
    OpenObject,
    Temperature,
    TokenLimit,
    UnitInterval,
)
from spec_models.message import (
    ImageFileContent,
    ImageUrlContent,
    MessageAttachment,
    MessageRole,
)
from spec_models.options import ResponseFormat, ToolChoice, TruncationObject
from spec_models.resources import CreateToolResources, ToolResources
from spec_models.tools import Tool


class RequestTextContent(OpenObject):
    """``MessageRequestContentTextObject``: in a request, ``text`` is a plain string."""

    type: Literal["text"]
    text: str


RequestContent: TypeAlias = Annotated[
    ImageFileContent | ImageUrlContent | RequestTextContent, Field(discriminator="type")
]


class CreateMessageRequest(ClosedObject):
    """``CreateMessageRequest``."""

    role: MessageRole
    content: str | Annotated[list[RequestContent], Field(min_length=1)]
    attachments: list[MessageAttachment] | None | MISSING = MISSING
    metadata: Metadata | MISSING = MISSING


class CreateThreadRequest(ClosedObject):
    """``CreateThreadRequest``."""

    messages: list[CreateMessageRequest] | MISSING = MISSING
    tool_resources: CreateToolResources | None | MISSING = MISSING
    metadata: Metadata | MISSING = MISSING


class CreateThreadAndRunRequest(ClosedObject):
    """``CreateThreadAndRunRequest``, the body of ``POST /threads/runs``.

    ``model`` is any string: the spec's model enum sits in an ``anyOf`` with plain string.
    """

    assistant_id: str
    thread: CreateThreadRequest | MISSING = MISSING
    model: str | None | MISSING = MISSING
    instructions: str | None | MISSING = MISSING
    tools: Annotated[list[Tool], Field(max_length=20)] | None | MISSING = MISSING
    tool_resources: ToolResources | None | MISSING = MISSING
    metadata: Metadata | MISSING = MISSING
    temperature: Temperature | None | MISSING = MISSING
    top_p: UnitInterval | None | MISSING = MISSING
    stream: bool | None | MISSING = MISSING
    max_prompt_tokens: TokenLimit | None | MISSING = MISSING
    max_completion_tokens: TokenLimit | None | MISSING = MISSING
    truncation_strategy: TruncationObject | None | MISSING = MISSING
    tool_choice: ToolChoice | None | MISSING = MISSING
    parallel_tool_calls: bool | MISSING = MISSING
    response_format: ResponseFormat | None | MISSING = MISSING


class ToolOutput(OpenObject):
    """An item of ``tool_outputs``; the schema requires neither key."""

    tool_call_id: str | MISSING = MISSING
    output: str | MISSING = MISSING


class SubmitToolOutputsRunRequest(ClosedObject):
    """``SubmitToolOutputsRunRequest``."""

    tool_outputs: list[ToolOutput]
    stream: bool | None | MISSING = MISSING
