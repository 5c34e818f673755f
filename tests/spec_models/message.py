"""``MessageObject`` and its content parts (the image parts and attachments recur in requests)."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import ImageDetail, ListResponse, Metadata, NonNegativeInt, OpenObject
from spec_models.tools import AttachmentTool

MessageRole: TypeAlias = Literal["user", "assistant"]


class ImageFile(OpenObject):
    file_id: str
    detail: ImageDetail | MISSING = MISSING


class ImageFileContent(OpenObject):
    """``MessageContentImageFileObject``."""

    type: Literal["image_file"]
    image_file: ImageFile


class ImageUrl(OpenObject):
    url: str  # ``format: uri`` is an annotation in JSON Schema 2020-12, not a constraint
    detail: ImageDetail | MISSING = MISSING


class ImageUrlContent(OpenObject):
    """``MessageContentImageUrlObject``."""

    type: Literal["image_url"]
    image_url: ImageUrl


class FileReference(OpenObject):
    """The ``file_citation`` / ``file_path`` object of an annotation."""

    file_id: str


class FileCitationAnnotation(OpenObject):
    """``MessageContentTextAnnotationsFileCitationObject``."""

    type: Literal["file_citation"]
    text: str
    file_citation: FileReference
    start_index: NonNegativeInt
    end_index: NonNegativeInt


class FilePathAnnotation(OpenObject):
    """``MessageContentTextAnnotationsFilePathObject``."""

    type: Literal["file_path"]
    text: str
    file_path: FileReference
    start_index: NonNegativeInt
    end_index: NonNegativeInt


TextAnnotation: TypeAlias = Annotated[
    FileCitationAnnotation | FilePathAnnotation, Field(discriminator="type")
]


class Text(OpenObject):
    value: str
    annotations: list[TextAnnotation]


class TextContent(OpenObject):
    """``MessageContentTextObject``."""

    type: Literal["text"]
    text: Text


class RefusalContent(OpenObject):
    """``MessageContentRefusalObject``."""

    type: Literal["refusal"]
    refusal: str


MessageContent: TypeAlias = Annotated[
    ImageFileContent | ImageUrlContent | TextContent | RefusalContent, Field(discriminator="type")
]


class MessageAttachment(OpenObject):
    """An item of ``attachments`` (requests and messages).

    Both keys are optional: in ``CreateMessageRequest`` the spec puts ``required: [file_id, tools]``
    on the array rather than on its items, where it has no effect; ``MessageObject`` has none.
    """

    file_id: str | MISSING = MISSING
    tools: list[AttachmentTool] | MISSING = MISSING


class MessageIncompleteDetails(OpenObject):
    reason: Literal["content_filter", "max_tokens", "run_cancelled", "run_expired", "run_failed"]


class MessageObject(OpenObject):
    """``MessageObject``."""

    id: str
    object: Literal["thread.message"]
    created_at: int
    thread_id: str
    status: Literal["in_progress", "incomplete", "completed"]
    incomplete_details: MessageIncompleteDetails | None
    completed_at: int | None
    incomplete_at: int | None
    role: MessageRole
    content: list[MessageContent]
    assistant_id: str | None
    run_id: str | None
    attachments: list[MessageAttachment] | None
    metadata: Metadata


ListMessagesResponse = ListResponse[MessageObject]
