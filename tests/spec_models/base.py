"""What every spec model shares: strictness, open vs closed objects, and the spec's scalar types.

Omitted vs null. An optional field defaults to pydantic's ``MISSING`` sentinel, never to None:
``req.temperature is MISSING`` means the key was absent, ``req.temperature is None`` means it was
sent as JSON null. ``MISSING`` fields are left out of every dump, so
``model.model_dump(mode="json")`` reproduces the validated document key for key (extra keys of
open objects included). Schema defaults (``parallel_tool_calls`` true, ``temperature`` 1, ...)
are semantics, not shape: the models do not fill them in; whoever acts on a request does.

Strictness follows JSON types, with one deliberate exception: JSON Schema counts ``256.0`` as an
integer, the models accept only ints where the schema says ``integer`` (the suite sends no such
value: see the request validation requirements).

A field that is required but nullable (``RunObject.completed_at``) is typed ``X | None`` with no
default, so the key must be present. A field that is optional and not nullable
(``CreateThreadAndRunRequest.thread``) is ``X | MISSING``: an explicit null is rejected.
"""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# JSON Schema ``number``. ``int | float`` rather than ``float``: strict pydantic would turn an
# int into a float, which loses big integers and changes ``1`` into ``1.0`` on a round trip.
Number: TypeAlias = int | float

# ``#/components/schemas/Metadata``: string values only. Its 16-pair / 64 / 512-character limits
# are in the description alone, and checked by ``conformance.core.spec.description_rules``.
Metadata: TypeAlias = dict[str, str] | None

NonNegativeInt: TypeAlias = Annotated[int, Field(ge=0)]

Temperature: TypeAlias = Annotated[Number, Field(ge=0, le=2)]
# A number in [0, 1]: top_p, file search score thresholds and scores.
UnitInterval: TypeAlias = Annotated[Number, Field(ge=0, le=1)]

# ``max_prompt_tokens`` / ``max_completion_tokens`` have ``minimum: 256`` wherever they appear.
TokenLimit: TypeAlias = Annotated[int, Field(ge=256)]

ImageDetail: TypeAlias = Literal["auto", "low", "high"]


class OpenObject(BaseModel):
    """A schema object without ``additionalProperties: false``: unknown keys are kept as extras.

    Every response object is open, so a server adding fields never breaks validation.
    """

    model_config = ConfigDict(strict=True, extra="allow", serialize_by_alias=True)


class ClosedObject(BaseModel):
    """A schema object with ``additionalProperties: false``: an unknown key is an error."""

    model_config = ConfigDict(strict=True, extra="forbid", serialize_by_alias=True)


Item = TypeVar("Item")


class ListResponse(OpenObject, Generic[Item]):
    """The envelope of ``ListRunsResponse``, ``ListMessagesResponse`` and ``ListRunStepsResponse``.

    Those last two lack ``type: object`` in the spec, so the schema accepts any non-object; the
    model does not.
    """

    object: str
    data: list[Item]
    first_id: str
    last_id: str
    has_more: bool
