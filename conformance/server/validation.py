"""Request bodies: parsed strictly, then checked against the served spec profile and its prose rules.

A failure becomes a 400 whose ``param`` names the offending field (``temperature``,
``thread.messages[0].role``) and whose ``code`` says what is wrong, in the API's own words
where they are known (``unknown_parameter``, ``missing_required_parameter``, ``invalid_type``,
``decimal_above_max_value``, ...).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import jsonschema_rs
from starlette.requests import Request

from conformance.core.spec import Spec
from conformance.core.spec.description_rules import description_rule_violations
from conformance.core.spec.validators import most_specific
from conformance.server.errors import ApiError, bad_request
from conformance.server.objects import JSON

MAX_MESSAGE_DETAIL = 200
_Kind = jsonschema_rs.ValidationErrorKind


async def json_object(request: Request) -> JSON:
    """The body as a JSON object, or a 400 (not JSON, not UTF-8, NaN/Infinity, not an object)."""
    raw = await request.body()
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise bad_request(
            "We could not parse the JSON body of your request. The body must be a JSON object.",
            code="invalid_json",
        ) from None
    if not isinstance(body, dict):
        raise bad_request(
            f"The request body must be a JSON object, not {_json_type(body)}.", code="invalid_type"
        )
    return body


def check_body(schema_name: str, body: JSON, spec: Spec) -> None:
    """Raise a 400 for the first way ``body`` breaks ``schema_name`` of ``spec`` or a description
    rule (under v2-2024Q2, ``parallel_tool_calls`` is an unknown parameter)."""
    validator = _validator(schema_name, spec)
    error = next(validator.iter_errors(body), None)
    if error is not None:
        raise _explain(most_specific(error))
    violations = description_rule_violations(body)
    if violations:
        first = violations[0]
        raise bad_request(first.message, param=first.path.removeprefix("$."), code="invalid_value")


@cache
def _validator(schema_name: str, spec: Spec) -> jsonschema_rs.Validator:
    # The same schema as spec.validator(name); compiled here too because choosing `param` and
    # `code` needs the raw error kinds, which SchemaError does not carry.
    return jsonschema_rs.validator_for(spec.schema(schema_name))


def _explain(error: jsonschema_rs.ValidationError) -> ApiError:
    path = list(error.instance_path)
    kind = error.kind
    if isinstance(kind, _Kind.AdditionalProperties):
        param = _param([*path, kind.unexpected[0]])
        return bad_request(f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")
    if isinstance(kind, _Kind.Required):
        param = _param([*path, kind.property])
        return bad_request(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")
    param = _param(path)
    detail = error.message if len(error.message) <= MAX_MESSAGE_DETAIL else error.message[:MAX_MESSAGE_DETAIL] + "..."
    where = f"'{param}'" if param else "the request body"
    return bad_request(f"Invalid value for {where}: {detail}", param=param or None, code=_code(kind, error.instance))


def _code(kind: Any, instance: Any) -> str:
    number = "integer" if isinstance(instance, int) else "decimal"
    if isinstance(kind, _Kind.Type | _Kind.AnyOf | _Kind.OneOfNotValid):
        return "invalid_type"
    if isinstance(kind, _Kind.Maximum | _Kind.ExclusiveMaximum):
        return f"{number}_above_max_value"
    if isinstance(kind, _Kind.Minimum | _Kind.ExclusiveMinimum):
        return f"{number}_below_min_value"
    if isinstance(kind, _Kind.MaxItems):
        return "array_above_max_length"
    if isinstance(kind, _Kind.MinItems):
        return "array_below_min_length"
    if isinstance(kind, _Kind.MaxLength):
        return "string_above_max_length"
    if isinstance(kind, _Kind.MinLength):
        return "string_below_min_length"
    return "invalid_value"


def _param(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}[type(value)]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf, which no JSON response could carry
        raise ValueError(f"{text} is out of range")
    return value
