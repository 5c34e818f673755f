"""Spec profiles: the version of the request surface a server was built against.

A profile is the shipped spec (``openai-openapi`` commit ``f85dbe2``) with some of its history
undone (``history.py``): ``changes``, newest first, each with a one-line summary and the edit
that takes the shipped schemas back before it. ``spec_for(profile)`` (the package) builds the
profile's document and validators from them.

``features`` names the optional branches of ``CreateThreadAndRunRequest`` a profile has, and the
few differences of the objects a client must know of (``run_incomplete``): strategies generate a
branch only when the target has its feature. A profile's features follow from its changes
(each says what the version before it lacks or has in addition); a ``SpecProfile`` made by hand
(features only, no changes) judges against the shipped schema.

``beta`` is the ``OpenAI-Beta`` header value a client of that version sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from conformance.core.spec.history import SINCE_2024Q2, SINCE_V1, SpecChange

FEATURES: Mapping[str, str] = MappingProxyType({
    # tools
    "code_interpreter": "the code_interpreter tool: in tools, tool_resources, attachments and a named tool_choice",
    "file_search": "the file_search tool: in tools, tool_resources, attachments and a named tool_choice",
    "retrieval": "the retrieval tool of v1 (file_search's predecessor): in tools and a named tool_choice",
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
    "file_ids": "the file model of v1: file_ids on thread messages (requests), and on runs, messages and "
                "assistants (objects), where v2 has attachments and tool_resources",
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
    # objects and events
    "run_incomplete": "runs can end incomplete: the run status incomplete and the thread.run.incomplete event",
})


@dataclass(frozen=True)
class SpecProfile:
    """A spec version: the ``FEATURES`` its request schema has, the ``OpenAI-Beta`` header value
    of its clients, and the changes undone to make its schemas from the shipped ones."""

    name: str
    summary: str
    features: frozenset[str]
    beta: str = "assistants=v2"
    changes: tuple[SpecChange, ...] = field(default=())

    def __post_init__(self) -> None:
        unknown = self.features - FEATURES.keys()
        if unknown:
            raise ValueError(f"profile {self.name!r} names unknown features: {sorted(unknown)}")

    def has(self, feature: str) -> bool:
        return feature in self.features


_ALL_CHANGES = SINCE_2024Q2 + SINCE_V1
# The shipped spec has every feature but those only an older version had.
_CURRENT_FEATURES = frozenset(FEATURES) - {feature for change in _ALL_CHANGES for feature in change.has}


def _older(name: str, summary: str, beta: str, changes: tuple[SpecChange, ...]) -> SpecProfile:
    lacks = {feature for change in changes for feature in change.lacks}
    has = {feature for change in changes for feature in change.has}
    return SpecProfile(name, summary, _CURRENT_FEATURES - lacks | has, beta, changes)


V1 = _older("v1", "Assistants v1: the spec of 2024-04-15 (786071b), the window of the seed's request",
            "assistants=v1", SINCE_2024Q2 + SINCE_V1)
V2_2024Q2 = _older("v2-2024Q2", "Assistants v2 as first shipped: the spec as of 2024-05-28 (310c56b)",
                   "assistants=v2", SINCE_2024Q2)
V2_CURRENT = SpecProfile("v2-current", "Assistants v2 as in the shipped spec (openai-openapi f85dbe2)",
                         _CURRENT_FEATURES)
DEFAULT_PROFILE = V2_CURRENT

# Oldest first.
SPEC_PROFILES: Mapping[str, SpecProfile] = MappingProxyType({p.name: p for p in (V1, V2_2024Q2, V2_CURRENT)})


def get_profile(profile: str | SpecProfile) -> SpecProfile:
    """The spec profile named ``profile`` (a ``SpecProfile`` is returned as is)."""
    if isinstance(profile, SpecProfile):
        return profile
    try:
        return SPEC_PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown spec profile {profile!r}; known profiles: {', '.join(SPEC_PROFILES)}") from None
