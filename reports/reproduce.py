"""Reproducers: a ``curl`` command and an httpx snippet that send a failure's request again.

The key is never written out: a header the evidence holds as ``<redacted>`` is read from the
environment when the command runs (``Authorization: Bearer $OPENAI_API_KEY``; any other
secret header from ``$NAME_IN_CAPITALS``, e.g. ``$OPENAI_ORGANIZATION``).
"""

from __future__ import annotations

import json
import pprint
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.core.redaction import REDACTED
from conformance.core.results import FailureRecord

KEY_VARIABLE = "OPENAI_API_KEY"
CREATE_PATH = "/threads/runs"
# Used when the failure carries a request body but no evidence of the headers it was sent with.
DEFAULT_HEADERS: dict[str, str] = {
    "Authorization": REDACTED,
    "Content-Type": "application/json",
    "OpenAI-Beta": "assistants=v2",
}
# Headers the client computes itself; Accept-Encoding is left out so output is never compressed bytes.
CLIENT_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "accept-encoding"})
KEY_HEADERS = frozenset({"api-key", "x-api-key"})  # headers that carry the key itself
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # safe as-is inside double quotes


@dataclass(frozen=True)
class ReproRequest:
    method: str
    url: str
    headers: dict[str, str]  # secret values still REDACTED
    body: Any  # a JSON value; str or bytes is a raw body, sent byte for byte; None: no body
    stream: bool
    note: str | None = None  # why the evidence shows a different request


@dataclass(frozen=True)
class Reproducer:
    curl: str
    python: str


def _asks_stream(body: Any) -> bool:
    return isinstance(body, dict) and body.get("stream") is True


def _is_create(method: str, url: str) -> bool:
    return method.upper() == "POST" and urlsplit(url).path.rstrip("/").endswith(CREATE_PATH)


def repro_request(failure: FailureRecord, base_url: str) -> ReproRequest | None:
    """The request that reproduces ``failure``: its evidence as sent, else its minimal example.

    The minimal example is a createThreadAndRun body; when the evidence is a follow-up call
    (e.g. GET of the run) the example is what reproduces it, the evidence is named in a note.
    """
    exchange = failure.exchange
    if exchange is not None and (failure.request is None or exchange.request_body == failure.request):
        stream = exchange.is_stream or _asks_stream(exchange.request_body)
        return ReproRequest(
            exchange.method, exchange.url, exchange.request_headers, exchange.request_body, stream
        )
    if failure.request is None:
        return None
    headers, note = DEFAULT_HEADERS, None
    if exchange is not None:
        if _is_create(exchange.method, exchange.url):
            headers = exchange.request_headers
        else:
            note = f"The evidence is from a follow-up request made after this one: {exchange.method} {exchange.url}"
    url = base_url.rstrip("/") + CREATE_PATH
    return ReproRequest("POST", url, headers, failure.request, _asks_stream(failure.request), note)


def reproducer(failure: FailureRecord, base_url: str) -> Reproducer | None:
    request = repro_request(failure, base_url)
    if request is None:
        return None
    return Reproducer(curl_command(request), python_snippet(request))


def raw_bytes(body: str | bytes) -> bytes:
    """A raw body's bytes (undecodable bytes survive as surrogate escapes)."""
    if isinstance(body, bytes):
        return body
    try:
        return body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return body.encode("utf-8", "surrogatepass")


def _env_variable(header: str) -> str:
    if header.lower() == "authorization" or header.lower() in KEY_HEADERS:
        return KEY_VARIABLE
    return re.sub(r"[^A-Z0-9]", "_", header.upper())


def _secret_value(header: str) -> str:
    """The header's value as the shell should expand it (inside double quotes)."""
    variable = "$" + _env_variable(header)
    return f"Bearer {variable}" if header.lower() == "authorization" else variable


def _sent_headers(request: ReproRequest) -> list[tuple[str, str]]:
    return [(name, value) for name, value in request.headers.items() if name.lower() not in CLIENT_HEADERS]


# --- curl -----------------------------------------------------------------------------------


def _curl_header(name: str, value: str) -> str:
    if value == REDACTED:
        expanded = _secret_value(name)
        if _PLAIN_NAME.match(name):
            return f'-H "{name}: {expanded}"'
        return f'-H {shlex.quote(name + ": ")}"{expanded}"'
    # curl drops a header given as "Name:"; "Name;" is its spelling of an empty value.
    return "-H " + shlex.quote(f"{name}: {value}" if value else f"{name};")


def printf_format(data: bytes) -> str:
    """``data`` as a quoted printf format that writes exactly those bytes (NUL included)."""
    escaped = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and chr(byte) not in "\\%'" else f"\\{byte:03o}" for byte in data
    )
    return f"'{escaped}'"


def curl_command(request: ReproRequest) -> str:
    options = ["curl -sS -i" + (" -N" if request.stream else "")]
    has_body = request.body is not None
    if request.method.upper() != ("POST" if has_body else "GET"):
        options.append("-X " + shlex.quote(request.method))
    headers = _sent_headers(request)
    options += [_curl_header(name, value) for name, value in headers]
    if has_body and not any(name.lower() == "content-type" for name, _ in headers):
        options.append("-H 'Content-Type:'")  # as sent: without it curl would add a form content type
    pipe = ""
    if isinstance(request.body, (str, bytes)):
        pipe = f"printf {printf_format(raw_bytes(request.body))} | "
        options.append("--data-binary @-")
    elif has_body:
        options.append("--data-raw " + shlex.quote(json.dumps(request.body)))
    options.append(shlex.quote(request.url))
    comment = f"# {request.note}\n" if request.note else ""
    return comment + pipe + " \\\n  ".join(options)


# --- Python ---------------------------------------------------------------------------------


def _python_header(name: str, value: str) -> str:
    if value != REDACTED:
        return f"    {name!r}: {value!r},"
    variable = f"os.environ[{_env_variable(name)!r}]"
    return f"    {name!r}: " + (
        f'"Bearer " + {variable},' if name.lower() == "authorization" else f"{variable},"
    )


def python_snippet(request: ReproRequest) -> str:
    headers = _sent_headers(request)
    lines = [f"# {request.note}"] if request.note else []
    lines += ["import os", ""] if any(value == REDACTED for _, value in headers) else []
    lines += ["import httpx", "", "headers = {"]
    lines += [_python_header(name, value) for name, value in headers]
    lines.append("}")
    arguments = "headers=headers"
    if isinstance(request.body, (str, bytes)):
        lines.append(f"content = {raw_bytes(request.body)!r}")
        arguments += ", content=content"
    elif request.body is not None:
        lines.append("body = " + pprint.pformat(request.body, width=88, sort_dicts=False))
        arguments += ", json=body"
    call = f"{request.method.upper()!r}, {request.url!r}, {arguments}, timeout=60"
    if request.stream:
        lines += [
            f"with httpx.stream({call}) as response:",
            "    print(response.status_code, response.headers.get('content-type'))",
            "    for line in response.iter_lines():",
            "        print(line)",
        ]
    else:
        lines += [
            f"response = httpx.request({call})",
            "print(response.status_code, response.headers.get('content-type'))",
            "print(response.text)",
        ]
    return "\n".join(lines) + "\n"
