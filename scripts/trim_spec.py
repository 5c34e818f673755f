"""Extract the Assistants v2 subset the suite needs from the official OpenAPI document.

Usage: python scripts/trim_spec.py [SOURCE_YAML] [OUTPUT_JSON]

The output keeps structure only (no descriptions, examples or vendor extensions) and
rewrites OpenAPI 3.0-style ``nullable: true`` into OpenAPI 3.1 / JSON Schema form, so
that a plain JSON Schema validator reads the spec as its authors meant it: in OpenAPI 3.1
``nullable`` means nothing, yet the document uses it over a hundred times, also on ``allOf``
and ``$ref`` nodes, where even OpenAPI 3.0 could not admit null; the intent is "or null".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "spec" / "openai-openapi.yaml"
DEFAULT_OUTPUT = ROOT / "conformance" / "core" / "spec" / "assistants-v2.json"
SPEC_COMMIT = "f85dbe2"

OPERATIONS = (
    "createThreadAndRun",
    "createAssistant",
    "getAssistant",
    "deleteAssistant",
    "getThread",
    "getRun",
    "listRuns",
    "cancelRun",
    "submitToolOuputsToRun",
    "listRunSteps",
    "getRunStep",
    "listMessages",
    "getMessage",
)
# The stream's event schemas are not referenced by any operation (the spec declares only
# application/json for createThreadAndRun, although stream: true answers text/event-stream), yet
# the stream oracle validates against them.
EXTRA_SCHEMAS = ("AssistantStreamEvent",)

DROPPED_KEYS = {"description", "example", "examples", "summary", "title", "externalDocs"}
ANNOTATION_KEYS = {"default", "deprecated", "readOnly", "writeOnly"}
SCHEMA_PREFIX = "#/components/schemas/"
RESPONSE_PREFIX = "#/components/responses/"


def strip_schema(node: Any) -> Any:
    """Like :func:`strip`, but aware that ``properties`` maps names (not keywords) to schemas."""
    if isinstance(node, list):
        return [strip_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED_KEYS or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            out[key] = {name: strip_schema(sub) for name, sub in value.items()}
        else:
            out[key] = strip_schema(value)
    return out


def convert_nullable(node: Any) -> Any:
    """Rewrite ``nullable: true`` as ``anyOf: [<node>, {"type": "null"}]`` (recursively)."""
    if isinstance(node, list):
        return [convert_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = _hoist_nullable_from_all_of(node)
    converted = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            converted[key] = {name: convert_nullable(sub) for name, sub in value.items()}
        else:
            converted[key] = convert_nullable(value)
    nullable = converted.pop("nullable", False)
    if not nullable:
        return converted
    annotations = {k: converted.pop(k) for k in list(converted) if k in ANNOTATION_KEYS}
    if set(converted) == {"type"} and isinstance(converted["type"], str):
        return {"type": [converted["type"], "null"], **annotations}
    return {"anyOf": [converted, {"type": "null"}], **annotations}


def _with_response_descriptions(stripped: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    # OpenAPI requires `description` on a response object; keep that one-line prose so the
    # shipped document stays a valid OpenAPI document for peer tools (schemathesis).
    for status, response in stripped.get("responses", {}).items():
        if "$ref" not in response:
            response["description"] = source["responses"][status].get("description", "")
    return stripped


def _hoist_nullable_from_all_of(node: dict[str, Any]) -> dict[str, Any]:
    """``allOf: [$ref, {nullable: true}]`` means "the referenced schema, or null".

    Read literally, an ``allOf`` can never admit null; the member that only says
    ``nullable: true`` is a 3.0-era way of marking the whole node nullable.
    """
    members = node.get("allOf")
    if not isinstance(members, list):
        return node
    markers = [m for m in members if isinstance(m, dict) and set(m) == {"nullable"}]
    if not markers:
        return node
    rest = [m for m in members if m not in markers]
    hoisted = {k: v for k, v in node.items() if k != "allOf"}
    if len(rest) == 1 and not any(k in hoisted for k in rest[0]):
        hoisted.update(rest[0])
    else:
        hoisted["allOf"] = rest
    hoisted["nullable"] = any(m["nullable"] for m in markers)
    return hoisted


def collect_refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            collect_refs(value, found)
    elif isinstance(node, list):
        for item in node:
            collect_refs(item, found)


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    components = spec["components"]
    paths: dict[str, dict[str, Any]] = {}
    wanted = set(OPERATIONS)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") in wanted:
                wanted.discard(operation["operationId"])
                paths.setdefault(path, {})[method] = _with_response_descriptions(
                    strip_schema(operation), operation
                )
    if wanted:
        raise SystemExit(f"operations missing from the source spec: {sorted(wanted)}")

    schemas: dict[str, Any] = {}
    responses: dict[str, Any] = {}
    pending: set[str] = set()
    collect_refs(paths, pending)
    pending |= {SCHEMA_PREFIX + name for name in EXTRA_SCHEMAS}
    while pending:
        ref = pending.pop()
        if ref.startswith(SCHEMA_PREFIX):
            name, table, store = ref[len(SCHEMA_PREFIX):], components["schemas"], schemas
        elif ref.startswith(RESPONSE_PREFIX):
            name, table, store = ref[len(RESPONSE_PREFIX):], components["responses"], responses
        else:
            raise SystemExit(f"unsupported $ref {ref!r}")
        if name in store:
            continue
        store[name] = strip_schema(table[name])
        if store is responses:
            store[name]["description"] = table[name].get("description", "")
        collect_refs(store[name], pending)

    return {
        "openapi": spec["openapi"],
        "info": {
            "title": "OpenAI API: Assistants v2 subset used by assistants-conformance",
            "version": spec["info"]["version"],
            "license": spec["info"]["license"],
            "x-source": {
                "repository": "openai/openai-openapi",
                "commit": SPEC_COMMIT,
                "operations": list(OPERATIONS),
            },
        },
        "servers": [{"url": "https://api.openai.com/v1"}],
        "security": spec["security"],
        "paths": convert_nullable(paths),
        "components": {
            "schemas": {name: convert_nullable(schemas[name]) for name in sorted(schemas)},
            "responses": {name: convert_nullable(responses[name]) for name in sorted(responses)},
            "securitySchemes": {"ApiKeyAuth": spec["components"]["securitySchemes"]["ApiKeyAuth"]},
        },
    }


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    spec = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    trimmed = trim(spec)
    output.write_text(json.dumps(trimmed, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {output} ({len(trimmed['components']['schemas'])} schemas, {len(trimmed['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
