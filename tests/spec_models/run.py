"""``RunObject``: the create-thread-and-run response; also the data of ``thread.run.*`` events."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import ListResponse, Metadata, Number, OpenObject, TokenLimit
from spec_models.options import ResponseFormat, ToolChoice, TruncationObject
from spec_models.tools import Tool

RunStatus: TypeAlias = Literal[
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
]


class CompletionUsage(OpenObject):
    """``RunCompletionUsage`` / ``RunStepCompletionUsage`` (both schemas add ``| null``)."""

    completion_tokens: int
    prompt_tokens: int
    total_tokens: int


class RunToolCallFunction(OpenObject):
    name: str
    arguments: str


class RunToolCallObject(OpenObject):
    """``RunToolCallObject``: a function call the run waits on."""

    id: str
    type: Literal["function"]
    function: RunToolCallFunction


class SubmitToolOutputsAction(OpenObject):
    tool_calls: list[RunToolCallObject]


class RequiredAction(OpenObject):
    type: Literal["submit_tool_outputs"]
    submit_tool_outputs: SubmitToolOutputsAction


class LastError(OpenObject):
    code: Literal["server_error", "rate_limit_exceeded", "invalid_prompt"]
    message: str


class IncompleteDetails(OpenObject):
    """The schema does not require ``reason``."""

    reason: Literal["max_completion_tokens", "max_prompt_tokens"] | MISSING = MISSING


class RunObject(OpenObject):
    """``RunObject``.

    ``instructions`` is a required, non-nullable string in the schema (the spec's examples show
    null); ``temperature`` and ``top_p`` are optional.
    """

    id: str
    object: Literal["thread.run"]
    created_at: int
    thread_id: str
    assistant_id: str
    status: RunStatus
    required_action: RequiredAction | None
    last_error: LastError | None
    expires_at: int | None
    started_at: int | None
    cancelled_at: int | None
    failed_at: int | None
    completed_at: int | None
    incomplete_details: IncompleteDetails | None
    model: str
    instructions: str
    tools: Annotated[list[Tool], Field(max_length=20)]
    metadata: Metadata
    usage: CompletionUsage | None
    temperature: Number | None | MISSING = MISSING
    top_p: Number | None | MISSING = MISSING
    max_prompt_tokens: TokenLimit | None
    max_completion_tokens: TokenLimit | None
    truncation_strategy: TruncationObject | None
    tool_choice: ToolChoice | None
    parallel_tool_calls: bool
    response_format: ResponseFormat | None


ListRunsResponse = ListResponse[RunObject]
