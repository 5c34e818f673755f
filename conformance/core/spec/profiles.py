"""Spec profiles: which optional branches of the request schema a spec version has.

A *feature* names one branch of ``CreateThreadAndRunRequest`` that appeared (or went away) at
some point of the spec's history, or that a server may lack. Strategies generate a branch only
when the target has its feature, so a profile is pure data: its set of features.

Only ``v2-current`` (the shipped spec, ``openai-openapi`` commit ``f85dbe2``) is defined. An
older profile would be one more entry in ``SPEC_PROFILES``; for instance the 2024-Q2 v2 surface (the
spec as of 2024-08-05) would be::

    SpecProfile(
        "v2-2024Q2",
        "Assistants v2 before Structured Outputs",
        V2_CURRENT.features - {"json_schema", "function_strict", "ranking_options"}
        | {"response_format_none"},
    )

Invalid requests are always derived from the shipped schema, whatever the profile: a profile
only changes which valid bodies the mutations start from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

FEATURES: Mapping[str, str] = MappingProxyType({
    # tools
    "code_interpreter": "the code_interpreter tool: in tools, tool_resources, attachments and a named tool_choice",
    "file_search": "the file_search tool: in tools, tool_resources, attachments and a named tool_choice",
    "function": "function tools, and tool_choice naming a function",
    "function_strict": "FunctionObject.strict",
    "max_num_results": "file_search.max_num_results of a file_search tool",
    "ranking_options": "file_search.ranking_options of a file_search tool",
    "vector_stores": "thread.tool_resources.file_search.vector_stores (the helper that creates a vector store)",
    "chunking_strategy": "vector_stores[].chunking_strategy",
    # messages
    "assistant_messages": "thread messages with role assistant",
    "content_parts": "message content as an array of content parts",
    "image_file": "image_file content parts",
    "image_url": "image_url content parts",
    "attachments": "message attachments",
    # run options
    "temperature": "the temperature property",
    "top_p": "the top_p property",
    "max_tokens": "the max_prompt_tokens and max_completion_tokens properties",
    "truncation_strategy": "the truncation_strategy property",
    "tool_choice": "the tool_choice property",
    "tool_choice_required": 'tool_choice "required"',
    "parallel_tool_calls": "the parallel_tool_calls property",
    "tool_resources": "the tool_resources properties (run and thread)",
    "response_format": "the response_format property",
    "response_format_none": 'response_format "none" (2024-04-12 to 2024-08-05 only)',
    "json_object": 'response_format {"type": "json_object"}',
    "json_schema": 'response_format {"type": "json_schema", ...}',
})


@dataclass(frozen=True)
class SpecProfile:
    """A spec version, as the set of ``FEATURES`` its request schema has."""

    name: str
    summary: str
    features: frozenset[str]

    def __post_init__(self) -> None:
        unknown = self.features - FEATURES.keys()
        if unknown:
            raise ValueError(f"profile {self.name!r} names unknown features: {sorted(unknown)}")


V2_CURRENT = SpecProfile(
    "v2-current",
    "Assistants v2 as in the shipped spec (openai-openapi f85dbe2)",
    frozenset(FEATURES) - {"response_format_none"},
)

SPEC_PROFILES: Mapping[str, SpecProfile] = MappingProxyType({V2_CURRENT.name: V2_CURRENT})


def get_profile(profile: str | SpecProfile) -> SpecProfile:
    """The spec profile named ``profile`` (a ``SpecProfile`` is returned as is)."""
    if isinstance(profile, SpecProfile):
        return profile
    try:
        return SPEC_PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown spec profile {profile!r}; known profiles: {', '.join(SPEC_PROFILES)}") from None
