"""The delta objects of ``thread.message.delta`` and ``thread.run.step.delta`` events.

A delta part carries its ``index`` (which part of the message or step it extends) and ``type``;
everything else is optional, since a delta only holds what changed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import ImageDetail, NonNegativeInt, OpenObject
from spec_models.message import MessageRole


class ImageFileDelta(OpenObject):
    file_id: str | MISSING = MISSING
    detail: ImageDetail | MISSING = MISSING


class ImageFileDeltaContent(OpenObject):
    """``MessageDeltaContentImageFileObject``."""

    index: int
    type: Literal["image_file"]
    image_file: ImageFileDelta | MISSING = MISSING


class ImageUrlDelta(OpenObject):
    url: str | MISSING = MISSING
    detail: ImageDetail | MISSING = MISSING


class ImageUrlDeltaContent(OpenObject):
    """``MessageDeltaContentImageUrlObject``."""

    index: int
    type: Literal["image_url"]
    image_url: ImageUrlDelta | MISSING = MISSING


class FileCitationDelta(OpenObject):
    file_id: str | MISSING = MISSING
    quote: str | MISSING = MISSING


class FileCitationDeltaAnnotation(OpenObject):
    """``MessageDeltaContentTextAnnotationsFileCitationObject``."""

    index: int
    type: Literal["file_citation"]
    text: str | MISSING = MISSING
    file_citation: FileCitationDelta | MISSING = MISSING
    start_index: NonNegativeInt | MISSING = MISSING
    end_index: NonNegativeInt | MISSING = MISSING


class FilePathDelta(OpenObject):
    file_id: str | MISSING = MISSING


class FilePathDeltaAnnotation(OpenObject):
    """``MessageDeltaContentTextAnnotationsFilePathObject``."""

    index: int
    type: Literal["file_path"]
    text: str | MISSING = MISSING
    file_path: FilePathDelta | MISSING = MISSING
    start_index: NonNegativeInt | MISSING = MISSING
    end_index: NonNegativeInt | MISSING = MISSING


TextAnnotationDelta: TypeAlias = Annotated[
    FileCitationDeltaAnnotation | FilePathDeltaAnnotation, Field(discriminator="type")
]


class TextDelta(OpenObject):
    value: str | MISSING = MISSING
    annotations: list[TextAnnotationDelta] | MISSING = MISSING


class TextDeltaContent(OpenObject):
    """``MessageDeltaContentTextObject``."""

    index: int
    type: Literal["text"]
    text: TextDelta | MISSING = MISSING


class RefusalDeltaContent(OpenObject):
    """``MessageDeltaContentRefusalObject``."""

    index: int
    type: Literal["refusal"]
    refusal: str | MISSING = MISSING


MessageContentDelta: TypeAlias = Annotated[
    ImageFileDeltaContent | TextDeltaContent | RefusalDeltaContent | ImageUrlDeltaContent,
    Field(discriminator="type"),
]


class MessageDelta(OpenObject):
    role: MessageRole | MISSING = MISSING
    content: list[MessageContentDelta] | MISSING = MISSING


class MessageDeltaObject(OpenObject):
    """``MessageDeltaObject``."""

    id: str
    object: Literal["thread.message.delta"]
    delta: MessageDelta


class MessageCreationDelta(OpenObject):
    message_id: str | MISSING = MISSING


class MessageCreationStepDetailsDelta(OpenObject):
    """``RunStepDeltaStepDetailsMessageCreationObject``."""

    type: Literal["message_creation"]
    message_creation: MessageCreationDelta | MISSING = MISSING


class CodeOutputLogsDelta(OpenObject):
    """``RunStepDeltaStepDetailsToolCallsCodeOutputLogsObject``."""

    index: int
    type: Literal["logs"]
    logs: str | MISSING = MISSING


class CodeOutputImageFileDelta(OpenObject):
    file_id: str | MISSING = MISSING


class CodeOutputImageDelta(OpenObject):
    """``RunStepDeltaStepDetailsToolCallsCodeOutputImageObject``."""

    index: int
    type: Literal["image"]
    image: CodeOutputImageFileDelta | MISSING = MISSING


CodeOutputDelta: TypeAlias = Annotated[
    CodeOutputLogsDelta | CodeOutputImageDelta, Field(discriminator="type")
]


class CodeInterpreterCallDelta(OpenObject):
    input: str | MISSING = MISSING
    outputs: list[CodeOutputDelta] | MISSING = MISSING


class CodeInterpreterToolCallDelta(OpenObject):
    """``RunStepDeltaStepDetailsToolCallsCodeObject``."""

    index: int
    id: str | MISSING = MISSING
    type: Literal["code_interpreter"]
    code_interpreter: CodeInterpreterCallDelta | MISSING = MISSING


class FileSearchToolCallDelta(OpenObject):
    """``RunStepDeltaStepDetailsToolCallsFileSearchObject``: ``file_search`` is any object."""

    index: int
    id: str | MISSING = MISSING
    type: Literal["file_search"]
    file_search: dict[str, Any]


class FunctionCallDelta(OpenObject):
    name: str | MISSING = MISSING
    arguments: str | MISSING = MISSING
    output: str | None | MISSING = MISSING


class FunctionToolCallDelta(OpenObject):
    """``RunStepDeltaStepDetailsToolCallsFunctionObject``."""

    index: int
    id: str | MISSING = MISSING
    type: Literal["function"]
    function: FunctionCallDelta | MISSING = MISSING


ToolCallDelta: TypeAlias = Annotated[
    CodeInterpreterToolCallDelta | FileSearchToolCallDelta | FunctionToolCallDelta,
    Field(discriminator="type"),
]


class ToolCallsStepDetailsDelta(OpenObject):
    """``RunStepDeltaStepDetailsToolCallsObject``."""

    type: Literal["tool_calls"]
    tool_calls: list[ToolCallDelta] | MISSING = MISSING


StepDetailsDelta: TypeAlias = Annotated[
    MessageCreationStepDetailsDelta | ToolCallsStepDetailsDelta, Field(discriminator="type")
]


class RunStepDelta(OpenObject):
    step_details: StepDetailsDelta | MISSING = MISSING


class RunStepDeltaObject(OpenObject):
    """``RunStepDeltaObject``."""

    id: str
    object: Literal["thread.run.step.delta"]
    delta: RunStepDelta
