"""The raw evidence of one HTTP exchange, kept for reports and reproductions.

Secrets never enter an ``Exchange``: header values named in ``SECRET_HEADERS`` (and any
the user marks secret) are replaced before the object is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-organization", "openai-project"})
BODY_LIMIT = 64 * 1024  # bytes of a response body kept as evidence


def redact_headers(headers: dict[str, str], extra_secret: frozenset[str] = frozenset()) -> dict[str, str]:
    secret = SECRET_HEADERS | {name.lower() for name in extra_secret}
    return {name: (REDACTED if name.lower() in secret else value) for name, value in headers.items()}


@dataclass
class StreamEvent:
    """One dispatched server-sent event as evidence: name, raw data, seconds since the request."""

    event: str
    data: str
    at: float


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any = None  # JSON value, or str for a raw (non-JSON) body
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""  # truncated to BODY_LIMIT; empty for streams (see events)
    events: list[StreamEvent] | None = None
    elapsed: float = 0.0
    transport_error: str | None = None  # the target did not answer (timeout, reset, refused)

    @property
    def is_stream(self) -> bool:
        return self.events is not None
