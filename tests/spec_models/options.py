"""Run options shared by requests, runs and assistants: truncation, tool choice, response format."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import OpenObject


class TruncationObject(OpenObject):
    """``TruncationObject``."""

    type: Literal["auto", "last_messages"]
    last_messages: Annotated[int, Field(ge=1)] | None | MISSING = MISSING


class NamedFunction(OpenObject):
    """``AssistantsNamedToolChoice.function``."""

    name: str


class NamedToolChoice(OpenObject):
    """``AssistantsNamedToolChoice``. ``type: function`` without ``function`` is schema-valid."""

    type: Literal["function", "code_interpreter", "file_search"]
    function: NamedFunction | MISSING = MISSING


# ``AssistantsApiToolChoiceOption``.
ToolChoice: TypeAlias = Literal["none", "auto", "required"] | NamedToolChoice


class TextResponseFormat(OpenObject):
    """``ResponseFormatText``."""

    type: Literal["text"]


class JsonObjectResponseFormat(OpenObject):
    """``ResponseFormatJsonObject``."""

    type: Literal["json_object"]


class JsonSchemaDefinition(OpenObject):
    """``ResponseFormatJsonSchema.json_schema``. The name's character rule is description-only."""

    description: str | MISSING = MISSING
    name: str
    # ``schema`` would shadow a BaseModel attribute; the alias keeps the wire name.
    schema_: dict[str, Any] | MISSING = Field(default=MISSING, alias="schema")
    strict: bool | None | MISSING = MISSING


class JsonSchemaResponseFormat(OpenObject):
    """``ResponseFormatJsonSchema``."""

    type: Literal["json_schema"]
    json_schema: JsonSchemaDefinition


# ``AssistantsApiResponseFormatOption``.
ResponseFormat: TypeAlias = (
    Literal["auto"]
    | Annotated[
        TextResponseFormat | JsonObjectResponseFormat | JsonSchemaResponseFormat,
        Field(discriminator="type"),
    ]
)
