"""Request rules the spec states only in prose, not in the schema.

The schema of CreateThreadAndRunRequest cannot express these; the descriptions do:
- Metadata: "up to 16 key-value pairs", keys "a maximum length of 64 characters", values
  "a maximum length of 512 characters";
- function names and json_schema names: "a-z, A-Z, 0-9, or contain underscores and dashes,
  with a maximum length of 64";
- static chunking: "chunk_overlap_tokens must not exceed half of max_chunk_size_tokens".

``description_rule_violations(body)`` returns every such violation, named by rule (the
requirement each rule belongs to is in the invalid-request rules of ``strategies.invalid``); it
assumes nothing about the body's shape beyond what it inspects, so it can run before or after
schema validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

METADATA_MAX_PAIRS = 16
METADATA_MAX_KEY_LENGTH = 64
METADATA_MAX_VALUE_LENGTH = 512
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass(frozen=True)
class DescriptionRuleViolation:
    path: str  # JSONPath-like, e.g. "$.thread.messages[0].metadata"
    rule: str  # stable rule name, e.g. "metadata-max-pairs"
    message: str


def description_rule_violations(body: Any) -> list[DescriptionRuleViolation]:
    if not isinstance(body, dict):
        return []
    return list(_violations(body))


def _violations(body: dict[str, Any]) -> Iterator[DescriptionRuleViolation]:
    yield from _metadata(body.get("metadata"), "$.metadata")
    thread = body.get("thread")
    if isinstance(thread, dict):
        yield from _metadata(thread.get("metadata"), "$.thread.metadata")
        for i, message in _items(thread.get("messages")):
            if isinstance(message, dict):
                yield from _metadata(message.get("metadata"), f"$.thread.messages[{i}].metadata")
        resources = thread.get("tool_resources")
        file_search = resources.get("file_search") if isinstance(resources, dict) else None
        stores = file_search.get("vector_stores") if isinstance(file_search, dict) else None
        for i, store in _items(stores):
            if isinstance(store, dict):
                base = f"$.thread.tool_resources.file_search.vector_stores[{i}]"
                yield from _metadata(store.get("metadata"), f"{base}.metadata")
                yield from _chunking(store.get("chunking_strategy"), f"{base}.chunking_strategy")
    for i, tool in _items(body.get("tools")):
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict):
            yield from _name(function.get("name"), f"$.tools[{i}].function.name", "function-name")
    response_format = body.get("response_format")
    json_schema = response_format.get("json_schema") if isinstance(response_format, dict) else None
    if isinstance(json_schema, dict):
        yield from _name(json_schema.get("name"), "$.response_format.json_schema.name", "json-schema-name")


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def _metadata(metadata: Any, path: str) -> Iterator[DescriptionRuleViolation]:
    if not isinstance(metadata, dict):
        return
    if len(metadata) > METADATA_MAX_PAIRS:
        yield DescriptionRuleViolation(
            path, "metadata-max-pairs",
            f"metadata has {len(metadata)} pairs; at most {METADATA_MAX_PAIRS} are allowed",
        )
    for key, value in metadata.items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            yield DescriptionRuleViolation(
                path, "metadata-key-length",
                f"metadata key of {len(key)} characters; at most {METADATA_MAX_KEY_LENGTH} are allowed",
            )
        if isinstance(value, str) and len(value) > METADATA_MAX_VALUE_LENGTH:
            yield DescriptionRuleViolation(
                f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]",
                "metadata-value-length",
                f"metadata value of {len(value)} characters; at most {METADATA_MAX_VALUE_LENGTH} are allowed",
            )


def _name(name: Any, path: str, rule: str) -> Iterator[DescriptionRuleViolation]:
    if isinstance(name, str) and not NAME_PATTERN.fullmatch(name):
        yield DescriptionRuleViolation(
            path, rule,
            f"name {name[:80]!r} must match ^[a-zA-Z0-9_-]{{1,64}}$",
        )


def _chunking(strategy: Any, path: str) -> Iterator[DescriptionRuleViolation]:
    static = strategy.get("static") if isinstance(strategy, dict) and strategy.get("type") == "static" else None
    if not isinstance(static, dict):
        return
    size, overlap = static.get("max_chunk_size_tokens"), static.get("chunk_overlap_tokens")
    if _is_integer(size) and _is_integer(overlap) and overlap * 2 > size:
        yield DescriptionRuleViolation(
            f"{path}.static.chunk_overlap_tokens", "chunk-overlap-max-half",
            f"chunk_overlap_tokens {overlap} exceeds half of max_chunk_size_tokens {size}",
        )


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a count
