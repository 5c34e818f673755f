"""The requirement catalogue: the single source of requirement IDs, levels, areas and texts.

Each requirement is a module constant (``RUN_007`` is "RUN-007"): checks name the constant, so a
typo is an import error and a search for the name finds every use. Reports, the CLI and the docs
read ``CATALOGUE`` and never repeat it. Where the spec is ambiguous, the text states the position
the suite takes: that text is what a report shows, so it is the only place a position is argued.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(str, Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Area(str, Enum):
    AUTH = "auth"
    REQUEST = "request validation"
    ERROR = "error envelope"
    RUN = "run object"
    LIFECYCLE = "run lifecycle"
    STREAM = "streaming"
    SDK = "sdk compatibility"


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    area: Area
    text: str
    spec: str  # a JSON pointer into the spec, or a short description of the source
    # Optional features only through which the requirement is exercised (names of
    # ``conformance.core.claims.CLAIMABLE``): a target claiming none of them has it ``unsupported``.
    features: frozenset[str] = frozenset()


_M, _S = Level.MUST, Level.SHOULD
_OP = "#/paths/~1threads~1runs/post"
_CTAR = "#/components/schemas/CreateThreadAndRunRequest"
_RO = "#/components/schemas/RunObject"

_CATALOGUE: list[Requirement] = []


def _requirement(requirement_id: str, level: Level, area: Area, text: str, spec: str,
                 features: tuple[str, ...] = ()) -> Requirement:
    requirement = Requirement(requirement_id, level, area, text, spec, frozenset(features))
    _CATALOGUE.append(requirement)
    return requirement


# --- auth -----------------------------------------------------------------------------
AUTH_001 = _requirement("AUTH-001", _M, Area.AUTH,
    "When the server requires a key, a request with no Authorization header or a wrong bearer key "
    "gets 401 (checked only when the target claims authentication and the suite is given a key; the body "
    "is judged by ERR-001).",
    "#/security, #/components/securitySchemes/ApiKeyAuth",
    features=("authentication",))
# --- request validation ---------------------------------------------------------------
REQ_001 = _requirement("REQ-001", _M, Area.REQUEST,
    "Every request body that validates against CreateThreadAndRunRequest and names objects the "
    "server has (assistant, model, files) is accepted: 200, never 4xx or 5xx (position: bodies whose "
    "meaning the spec leaves open are not sent: a named tool_choice that is not among the tools, "
    "tool_choice \"required\" without tools, a last_messages truncation without a count, unknown "
    "keys inside the open nested objects, empty message text).",
    _CTAR)
REQ_002 = _requirement("REQ-002", _M, Area.REQUEST,
    "A body with exactly one schema violation (type, minimum, maximum, maxItems, minItems, enum, "
    "required, additionalProperties, oneOf) is rejected with 400, never 2xx, never 422, never 5xx "
    "(position: thread: null is not sent, as clients commonly send null for absent; nor an integral "
    "float such as 256.0 for an integer, which JSON Schema calls an integer and many parsers a float).",
    _CTAR)
REQ_003 = _requirement("REQ-003", _M, Area.REQUEST,
    "Metadata limits written in the spec's descriptions are enforced: more than 16 pairs, a key "
    "longer than 64 characters or a value longer than 512 characters is rejected with 400 "
    "(position: documented limits are normative although the schema does not encode them).",
    "#/components/schemas/Metadata")
REQ_004 = _requirement("REQ-004", _S, Area.REQUEST,
    "Rules written only in descriptions are enforced with 400: function and json_schema names "
    "match ^[a-zA-Z0-9_-]{1,64}$, and a static chunking strategy's overlap is at most half its "
    "chunk size.",
    "#/components/schemas/FunctionObject/properties/name",
    features=("function", "json_schema", "chunking_strategy"))
REQ_005 = _requirement("REQ-005", _S, Area.REQUEST,
    "A body that is not JSON, or JSON that is not an object (array, string, number, null), is "
    "rejected with 400.",
    _OP + "/requestBody")
REQ_006 = _requirement("REQ-006", _M, Area.REQUEST,
    "A rejected stream: true request is answered with its JSON error up front: no event stream is "
    "opened, so no thread or run is announced (position: beyond this, a rejected request's side "
    "effects are not observable black-box; a 2xx answer is the rule's own requirement).",
    _OP,
    features=("streaming",))
REQ_007 = _requirement("REQ-007", _S, Area.REQUEST,
    "An assistant_id the server does not know gets 404 with the error envelope (position: 404, "
    "as for every unknown id in the Assistants API; the spec declares no status).",
    _CTAR + "/properties/assistant_id")
# --- error envelope -------------------------------------------------------------------
ERR_001 = _requirement("ERR-001", _M, Area.ERROR,
    "Every response with status >= 400 is application/json and a valid ErrorResponse: "
    "{\"error\": {\"message\", \"type\", \"param\", \"code\"}} with all four keys "
    "(param and code may be null).",
    "#/components/schemas/ErrorResponse")
# --- run object -----------------------------------------------------------------------
RUN_001 = _requirement("RUN-001", _M, Area.RUN,
    "A non-streaming 200 response is application/json (parameters such as charset allowed) and "
    "its body, like every run returned by any run endpoint, validates against RunObject (another 2xx "
    "is its request's failure, and its body is judged here all the same) "
    "(all required keys, types, enums, object == \"thread.run\"); unknown extra keys are allowed "
    "(position: instructions: null only warns: the schema says string, the spec's own examples "
    "show null).",
    _RO)
RUN_002 = _requirement("RUN-002", _M, Area.RUN,
    "The run exists as returned: run.assistant_id equals the request's assistant_id, "
    "GET /threads/{thread_id}/runs/{id} returns it, listRuns of its thread lists it, and every "
    "call creates a new run in a new thread (distinct id and thread_id) (position: ids are put into URLs "
    "as one path segment each, percent-encoded; an id that cannot be one, such as \"..\", fails this).",
    "#/paths/~1threads~1{thread_id}~1runs~1{run_id}/get")
RUN_003 = _requirement("RUN-003", _M, Area.RUN,
    "The created thread is retrievable: GET /threads/{thread_id} returns a ThreadObject whose "
    "metadata equals the request's thread.metadata (or {} when absent or null; null also stands "
    "for no metadata, as Metadata is nullable).",
    "#/components/schemas/CreateThreadRequest")
RUN_004 = _requirement("RUN-004", _M, Area.RUN,
    "model, instructions and tools given in the request override the assistant's and appear in "
    "the run; when absent or null the run carries the assistant's values.",
    _CTAR + "/properties/model")
RUN_005 = _requirement("RUN-005", _M, Area.RUN,
    "Run options are echoed or defaulted: metadata (request or {}, or null for none: Metadata is "
    "nullable), max_prompt_tokens and max_completion_tokens (request or null), truncation_strategy (request or "
    "{\"type\": \"auto\", \"last_messages\": null}), tool_choice (request or \"auto\"), "
    "parallel_tool_calls (request or true), response_format (request, else the assistant's, "
    "else \"auto\").",
    _RO)
RUN_006 = _requirement("RUN-006", _S, Area.RUN,
    "temperature and top_p are the request's value, else the assistant's, else 1.",
    _CTAR + "/properties/temperature")
RUN_007 = _requirement("RUN-007", _M, Area.RUN,
    "Status-dependent fields agree with the status: started_at set in in_progress, requires_action "
    "and completed; completed_at set in completed, failed_at in failed, cancelled_at in cancelled, "
    "each null elsewhere (position: completed_at may be set in incomplete, failed_at in expired); "
    "last_error set in failed, null elsewhere (either in expired); incomplete_details set exactly in "
    "incomplete; required_action set exactly in requires_action; usage null in queued, in_progress "
    "and cancelling, set in completed and incomplete (either in requires_action, cancelled, failed, "
    "expired: the spec's examples disagree with its descriptions).",
    _RO)
RUN_008 = _requirement("RUN-008", _M, Area.RUN,
    "requires_action carries well-formed tool calls: at least one, unique non-empty ids, each "
    "naming a function tool of the run, arguments a JSON object in a string.",
    "#/components/schemas/RunToolCallObject",
    features=("function",))
RUN_009 = _requirement("RUN-009", _S, Area.RUN,
    "usage, when present, has non-negative counts and total_tokens == prompt_tokens + "
    "completion_tokens.",
    "#/components/schemas/RunCompletionUsage")
RUN_010 = _requirement("RUN-010", _M, Area.RUN,
    "Timestamps are integer Unix seconds within a day of the suite's clock; started_at >= "
    "created_at, a terminal timestamp >= started_at, expires_at null or > created_at.",
    _RO + "/properties/created_at")
# --- run lifecycle --------------------------------------------------------------------
LIFE_001 = _requirement("LIFE-001", _M, Area.LIFECYCLE,
    "A run reaches a terminal state (completed, incomplete, failed, cancelled, expired) or "
    "requires_action within the polling deadline.",
    _RO + "/properties/status")
LIFE_002 = _requirement("LIFE-002", _M, Area.LIFECYCLE,
    "Every observed pair of consecutive statuses is a legal transition of the run state graph "
    "(states may be skipped between polls); nothing leaves a terminal state.",
    _RO + "/properties/status")
LIFE_003 = _requirement("LIFE-003", _M, Area.LIFECYCLE,
    "Fields fixed at creation never change across observations: id, thread_id, assistant_id, "
    "created_at, model, instructions, tools, metadata, max_prompt_tokens, max_completion_tokens, "
    "truncation_strategy, tool_choice, response_format, parallel_tool_calls; once terminal, the "
    "terminal timestamps are fixed (a status leaving a terminal state is LIFE-002's).",
    _RO)
LIFE_004 = _requirement("LIFE-004", _M, Area.LIFECYCLE,
    "submit_tool_outputs with an output for every pending tool call returns 200 and a run that "
    "has left requires_action and goes on to a terminal state.",
    "#/paths/~1threads~1{thread_id}~1runs~1{run_id}~1submit_tool_outputs/post",
    features=("function",))
LIFE_005 = _requirement("LIFE-005", _M, Area.LIFECYCLE,
    "Cancelling an active run returns 200 with status cancelling or cancelled (or the terminal "
    "state it reached first; a 4xx refusal only if the run had already ended), and the run "
    "converges to a terminal state (position: cancellation is not guaranteed, any terminal state "
    "is accepted; cancelled carries cancelled_at).",
    "#/paths/~1threads~1{thread_id}~1runs~1{run_id}~1cancel/post")
LIFE_006 = _requirement("LIFE-006", _M, Area.LIFECYCLE,
    "The run's steps are listed and consistent: valid RunStepObjects with the run's id, thread_id "
    "and assistant_id, type equal to step_details.type, none in_progress once the run is "
    "terminal, and every message_creation step names a retrievable message.",
    "#/paths/~1threads~1{thread_id}~1runs~1{run_id}~1steps/get")
LIFE_007 = _requirement("LIFE-007", _M, Area.LIFECYCLE,
    "The thread's messages are valid MessageObjects; messages written by the run have role "
    "assistant, its run_id and assistant_id; a completed run has at least one such message "
    "unless it only called tools.",
    "#/paths/~1threads~1{thread_id}~1messages/get")
LIFE_008 = _requirement("LIFE-008", _S, Area.LIFECYCLE,
    "The request's thread messages are stored in order with role and text preserved, run_id "
    "null (they were created with the thread; position: empty text parts are not compared, as "
    "whether an empty text is stored is not specified).",
    "#/components/schemas/MessageObject")
# --- streaming ------------------------------------------------------------------------
SSE_001 = _requirement("SSE-001", _M, Area.STREAM,
    "A stream: true request answered 200 is answered with Content-Type text/event-stream "
    "(parameters such as charset allowed); the status itself is judged by the request's own "
    "requirement (REQ-001, LIFE-004).",
    _CTAR + "/properties/stream",
    features=("streaming",))
SSE_002 = _requirement("SSE-002", _M, Area.STREAM,
    "The body is well-formed server-sent events: valid UTF-8, and every event, the last "
    "included, is terminated by a blank line (a cut stream is a finding).",
    "WHATWG HTML, server-sent events",
    features=("streaming",))
SSE_003 = _requirement("SSE-003", _M, Area.STREAM,
    "Every event's data is JSON, except done's, and validates against the schema of its event "
    "name (thread, run, step, message, delta and error objects; a run's instructions: null only "
    "warns, as for RUN-001).",
    "#/components/schemas/AssistantStreamEvent",
    features=("streaming",))
SSE_004 = _requirement("SSE-004", _S, Area.STREAM,
    "Every event name is one the spec defines (an unknown name is a warning, never a failure: "
    "clients must tolerate new events).",
    "#/components/schemas/AssistantStreamEvent",
    features=("streaming",))
SSE_005 = _requirement("SSE-005", _M, Area.STREAM,
    "thread.created is the first event and thread.run.created the second; the run's thread_id "
    "is the created thread's id (a submit_tool_outputs stream starts with neither).",
    "#/components/schemas/AssistantStreamEvent",
    features=("streaming",))
SSE_006 = _requirement("SSE-006", _M, Area.STREAM,
    "Every thread.run.<status> event carries that status (thread.run.created carries queued), "
    "all run events share one run id, and the streamed statuses follow the legal transition "
    "graph.",
    "#/components/schemas/RunStreamEvent",
    features=("streaming",))
SSE_007 = _requirement("SSE-007", _M, Area.STREAM,
    "Steps and messages follow their lifecycles: a delta or in_progress event for an id comes "
    "after that id's created event and before its final event; each belongs to the streamed run.",
    "#/components/schemas/AssistantStreamEvent",
    features=("streaming",))
SSE_008 = _requirement("SSE-008", _M, Area.STREAM,
    "Deltas are incremental and accumulate to the final object: concatenated text deltas equal "
    "the completed message's text, and concatenated function-argument deltas equal the final "
    "arguments.",
    "#/components/schemas/MessageDeltaObject",
    features=("streaming",))
SSE_009 = _requirement("SSE-009", _M, Area.STREAM,
    "The stream ends properly: exactly one terminal run event or thread.run.requires_action, "
    "then event: done with data: [DONE] as the very last event, nothing after it, no [DONE] data "
    "on any other event, and the server closes the stream (position: a stream may instead end "
    "with an error event, after which done is optional).",
    _CTAR + "/properties/stream",
    features=("streaming",))
SSE_010 = _requirement("SSE-010", _M, Area.STREAM,
    "The stream makes progress: first byte, every gap between events and the whole stream stay "
    "within the configured deadlines, and the body stays within the byte cap.",
    _CTAR + "/properties/stream",
    features=("streaming",))
SSE_011 = _requirement("SSE-011", _M, Area.STREAM,
    "The stream agrees with the REST view: after done, GET run shows the last streamed status, "
    "and every streamed message and step is listed with the same final content.",
    "#/paths/~1threads~1{thread_id}~1runs~1{run_id}/get",
    features=("streaming",))
SDK_001 = _requirement("SDK-001", _S, Area.SDK,
    "The official openai SDK consumes every captured stream without an exception, in its raw "
    "stream parsing and in AssistantEventHandler (judged on streams that pass the other stream "
    "rules: a broken stream breaking the SDK is that rule's fault).",
    "openai-python AssistantEventHandler",
    features=("streaming",))


CATALOGUE: tuple[Requirement, ...] = tuple(_CATALOGUE)

BY_ID: dict[str, Requirement] = {requirement.id: requirement for requirement in CATALOGUE}


def get(requirement_id: str) -> Requirement:
    try:
        return BY_ID[requirement_id]
    except KeyError:
        raise KeyError(f"unknown requirement {requirement_id!r}") from None
