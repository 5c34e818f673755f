"""Tools an assistant or run can use, and the tools a message attachment can name."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import MISSING, Field

from spec_models.base import OpenObject, UnitInterval

FileSearchRanker: TypeAlias = Literal["auto", "default_2024_08_21"]

# ``FunctionParameters``: an open JSON Schema object; omitting it means "no parameters".
FunctionParameters: TypeAlias = dict[str, Any]


class FileSearchRankingOptions(OpenObject):
    """``FileSearchRankingOptions``."""

    ranker: FileSearchRanker | MISSING = MISSING
    score_threshold: UnitInterval


class FileSearchToolOptions(OpenObject):
    """``AssistantToolsFileSearch.file_search``."""

    max_num_results: Annotated[int, Field(ge=1, le=50)] | MISSING = MISSING
    ranking_options: FileSearchRankingOptions | MISSING = MISSING


class FunctionObject(OpenObject):
    """``FunctionObject``. The name's character rule is description-only (not checked here)."""

    description: str | MISSING = MISSING
    name: str
    parameters: FunctionParameters | MISSING = MISSING
    strict: bool | None | MISSING = MISSING


class CodeInterpreterTool(OpenObject):
    """``AssistantToolsCode``."""

    type: Literal["code_interpreter"]


class FileSearchTool(OpenObject):
    """``AssistantToolsFileSearch``."""

    type: Literal["file_search"]
    file_search: FileSearchToolOptions | MISSING = MISSING


class FileSearchTypeOnlyTool(OpenObject):
    """``AssistantToolsFileSearchTypeOnly``: an attachment's file_search; options are extras."""

    type: Literal["file_search"]


class FunctionTool(OpenObject):
    """``AssistantToolsFunction``."""

    type: Literal["function"]
    function: FunctionObject


Tool: TypeAlias = Annotated[
    CodeInterpreterTool | FileSearchTool | FunctionTool, Field(discriminator="type")
]

# A message attachment may name code_interpreter or file_search, never a function.
AttachmentTool: TypeAlias = Annotated[
    CodeInterpreterTool | FileSearchTypeOnlyTool, Field(discriminator="type")
]
