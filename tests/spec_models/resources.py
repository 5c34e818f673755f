"""``tool_resources``: files for code_interpreter and vector stores for file_search.

Two shapes exist. Responses (threads, assistants) and the run-level ``tool_resources`` of a
create-thread-and-run request take ``ToolResources``: existing vector store ids only. A thread
or assistant being created takes ``CreateToolResources``, whose file_search part names an existing
vector store *or* creates one with the ``vector_stores`` helper (exactly one of the two).
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import MISSING, Field, model_validator

from spec_models.base import ClosedObject, Metadata, OpenObject

FileIds: TypeAlias = Annotated[list[str], Field(max_length=20)]
VectorStoreIds: TypeAlias = Annotated[list[str], Field(max_length=1)]


class CodeInterpreterResources(OpenObject):
    file_ids: FileIds | MISSING = MISSING


class FileSearchResources(OpenObject):
    vector_store_ids: VectorStoreIds | MISSING = MISSING


class ToolResources(OpenObject):
    code_interpreter: CodeInterpreterResources | MISSING = MISSING
    file_search: FileSearchResources | MISSING = MISSING


class AutoChunkingStrategy(ClosedObject):
    type: Literal["auto"]


class StaticChunking(ClosedObject):
    """Overlap <= half the chunk size is a description-only rule (not checked here)."""

    max_chunk_size_tokens: Annotated[int, Field(ge=100, le=4096)]
    chunk_overlap_tokens: int


class StaticChunkingStrategy(ClosedObject):
    type: Literal["static"]
    static: StaticChunking


ChunkingStrategy: TypeAlias = Annotated[
    AutoChunkingStrategy | StaticChunkingStrategy, Field(discriminator="type")
]


class VectorStoreHelper(OpenObject):
    """One item of ``file_search.vector_stores``: a vector store to create and attach."""

    file_ids: Annotated[list[str], Field(max_length=100_000_000)] | MISSING = MISSING
    chunking_strategy: ChunkingStrategy | MISSING = MISSING
    metadata: Metadata | MISSING = MISSING


class CreateFileSearchResources(OpenObject):
    vector_store_ids: VectorStoreIds | MISSING = MISSING
    vector_stores: Annotated[list[VectorStoreHelper], Field(max_length=1)] | MISSING = MISSING

    @model_validator(mode="after")
    def _exactly_one_source(self) -> CreateFileSearchResources:
        # The schema's ``oneOf: [{required: [vector_store_ids]}, {required: [vector_stores]}]``.
        given = {"vector_store_ids", "vector_stores"} & self.model_fields_set
        if len(given) != 1:
            raise ValueError("exactly one of vector_store_ids and vector_stores must be given")
        return self


class CreateToolResources(OpenObject):
    code_interpreter: CodeInterpreterResources | MISSING = MISSING
    file_search: CreateFileSearchResources | MISSING = MISSING
