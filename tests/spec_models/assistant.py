"""Assistants: the object, its create request, and the delete response."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import ClosedObject, Metadata, OpenObject, Temperature, UnitInterval
from spec_models.options import ResponseFormat
from spec_models.resources import CreateToolResources, ToolResources
from spec_models.tools import Tool

AssistantName: TypeAlias = Annotated[str, Field(max_length=256)]
AssistantDescription: TypeAlias = Annotated[str, Field(max_length=512)]
AssistantInstructions: TypeAlias = Annotated[str, Field(max_length=256_000)]
AssistantTools: TypeAlias = Annotated[list[Tool], Field(max_length=128)]

# ``ReasoningEffort`` (the component includes null).
ReasoningEffort: TypeAlias = (
    Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None
)


class AssistantObject(OpenObject):
    """``AssistantObject``."""

    id: str
    object: Literal["assistant"]
    created_at: int
    name: AssistantName | None
    description: AssistantDescription | None
    model: str
    instructions: AssistantInstructions | None
    tools: AssistantTools
    tool_resources: ToolResources | None | MISSING = MISSING
    metadata: Metadata
    temperature: Temperature | None | MISSING = MISSING
    top_p: UnitInterval | None | MISSING = MISSING
    response_format: ResponseFormat | None | MISSING = MISSING


class CreateAssistantRequest(ClosedObject):
    """``CreateAssistantRequest``. ``model`` is any string (the enum is only a suggestion)."""

    model: str
    name: AssistantName | None | MISSING = MISSING
    description: AssistantDescription | None | MISSING = MISSING
    instructions: AssistantInstructions | None | MISSING = MISSING
    reasoning_effort: ReasoningEffort | MISSING = MISSING
    tools: AssistantTools | MISSING = MISSING
    tool_resources: CreateToolResources | None | MISSING = MISSING
    metadata: Metadata | MISSING = MISSING
    temperature: Temperature | None | MISSING = MISSING
    top_p: UnitInterval | None | MISSING = MISSING
    response_format: ResponseFormat | None | MISSING = MISSING


class DeleteAssistantResponse(OpenObject):
    """``DeleteAssistantResponse``."""

    id: str
    deleted: bool
    object: Literal["assistant.deleted"]
