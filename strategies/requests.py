"""Valid ``CreateThreadAndRunRequest`` bodies, built property by property from a spec profile's
request schema (the shipped spec's by default): a branch is drawn only if the profile (and the
target) has its feature, so that every body validates against the profile's schema.

Each function returns the strategy for one schema of the request; ``request_bodies`` puts them
together. Optional properties are omitted, ``null`` (where nullable) or present, in that order
of simplicity, so every body shrinks towards ``{"assistant_id": ...}``.

What the spec leaves open is not generated (the catalogue states these positions with the
request requirements): a named ``tool_choice`` names a tool present in the request's ``tools``,
and ``"required"`` comes only with tools;
``truncation_strategy`` of type ``last_messages`` always has a count; ``thread`` is never
``null``; no unknown keys, not even in the open nested objects; message text is never empty;
attachments name at least one tool; function tools have distinct names and a request has at
most one code_interpreter, one file_search and one retrieval tool; function ``parameters`` and json_schema
``schema`` stay within the strict Structured Outputs subset, so ``strict: true`` is always
satisfiable; ``chunk_overlap_tokens`` is not negative (the spec gives no minimum).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from conformance.core.spec.profiles import DEFAULT_PROFILE, SpecProfile
from strategies.space import (
    DEFAULT_ASSISTANT_IDS,
    DEFAULT_FILE_IDS,
    DEFAULT_VECTOR_STORE_IDS,
    RequestSpace,
    make_request_space,
)
from strategies.values import (
    NAME_ALPHABET,
    OMITTED,
    bounded_integers,
    bounded_numbers,
    id_lists,
    metadata,
    names,
    small_metadata,
    texts,
)

MAX_TOOLS = 20
MAX_CODE_INTERPRETER_FILES = 20
MAX_MESSAGE_FILES = 10  # v1's message file_ids
MAX_VECTOR_STORES = 1
MIN_MAX_TOKENS = 256
# Not a spec limit: a bound that keeps the values within a signed 32-bit integer.
LARGEST_TOKEN_LIMIT = 2**31 - 1
DETAILS = ("auto", "low", "high")
RANKERS = ("auto", "default_2024_08_21")
IMAGE_EXTENSIONS = ("jpeg", "jpg", "png", "gif", "webp")
_SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"


def objects(fields: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with these properties in this order, leaving out those whose value is ``OMITTED``.

    Not ``st.fixed_dictionaries``: it shuffles the keys of every object it draws, which costs a
    draw per key and buys nothing a JSON server may depend on.
    """
    keys = tuple(fields)
    return st.tuples(*fields.values()).map(
        lambda values: {key: value for key, value in zip(keys, values, strict=True) if value is not OMITTED}
    )


_PRESENT: Any = object()
# Twice as likely present as omitted (or null): nested properties deep in the request still
# appear often, and OMITTED, drawn first, is what examples shrink to.
_OPTIONAL_CHOICES = st.sampled_from((OMITTED, _PRESENT, _PRESENT))
_NULLABLE_CHOICES = st.sampled_from((OMITTED, None, _PRESENT, _PRESENT))


def optional(space: RequestSpace, values: st.SearchStrategy[Any], *, nullable: bool) -> st.SearchStrategy[Any]:
    """An optional property: ``OMITTED``, ``None`` if nullable, or a value (always a value if dense)."""
    if space.dense:
        return values
    return _optional_values(values, _NULLABLE_CHOICES if nullable else _OPTIONAL_CHOICES)


@st.composite
def _optional_values(draw: st.DrawFn, values: st.SearchStrategy[Any], choices: st.SearchStrategy[Any]) -> Any:
    choice = draw(choices)
    return draw(values) if choice is _PRESENT else choice


def _lists(space: RequestSpace, elements: st.SearchStrategy[Any], most: int,
           **kwargs: Any) -> st.SearchStrategy[list[Any]]:
    """Lists of up to ``most`` elements; when dense, of 1 or 2."""
    if space.dense:
        return st.lists(elements, min_size=1, max_size=min(most, 2), **kwargs)
    return st.lists(elements, max_size=most, **kwargs)


def _ids(space: RequestSpace, pool: tuple[str, ...], most: int, least: int = 0) -> st.SearchStrategy[list[str]]:
    """Id lists from ``pool`` of ``least`` to ``most`` ids, ``most`` often; when dense, 1 or 2 ids."""
    if space.dense and pool:
        return _lists(space, st.sampled_from(pool), min(most, len(pool)), unique=True)
    return id_lists(pool, most, min_size=least)


def _metadata(space: RequestSpace) -> st.SearchStrategy[dict[str, str]]:
    return small_metadata(min_size=1, max_size=2) if space.dense else metadata()


# --- tools ---------------------------------------------------------------------------------

def file_search_tools(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    if space.has("max_num_results"):
        fields["max_num_results"] = optional(space, bounded_integers(1, 50), nullable=False)
    if space.has("ranking_options"):
        ranking = objects({
            "ranker": optional(space, st.sampled_from(RANKERS), nullable=False),
            "score_threshold": bounded_numbers(0, 1),
        })
        fields["ranking_options"] = optional(space, ranking, nullable=False)
    overrides = optional(space, objects(fields), nullable=False) if fields else st.just(OMITTED)
    return objects({"type": st.just("file_search"), "file_search": overrides})


_PROPERTY_SCHEMAS = (
    {"type": "string"},
    {"type": "integer"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "string", "enum": ["a", "b"]},
    {"type": "array", "items": {"type": "string"}},
    {"type": ["string", "null"]},
)


def json_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Object schemas in the strict Structured Outputs subset (all properties required, closed)."""
    properties = st.dictionaries(
        st.text(NAME_ALPHABET, min_size=1, max_size=10),
        st.sampled_from(_PROPERTY_SCHEMAS).map(copy.deepcopy),
        max_size=4,
    )
    return properties.map(
        lambda props: {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
    )


def function_tools(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    function = objects({
        "name": names(),
        "description": optional(space, texts(), nullable=False),
        "parameters": optional(space, json_schemas(), nullable=False),
        "strict": optional(space, st.booleans(), nullable=True) if space.has("function_strict") else st.just(OMITTED),
    })
    return objects({"type": st.just("function"), "function": function})


def tool_identity(tool: dict[str, Any]) -> str:
    """Tools of a request differ by this: one per built-in type, one per function name."""
    return "function:" + tool["function"]["name"] if tool["type"] == "function" else tool["type"]


def tool_lists(space: RequestSpace) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Up to 20 tools, 20 often; when dense, one tool of each kind and a second function."""
    kinds = [objects({"type": st.just(kind)}) for kind in ("code_interpreter", "retrieval") if space.has(kind)]
    if space.has("file_search"):
        kinds.append(file_search_tools(space))
    if space.has("function"):
        kinds.append(function_tools(space))
    if space.dense:
        extra = [function_tools(space)] if space.has("function") else []
        return st.tuples(*kinds, *extra).map(lambda tools: list({tool_identity(t): t for t in tools}.values()))
    if not kinds:
        return st.builds(list)
    tool = st.one_of(kinds)
    lists = [st.lists(tool, max_size=MAX_TOOLS, unique_by=tool_identity)]
    if space.has("function"):  # only functions can fill all twenty slots
        seeds = st.tuples(function_tools(space), st.lists(tool, max_size=2, unique_by=tool_identity))
        lists.append(seeds.map(lambda seed: _twenty_tools(*seed)))
    return st.one_of(lists)


def _twenty_tools(function: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The drawn tools, then copies of the drawn function under numbered names: twenty tools for
    # the cost of three.
    tools = {tool_identity(tool): tool for tool in [function, *others]}
    name = function["function"]["name"]
    i = 0
    while len(tools) < MAX_TOOLS:
        twin = {"type": "function", "function": {**copy.deepcopy(function["function"]), "name": f"{name[:61]}_{i:02d}"}}
        tools.setdefault(tool_identity(twin), twin)
        i += 1
    return list(tools.values())


@st.composite
def tool_choices(draw: st.DrawFn, space: RequestSpace, tools: Any) -> Any:
    """``tool_choice`` values that name only tools present in ``tools`` (a position of the catalogue): a mode, or a
    named tool, each kind as likely whatever the number of tools."""
    tools = tools if isinstance(tools, list) else []
    modes = ["none", "auto"] + (["required"] if tools and space.has("tool_choice_required") else [])
    kinds: list[list[Any]] = [modes]
    builtins = sorted({tool["type"] for tool in tools} - {"function"})
    if builtins:
        kinds.append([{"type": tool_type} for tool_type in builtins])
    function_names = [tool["function"]["name"] for tool in tools if tool["type"] == "function"]
    functions = [{"type": "function", "function": {"name": name}} for name in function_names]
    if functions:
        kinds.append(functions)
    return draw(st.sampled_from(draw(st.sampled_from(kinds))))


# --- resources -----------------------------------------------------------------------------

def _code_interpreter_resources(space: RequestSpace) -> st.SearchStrategy[Any]:
    """``tool_resources.code_interpreter``: the same shape on the run and on the thread."""
    files = _ids(space, space.file_ids, MAX_CODE_INTERPRETER_FILES)
    return optional(space, objects({"file_ids": optional(space, files, nullable=False)}), nullable=False)


def run_tool_resources(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    if space.has("code_interpreter"):
        fields["code_interpreter"] = _code_interpreter_resources(space)
    if space.has("file_search"):
        stores = _ids(space, space.vector_store_ids, MAX_VECTOR_STORES)
        file_search = objects({"vector_store_ids": optional(space, stores, nullable=False)})
        fields["file_search"] = optional(space, file_search, nullable=False)
    return objects(fields)


# Static chunking sits four optional levels deep and so is drawn rarely; its corners (smallest
# and largest chunk, no overlap and the largest allowed) get a branch of their own.
_CHUNKING_CORNERS = tuple((size, overlap) for size in (100, 4096) for overlap in (0, size // 2))


def static_chunking() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.sampled_from(_CHUNKING_CORNERS), _chunk_sizes()).map(
        lambda pair: {"type": "static", "static": {"max_chunk_size_tokens": pair[0], "chunk_overlap_tokens": pair[1]}}
    )


@st.composite
def _chunk_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(bounded_integers(100, 4096))
    return size, draw(bounded_integers(0, size // 2))


def vector_store_helpers(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        "file_ids": optional(space, _ids(space, space.file_ids, 5), nullable=False),
        "metadata": optional(space, _metadata(space), nullable=True),
    }
    if space.has("chunking_strategy"):
        strategies = st.one_of(objects({"type": st.just("auto")}), static_chunking())
        fields["chunking_strategy"] = optional(space, strategies, nullable=False)
    return objects(fields)


def thread_tool_resources(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    if space.has("code_interpreter"):
        fields["code_interpreter"] = _code_interpreter_resources(space)
    if space.has("file_search"):
        # The schema's oneOf: exactly one of vector_store_ids and vector_stores.
        stores = _ids(space, space.vector_store_ids, MAX_VECTOR_STORES)
        kinds = [objects({"vector_store_ids": stores})]
        if space.has("vector_stores"):
            helper = st.lists(vector_store_helpers(space), min_size=1, max_size=MAX_VECTOR_STORES)
            kinds.append(objects({"vector_stores": helper}))
            if not space.dense:
                kinds.append(objects({"vector_stores": st.builds(list)}))
        fields["file_search"] = optional(space, st.one_of(kinds), nullable=False)
    return objects(fields)


# --- thread and messages -------------------------------------------------------------------

def image_urls() -> st.SearchStrategy[str]:
    """https URLs of the image types the spec lists (jpeg, jpg, png, gif, webp)."""
    slugs = st.text(_SLUG_ALPHABET, min_size=1, max_size=12)
    urls = st.tuples(slugs, st.sampled_from(IMAGE_EXTENSIONS))
    return urls.map(lambda url: f"https://example.com/images/{url[0]}.{url[1]}")


def content_part_lists(space: RequestSpace) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Content-part arrays of 1 to 4 parts; when dense, one part of each kind."""
    parts = [objects({"type": st.just("text"), "text": texts(min_size=1)})]
    detail = optional(space, st.sampled_from(DETAILS), nullable=False)
    if space.has("image_file") and space.file_ids:
        image = objects({"file_id": st.sampled_from(space.file_ids), "detail": detail})
        parts.append(objects({"type": st.just("image_file"), "image_file": image}))
    if space.has("image_url"):
        image = objects({"url": image_urls(), "detail": detail})
        parts.append(objects({"type": st.just("image_url"), "image_url": image}))
    if space.dense:
        return st.tuples(*parts).map(list)
    return st.lists(st.one_of(parts), min_size=1, max_size=4)


def attachments(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    types = [name for name in ("code_interpreter", "file_search") if space.has(name)]
    tools = st.lists(st.sampled_from(types), min_size=1, max_size=len(types), unique=True)
    return objects({
        "file_id": st.sampled_from(space.file_ids),
        "tools": tools.map(lambda names: [{"type": name} for name in names]),
    })


def messages(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    roles = ("user", "assistant") if space.has("assistant_messages") else ("user",)
    contents = [texts(min_size=1, max_size=40)]
    if space.has("content_parts"):
        contents.append(content_part_lists(space))
    fields = {"role": st.sampled_from(roles), "content": st.one_of(contents)}
    attachable = space.has("code_interpreter") or space.has("file_search")
    if space.has("attachments") and space.file_ids and attachable:
        fields["attachments"] = optional(
            space, _lists(space, attachments(space), 3), nullable=True
        )
    if space.has("file_ids") and space.file_ids:
        fields["file_ids"] = optional(space, _ids(space, space.file_ids, MAX_MESSAGE_FILES, least=1), nullable=False)
    fields["metadata"] = optional(space, _metadata(space), nullable=True)
    return objects(fields)


def threads(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    fields = {"messages": optional(space, _lists(space, messages(space), 3), nullable=False)}
    if space.has("tool_resources"):
        fields["tool_resources"] = optional(space, thread_tool_resources(space), nullable=True)
    fields["metadata"] = optional(space, _metadata(space), nullable=True)
    return objects(fields)


# --- run options ---------------------------------------------------------------------------

def truncation_strategies() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        objects({"type": st.just("auto"), "last_messages": st.sampled_from((OMITTED, None))}),
        objects({"type": st.just("last_messages"), "last_messages": bounded_integers(1, 64)}),
    )


def json_schema_formats(space: RequestSpace) -> st.SearchStrategy[dict[str, Any]]:
    json_schema = objects({
        "name": names(),
        "description": optional(space, texts(), nullable=False),
        "schema": optional(space, json_schemas(), nullable=False),
        "strict": optional(space, st.booleans(), nullable=True),
    })
    return objects({"type": st.just("json_schema"), "json_schema": json_schema})


def response_formats(space: RequestSpace) -> st.SearchStrategy[Any]:
    modes = ["auto"] + (["none"] if space.has("response_format_none") else [])
    formats = [st.sampled_from(modes), objects({"type": st.just("text")})]
    if space.has("json_object"):
        formats.append(objects({"type": st.just("json_object")}))
    if space.has("json_schema"):
        formats.append(json_schema_formats(space))
    return st.one_of(formats)


def _run_options(space: RequestSpace) -> dict[str, tuple[str, st.SearchStrategy[Any], bool]]:
    """Top-level properties other than thread/tools/tool_choice: (feature, values, nullable)."""
    token_limits = bounded_integers(MIN_MAX_TOKENS, LARGEST_TOKEN_LIMIT)
    return {
        "model": ("", st.sampled_from(space.models), True),
        "instructions": ("", texts(max_size=60), True),
        "tool_resources": ("tool_resources", run_tool_resources(space), True),
        "metadata": ("", _metadata(space), True),
        "temperature": ("temperature", bounded_numbers(0, 2), True),
        "top_p": ("top_p", bounded_numbers(0, 1), True),
        "max_prompt_tokens": ("max_tokens", token_limits, True),
        "max_completion_tokens": ("max_tokens", token_limits, True),
        "truncation_strategy": ("truncation_strategy", truncation_strategies(), True),
        "parallel_tool_calls": ("parallel_tool_calls", st.booleans(), False),
        "response_format": ("response_format", response_formats(space), True),
    }


def request_bodies(
    space: RequestSpace,
    *,
    present: Collection[str] = (),
    tools: Callable[[RequestSpace], st.SearchStrategy[list[dict[str, Any]]]] = tool_lists,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid request bodies for ``space``; the top-level properties in ``present`` are never
    omitted nor null. ``tools`` builds the strategy of the ``tools`` list."""

    def field(name: str, values: st.SearchStrategy[Any], *, nullable: bool) -> st.SearchStrategy[Any]:
        return values if name in present else optional(space, values, nullable=nullable)

    fields: dict[str, st.SearchStrategy[Any]] = {
        "assistant_id": st.sampled_from(space.assistant_ids),
        "thread": field("thread", threads(space), nullable=False),
    }
    for name, (feature, values, nullable) in _run_options(space).items():
        if not feature or space.has(feature):
            fields[name] = field(name, values, nullable=nullable)
    if space.stream is None:
        fields["stream"] = field("stream", st.booleans(), nullable=True)
    else:
        fields["stream"] = st.just(space.stream)
    tool_values = field("tools", tools(space), nullable=True)

    @st.composite
    def bodies(draw: st.DrawFn) -> dict[str, Any]:
        body = draw(objects(fields))
        drawn_tools = draw(tool_values)
        if drawn_tools is not OMITTED:
            body["tools"] = drawn_tools
        if space.has("tool_choice"):
            choice = draw(field("tool_choice", tool_choices(space, drawn_tools), nullable=True))
            if choice is not OMITTED:
                body["tool_choice"] = choice
        return body

    return bodies()


def create_thread_and_run_requests(
    *,
    assistant_ids: Sequence[str] = DEFAULT_ASSISTANT_IDS,
    models: Sequence[str] | None = None,
    file_ids: Sequence[str] = DEFAULT_FILE_IDS,
    vector_store_ids: Sequence[str] = DEFAULT_VECTOR_STORE_IDS,
    stream: bool | None = None,
    exclude: Collection[str] = frozenset(),
    profile: str | SpecProfile = DEFAULT_PROFILE,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``CreateThreadAndRunRequest`` bodies (``POST /v1/threads/runs``), as JSON-ready dicts.

    Every property, every ``oneOf``/``anyOf`` branch and every enum value of the profile's request
    schema is generated (and nothing the profile lacks); optional properties are omitted,
    ``null`` (where nullable) or present.
    Boundaries are drawn often: temperature 0 and 2, top_p 0 and 1, max_*_tokens 256,
    max_num_results 1 and 50, score_threshold 0 and 1, chunk sizes 100 and 4096 with overlaps
    0 and half the size, last_messages 1, 20 tools, 20 code_interpreter files, 16 metadata
    pairs, 64-character metadata keys and names, 512-character metadata values, empty strings
    where allowed, and astral-plane characters in most strings. Examples shrink towards
    ``{"assistant_id": assistant_ids[0]}``.

    Where the spec leaves a combination open, it is not generated (see this module's
    docstring): a named ``tool_choice`` always names a tool of the request's ``tools``.

    Parameters describe the target (the server under test), so that every body is one it must accept:

    - ``assistant_ids``: assistants that exist; ``assistant_id`` is one of them.
    - ``models``: models the target serves, for ``model``; None: ``gpt-4o`` or ``gpt-4o-mini``.
      ``model`` is also omitted or ``null`` (the assistant's model).
    - ``file_ids``: files that exist (code_interpreter files, image_file parts, attachments,
      vector store helpers, v1 message file_ids). Give 20 or more to avoid repeated ids in 20-file lists; with none,
      no body refers to a file.
    - ``vector_store_ids``: vector stores that exist, for ``file_search.vector_store_ids``.
    - ``stream``: None draws ``stream`` omitted, false, null or true; True or False fixes it.
    - ``exclude``: features the target lacks (names from ``strategies.FEATURES``, e.g.
      ``{"code_interpreter", "json_schema", "image_url"}``); their branches are never drawn.
    - ``profile``: the spec version, a name from ``strategies.SPEC_PROFILES`` (``v1``,
      ``v2-2024Q2``, ``v2-current``, the default) or a ``SpecProfile``: bodies use exactly its
      surface (under v1: retrieval tools, message file_ids, no tool_resources, no top_p...).

    Raises ``ValueError`` for an unknown feature or profile, or no assistant id.
    """
    space = make_request_space(assistant_ids=assistant_ids, models=models, file_ids=file_ids,
                         vector_store_ids=vector_store_ids, stream=stream, exclude=exclude, profile=profile)
    return request_bodies(space)
