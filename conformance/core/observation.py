"""What the suite observed of one HTTP exchange: the one type every check, recorder and report reads.

An ``Exchange`` is built once per request by the client (or a stream capture) with its secrets
already redacted (``redaction.Redactor``); ``content`` alone keeps the body as received, for the
checks, and is never written to a report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

JSON_MEDIA_TYPE = "application/json"
EVENT_STREAM = "text/event-stream"
BODY_LIMIT = 64 * 1024  # bytes of a response body kept as evidence


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(text: str | bytes, *, constants: bool = True) -> Any:
    """``text`` parsed as JSON; ``ValueError`` for what is no JSON a client can use: bad syntax, bad
    UTF-8, nesting deeper than the parser goes, a lone surrogate escape (no Unicode character),
    and with ``constants`` False, NaN and Infinity (Python's json accepts them; JSON does not)."""
    try:
        value = json.loads(text) if constants else json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    raw = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    if _SURROGATE_ESCAPE.search(raw):  # paired escapes make one character: only a lone one fails here
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds a lone surrogate escape, which is no Unicode character") from None
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value, lower case, without parameters ("" if none)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class Headers(Mapping[str, str]):
    """HTTP headers: names keep the spelling they came with (evidence shows them as sent), lookups
    ignore case."""

    __slots__ = ("_index", "_values")

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._values: dict[str, str] = {}
        self._index: dict[str, str] = {}  # lower-case name -> name as spelled
        for name, value in pairs:
            spelled = self._index.setdefault(name.lower(), name)
            self._values[spelled] = value

    def __getitem__(self, name: str) -> str:
        return self._values[self._index[name.lower()]]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({self._values!r})"


@dataclass
class StreamEvent:
    """One dispatched server-sent event as evidence: name, raw data, seconds since the request,
    and its number in the stream (evidence may keep only some events: see ``evidence``)."""

    event: str
    data: str
    at: float
    index: int | None = None  # None: its position among the exchange's events


@dataclass
class Exchange:
    """One request and what came back, or did not (``transport_error``: refused, reset, timed out)."""

    method: str
    url: str
    request_headers: Headers
    request_body: Any = None  # JSON value, or str for a raw (non-JSON) body
    status: int | None = None
    response_headers: Headers = field(default_factory=Headers)
    response_body: str = ""  # evidence: the first BODY_LIMIT bytes as text; empty for streams (see events)
    events: list[StreamEvent] | None = None  # the events of an event stream, as evidence
    events_omitted: int = 0  # events of the stream the evidence does not keep
    elapsed: float = 0.0
    transport_error: str | None = None
    content: bytes = field(default=b"", repr=False, compare=False)  # the body as received, for checks only

    def __post_init__(self) -> None:
        self.request_headers = Headers(self.request_headers)
        self.response_headers = Headers(self.response_headers)
        for position, event in enumerate(self.events or ()):
            if event.index is None:
                event.index = position

    @property
    def is_stream(self) -> bool:
        return self.events is not None

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type") or ""

    @cached_property
    def media_type(self) -> str:
        return media_type(self.content_type)

    @cached_property
    def _parsed(self) -> Any:
        try:
            return parse_json(self.content)  # bytes: UTF-8/16/32 detected per RFC 8259
        except ValueError as error:
            return error

    def json(self) -> Any:
        """The body as JSON; raises ValueError if it is not JSON."""
        if isinstance(self._parsed, ValueError):
            raise self._parsed
        return self._parsed

    def json_or_none(self) -> Any:
        return None if isinstance(self._parsed, ValueError) else self._parsed

    def describe(self) -> str:
        """How the target answered, for a finding's message: "status 500", "no response: ..."."""
        if self.transport_error:
            return f"no response ({self.transport_error})"
        return f"status {self.status}"
