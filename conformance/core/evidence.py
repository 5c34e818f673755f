"""What a report keeps of an exchange and of a finding: enough to see the fault, bounded whatever
the target sent, redacted before it is cut.

A target can answer with megabytes of body, millions of events, thousands of headers, ids of any
length; the oracle judges all of it, but a failure keeps only ``kept_exchange`` of the exchange
that shows it (the events around the fault, the start of the body, the first headers) and
``kept_finding`` of what its check said, each cut with a marker saying how much was dropped.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from conformance.core.findings import Finding
from conformance.core.observation import Exchange, Headers
from conformance.core.redaction import Redactor

BODY = 16 * 1024  # characters of a body kept
EVENTS_FIRST = 5  # the stream's first events are always kept
EVENTS_AROUND = 20  # and this many on each side of the fault (the last ones when the fault is the end)
EVENT_DATA = 2048  # characters of one event's data
HEADERS = 40  # headers kept per message
HEADER_VALUE = 512  # characters of one header value
MESSAGE = 1000  # characters of a finding's message
VALUE = 4000  # characters of an expected or observed value, written as JSON


def kept_exchange(exchange: Exchange, redactor: Redactor, fault: int | None) -> Exchange:
    """The evidence a report keeps of ``exchange`` for a fault at event ``fault`` (None: the end)."""
    events, omitted = exchange.events, exchange.events_omitted
    if events is not None:
        indexes = [event.index for event in events]
        centre = indexes.index(fault) if fault in indexes else len(events) - 1
        chosen = sorted(set(range(min(EVENTS_FIRST, len(events))))
                        | set(range(max(0, centre - EVENTS_AROUND), min(len(events), centre + EVENTS_AROUND + 1))))
        omitted += len(events) - len(chosen)
        events = [replace(events[position], event=redactor.shown(events[position].event, HEADER_VALUE),
                          data=redactor.shown(events[position].data, EVENT_DATA)) for position in chosen]
    return replace(
        exchange,
        url=redactor.text(exchange.url),
        request_headers=_headers(exchange.request_headers, redactor),
        response_headers=_headers(exchange.response_headers, redactor),
        response_body=redactor.shown(exchange.response_body, BODY),
        events=events,
        events_omitted=omitted,
        transport_error=None if exchange.transport_error is None else redactor.shown(exchange.transport_error, MESSAGE),
        content=b"",  # the checks are done: the body as received is not evidence
    )


def kept_finding(finding: Finding, redactor: Redactor) -> Finding:
    return replace(finding, message=redactor.shown(finding.message, MESSAGE),
                   expected=_value(finding.expected, redactor), observed=_value(finding.observed, redactor))


def _headers(headers: Headers, redactor: Redactor) -> Headers:
    kept = list(headers.items())
    pairs = [(redactor.shown(name, HEADER_VALUE), redactor.shown(value, HEADER_VALUE))
             for name, value in kept[:HEADERS]]
    if len(kept) > HEADERS:
        pairs.append(("…", f"[{len(kept) - HEADERS} more headers]"))
    return Headers(pairs)


def _value(value: Any, redactor: Redactor) -> Any:
    """``value`` redacted; as cut JSON text when it would take more than ``VALUE`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return redactor.value(value) if len(text) <= VALUE else redactor.shown(text, VALUE)
