"""What the suite observed of one HTTP exchange: the one type every check, recorder and report reads.

An ``Exchange`` is built once per request by the client (or a stream capture) with its secrets
already redacted (``redaction.Redactor``); ``content`` alone keeps the body as received, for the
checks, and is never written to a report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

JSON_MEDIA_TYPE = "application/json"
EVENT_STREAM = "text/event-stream"
BODY_LIMIT = 64 * 1024  # bytes of a response body kept as evidence


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
    """One dispatched server-sent event as evidence: name, raw data, seconds since the request."""

    event: str
    data: str
    at: float


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
    elapsed: float = 0.0
    transport_error: str | None = None
    content: bytes = field(default=b"", repr=False, compare=False)  # the body as received, for checks only

    def __post_init__(self) -> None:
        self.request_headers = Headers(self.request_headers)
        self.response_headers = Headers(self.response_headers)

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
            return json.loads(self.content)  # bytes: UTF-8/16/32 detected per RFC 8259
        except ValueError as error:
            return error
        except RecursionError:  # a hostile body nested deeper than the parser goes
            return ValueError("JSON nested too deeply to read")

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
