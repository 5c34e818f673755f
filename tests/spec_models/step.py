"""``RunStepObject`` and its step details: message creation, or tool calls."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import ListResponse, Metadata, OpenObject, UnitInterval
from spec_models.run import CompletionUsage
from spec_models.tools import FileSearchRanker


class MessageCreation(OpenObject):
    message_id: str


class MessageCreationStepDetails(OpenObject):
    """``RunStepDetailsMessageCreationObject``."""

    type: Literal["message_creation"]
    message_creation: MessageCreation


class CodeOutputLogs(OpenObject):
    """``RunStepDetailsToolCallsCodeOutputLogsObject``."""

    type: Literal["logs"]
    logs: str


class CodeOutputImageFile(OpenObject):
    file_id: str


class CodeOutputImage(OpenObject):
    """``RunStepDetailsToolCallsCodeOutputImageObject``."""

    type: Literal["image"]
    image: CodeOutputImageFile


CodeOutput: TypeAlias = Annotated[CodeOutputLogs | CodeOutputImage, Field(discriminator="type")]


class CodeInterpreterCall(OpenObject):
    input: str
    outputs: list[CodeOutput]


class CodeInterpreterToolCall(OpenObject):
    """``RunStepDetailsToolCallsCodeObject``."""

    id: str
    type: Literal["code_interpreter"]
    code_interpreter: CodeInterpreterCall


class FileSearchRankingOptionsUsed(OpenObject):
    """``RunStepDetailsToolCallsFileSearchRankingOptionsObject``: here ``ranker`` is required."""

    ranker: FileSearchRanker
    score_threshold: UnitInterval


class FileSearchResultContent(OpenObject):
    type: Literal["text"] | MISSING = MISSING
    text: str | MISSING = MISSING


class FileSearchResult(OpenObject):
    """``RunStepDetailsToolCallsFileSearchResultObject``."""

    file_id: str
    file_name: str
    score: UnitInterval
    content: list[FileSearchResultContent] | MISSING = MISSING


class FileSearchCall(OpenObject):
    ranking_options: FileSearchRankingOptionsUsed | MISSING = MISSING
    results: list[FileSearchResult] | MISSING = MISSING


class FileSearchToolCall(OpenObject):
    """``RunStepDetailsToolCallsFileSearchObject``."""

    id: str
    type: Literal["file_search"]
    file_search: FileSearchCall


class FunctionCall(OpenObject):
    name: str
    arguments: str
    output: str | None


class FunctionToolCall(OpenObject):
    """``RunStepDetailsToolCallsFunctionObject``."""

    id: str
    type: Literal["function"]
    function: FunctionCall


ToolCall: TypeAlias = Annotated[
    CodeInterpreterToolCall | FileSearchToolCall | FunctionToolCall, Field(discriminator="type")
]


class ToolCallsStepDetails(OpenObject):
    """``RunStepDetailsToolCallsObject``."""

    type: Literal["tool_calls"]
    tool_calls: list[ToolCall]


StepDetails: TypeAlias = Annotated[
    MessageCreationStepDetails | ToolCallsStepDetails, Field(discriminator="type")
]


class RunStepLastError(OpenObject):
    code: Literal["server_error", "rate_limit_exceeded"]
    message: str


class RunStepObject(OpenObject):
    """``RunStepObject``. The schema says ``expired_at`` (its examples say ``expires_at``)."""

    id: str
    object: Literal["thread.run.step"]
    created_at: int
    assistant_id: str
    thread_id: str
    run_id: str
    type: Literal["message_creation", "tool_calls"]
    status: Literal["in_progress", "cancelled", "failed", "completed", "expired"]
    step_details: StepDetails
    last_error: RunStepLastError | None
    expired_at: int | None
    cancelled_at: int | None
    failed_at: int | None
    completed_at: int | None
    metadata: Metadata
    usage: CompletionUsage | None


ListRunStepsResponse = ListResponse[RunStepObject]
