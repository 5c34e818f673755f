"""The spec's history, as edits that take the shipped schemas back to an older version.

Each ``SpecChange`` undoes one change of ``openai/openai-openapi`` (dates and commits from the
history of the requirements analysis, section 7): ``edit`` rewrites a deep copy of the shipped
``components/schemas`` in place into the schemas as they were before that change, and ``lacks``
and ``has`` say which ``FEATURES`` (profiles.py) the older version lacks or has in addition.
A profile is the shipped spec with a list of changes undone, newest first.

What is undone is what the history records for createThreadAndRun, the objects it returns and
its events, plus the assistants the suite creates. Where the history is silent the summary
says what was decided. Changes it does not record are left as shipped, because they make no
difference a server of that time could show: refusal content parts and the stray ``enabled`` of
``thread.created`` (open objects either way); the optional ``ranking_options``/``results`` of
file_search step details (an older ``{}`` validates); attachment tools typed
``AssistantToolsFileSearchTypeOnly`` (2024-06-07), the same schema as the file_search tool of
2024-05-28; the phantom ``thread_id`` that ``CreateThreadAndRunRequest.required`` named until
2024-10-17 (the catalogue's position: only ``assistant_id`` is required, in every profile).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Schemas = dict[str, Any]  # components/schemas of an OpenAPI document
SCHEMA_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class SpecChange:
    """One change of the spec, undone: a one-line summary with its date and commit, the edit
    that undoes it, and the features the version before it lacks or has in addition."""

    summary: str
    edit: Callable[[Schemas], None]
    lacks: frozenset[str] = field(default=frozenset())
    has: frozenset[str] = field(default=frozenset())


# --- editing helpers ---------------------------------------------------------------------------

def _at(schemas: Schemas, *path: str | int) -> Any:
    node: Any = schemas
    for part in path:
        node = node[part]
    return node


def _drop(schemas: Schemas, *path: str) -> None:
    """Remove the property at ``path`` (``name, "properties", ..., property``), and from the
    ``required`` of the object that declares it."""
    holder = _at(schemas, *path[:-2])
    del holder["properties"][path[-1]]
    if path[-1] in holder.get("required", ()):
        holder["required"] = [key for key in holder["required"] if key != path[-1]]


def _add(schemas: Schemas, name: str, key: str, value: dict[str, Any], *, required: bool) -> None:
    schemas[name]["properties"][key] = value
    if required:
        schemas[name]["required"] = [*schemas[name]["required"], key]


def schema_refs(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``{"$ref": ...}`` node under ``node``."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield node
        for value in node.values():
            yield from schema_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from schema_refs(item)


def _replace_refs(schemas: Schemas, old: str, new: str) -> None:
    for ref in schema_refs(schemas):
        if ref["$ref"] == SCHEMA_PREFIX + old:
            ref["$ref"] = SCHEMA_PREFIX + new


def _vector_store_helpers(schemas: Schemas) -> Iterator[dict[str, Any]]:
    """The ``vector_stores[]`` item schema of the thread's and of the assistant's tool resources."""
    for name in ("CreateThreadRequest", "CreateAssistantRequest"):
        resources = _at(schemas, name, "properties", "tool_resources", "anyOf", 0)
        yield _at(resources, "properties", "file_search", "properties", "vector_stores", "items")


_FILE_IDS = {"type": "array", "items": {"type": "string"}}


def _limited(most: int, least: int = 0) -> dict[str, Any]:
    return {**_FILE_IDS, **({"minItems": least} if least else {}), "maxItems": most}


# --- after 2024-05-28: undone by v2-2024Q2 and v1 ------------------------------------------------

def _vector_store_file_limit(schemas: Schemas) -> None:
    for helper in _vector_store_helpers(schemas):
        helper["properties"]["file_ids"]["maxItems"] = 10000


def _metadata_of_any_values(schemas: Schemas) -> None:
    schemas["Metadata"] = {"anyOf": [{"type": "object"}, {"type": "null"}]}


def _no_reasoning_effort(schemas: Schemas) -> None:
    _drop(schemas, "CreateAssistantRequest", "properties", "reasoning_effort")


def _no_ranking_options(schemas: Schemas) -> None:
    _drop(schemas, "AssistantToolsFileSearch", "properties", "file_search", "properties", "ranking_options")


def _no_strict(schemas: Schemas) -> None:
    _drop(schemas, "FunctionObject", "properties", "strict")


def _response_format_of_2024(schemas: Schemas) -> None:
    schemas["AssistantsApiResponseFormat"] = {
        "type": "object",
        "properties": {"type": {"type": "string", "enum": ["text", "json_object"]}},
    }
    schemas["AssistantsApiResponseFormatOption"] = {"oneOf": [
        {"type": "string", "enum": ["none", "auto"]},
        {"$ref": SCHEMA_PREFIX + "AssistantsApiResponseFormat"},
    ]}


def _no_parallel_tool_calls(schemas: Schemas) -> None:
    for name in ("CreateThreadAndRunRequest", "RunObject"):
        _drop(schemas, name, "properties", "parallel_tool_calls")


def _no_file_search_overrides(schemas: Schemas) -> None:
    # max_num_results was the only property of the tool's file_search object then.
    _drop(schemas, "AssistantToolsFileSearch", "properties", "file_search")


def _no_chunking_strategy(schemas: Schemas) -> None:
    for helper in _vector_store_helpers(schemas):
        del helper["properties"]["chunking_strategy"]


SINCE_2024Q2: tuple[SpecChange, ...] = (
    SpecChange("vector_stores[].file_ids: at most 10,000 file ids (raised to 100,000,000 on 2026-05-13, 5162af9)",
               _vector_store_file_limit),
    SpecChange("metadata values of any JSON type (string values only since 2025-01-31, 2fb90fe)",
               _metadata_of_any_values),
    SpecChange("no reasoning_effort on assistants (not in the history: it came with the o-series models, "
               "after 2024-08-05)", _no_reasoning_effort),
    SpecChange("no file_search.ranking_options on file_search tools (added 2024-08-27, 8b26936)",
               _no_ranking_options, lacks=frozenset({"ranking_options"})),
    SpecChange("no FunctionObject.strict (added 2024-08-06, b48827c)", _no_strict,
               lacks=frozenset({"function_strict"})),
    SpecChange('response_format "none", no json_schema, and the object is {type?: text | json_object} '
               '(2024-08-06, b48827c: "none" removed, json_schema added, type made required)', _response_format_of_2024,
               lacks=frozenset({"json_schema"}), has=frozenset({"response_format_none"})),
    SpecChange("no parallel_tool_calls on requests and runs (added 2024-06-06, c2fa626)", _no_parallel_tool_calls,
               lacks=frozenset({"parallel_tool_calls"})),
    SpecChange("no file_search.max_num_results on file_search tools (added 2024-06-03, 03058c8)",
               _no_file_search_overrides, lacks=frozenset({"max_num_results"})),
    SpecChange("no vector_stores[].chunking_strategy (added 2024-06-03, 03058c8)", _no_chunking_strategy,
               lacks=frozenset({"chunking_strategy"})),
)


# --- 2024-04-16 to 2024-05-28: undone by v1 -----------------------------------------------------

def _no_run_incomplete_event(schemas: Schemas) -> None:
    events = schemas["RunStreamEvent"]["oneOf"]
    events[:] = [e for e in events if e["properties"]["event"]["enum"] != ["thread.run.incomplete"]]


def _no_run_incomplete_status(schemas: Schemas) -> None:
    status = _at(schemas, "RunObject", "properties", "status")
    status["enum"] = [value for value in status["enum"] if value != "incomplete"]


def _text_content_only(schemas: Schemas) -> None:
    _at(schemas, "CreateMessageRequest", "properties")["content"] = {
        "type": "string", "minLength": 1, "maxLength": 256000}


def _no_tool_choice_required(schemas: Schemas) -> None:
    _at(schemas, "AssistantsApiToolChoiceOption", "oneOf", 0)["enum"] = ["none", "auto"]


def _retrieval_tools(schemas: Schemas) -> None:
    schemas["AssistantToolsRetrieval"] = {
        "type": "object", "properties": {"type": {"type": "string", "enum": ["retrieval"]}}, "required": ["type"]}
    _replace_refs(schemas, "AssistantToolsFileSearch", "AssistantToolsRetrieval")
    _at(schemas, "AssistantsNamedToolChoice", "properties", "type")["enum"] = [
        "function", "code_interpreter", "retrieval"]
    # A retrieval call's details: "for now, this is always going to be an empty object".
    retrieval = {"type": "string", "enum": ["retrieval"]}
    schemas["RunStepDetailsToolCallsRetrievalObject"] = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "type": retrieval, "retrieval": {"type": "object"}},
        "required": ["id", "type", "retrieval"],
    }
    schemas["RunStepDeltaStepDetailsToolCallsRetrievalObject"] = {
        "type": "object",
        "properties": {"index": {"type": "integer"}, "id": {"type": "string"}, "type": retrieval,
                       "retrieval": {"type": "object"}},
        "required": ["index", "type"],
    }
    _replace_refs(schemas, "RunStepDetailsToolCallsFileSearchObject", "RunStepDetailsToolCallsRetrievalObject")
    _replace_refs(schemas, "RunStepDeltaStepDetailsToolCallsFileSearchObject",
                  "RunStepDeltaStepDetailsToolCallsRetrievalObject")


def _message_file_ids(schemas: Schemas) -> None:
    _drop(schemas, "CreateMessageRequest", "properties", "attachments")
    _add(schemas, "CreateMessageRequest", "file_ids", _limited(10, least=1), required=False)
    _drop(schemas, "MessageObject", "properties", "attachments")
    _add(schemas, "MessageObject", "file_ids", _limited(10), required=True)


def _no_tool_resources(schemas: Schemas) -> None:
    for name in ("CreateThreadAndRunRequest", "CreateThreadRequest", "ThreadObject"):
        _drop(schemas, name, "properties", "tool_resources")


def _run_file_ids(schemas: Schemas) -> None:
    _add(schemas, "RunObject", "file_ids", dict(_FILE_IDS), required=True)


def _assistants_of_v1(schemas: Schemas) -> None:
    for name in ("CreateAssistantRequest", "AssistantObject"):
        for key in ("tool_resources", "temperature", "top_p", "response_format"):
            _drop(schemas, name, "properties", key)
        _add(schemas, name, "file_ids", _limited(20), required=name == "AssistantObject")


def _no_top_p(schemas: Schemas) -> None:
    for name in ("CreateThreadAndRunRequest", "RunObject"):
        _drop(schemas, name, "properties", "top_p")


V2 = "2024-04-17, d3f8430"
SINCE_V1: tuple[SpecChange, ...] = (
    SpecChange("no thread.run.incomplete event (added 2024-05-28, 310c56b)", _no_run_incomplete_event,
               lacks=frozenset({"run_incomplete"})),
    SpecChange("no run status incomplete (added 2024-05-13, 893ba52): the reference server ends such a run "
               "completed, with incomplete_details, as the v1 descriptions of max_*_tokens said",
               _no_run_incomplete_status, lacks=frozenset({"run_incomplete"})),
    SpecChange("message content is a string of 1 to 256,000 characters, no content parts (parts added and the "
               "limits dropped 2024-05-09, 72a1d94)", _text_content_only,
               lacks=frozenset({"content_parts", "image_file", "image_url"})),
    SpecChange('no tool_choice "required" (added 2024-04-29, 38c9c20)', _no_tool_choice_required,
               lacks=frozenset({"tool_choice_required"})),
    SpecChange(f"the retrieval tool instead of file_search, in tools, named tool_choice and run steps "
               f"(renamed {V2})", _retrieval_tools,
               lacks=frozenset({"file_search"}), has=frozenset({"retrieval"})),
    SpecChange(f"messages have file_ids (1 to 10 on a request; required on message objects) instead of "
               f"attachments (replaced {V2})", _message_file_ids,
               lacks=frozenset({"attachments"}), has=frozenset({"file_ids"})),
    SpecChange(f"no tool_resources on requests, threads and thread objects (added {V2})", _no_tool_resources,
               lacks=frozenset({"tool_resources", "vector_stores"})),
    SpecChange(f"run objects have file_ids, required (removed {V2})", _run_file_ids),
    SpecChange(f"assistants have file_ids (at most 20) instead of tool_resources, and no temperature, top_p or "
               f"response_format (the history records only the run side; these came with v2, {V2})",
               _assistants_of_v1),
    SpecChange("no top_p on requests and runs (added 2024-04-16, af97d0a)", _no_top_p, lacks=frozenset({"top_p"})),
)
