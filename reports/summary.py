"""Facts every renderer shows the same way: the outcome, counts, area scores, short texts.

Renderers differ in markup only; what a report *says* (which outcome, which score, where a
stream's fault is) is decided here once.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from conformance.core.catalogue import Area
from conformance.core.observation import StreamEvent, parse_json
from conformance.core.results import FailureRecord, RequirementResult, SuiteResult, Verdict

# SuiteResult.exit_code -> the outcome word reports show (and report.json stores); a conformant
# target that does not claim every optional feature is conformant for the features it claims.
OUTCOMES: dict[int, str] = {0: "conformant", 1: "not-conformant", 3: "error"}
CLAIMED_ONLY = "conformant-for-claimed-features"
OUTCOME_TITLES: dict[str, str] = {
    "conformant": "CONFORMANT",
    CLAIMED_ONLY: "CONFORMANT FOR THE CLAIMED FEATURES",
    "not-conformant": "NOT CONFORMANT",
    "error": "RUN ERROR",
}
NOT_JUDGED_TITLE = "NOT JUDGED"
PARTIAL_NOTE = (
    "Partial report: the run stopped (interrupted or budget exhausted) before every property ran; "
    "verdicts cover only what ran."
)
VERDICT_ORDER: tuple[Verdict, ...] = (
    Verdict.PASS,
    Verdict.FAIL,
    Verdict.WARN,
    Verdict.NOT_EXERCISED,
    Verdict.UNSUPPORTED,
    Verdict.ERROR,
)
UNJUDGED = (Verdict.NOT_EXERCISED, Verdict.UNSUPPORTED)  # verdicts that say nothing of the target's behaviour
TRANSCRIPT_RADIUS = 5  # events shown before and after a stream's fault


def outcome(result: SuiteResult) -> str:
    word = OUTCOMES[result.exit_code()]
    return CLAIMED_ONLY if word == "conformant" and result.claims.unclaimed else word


def title(result: SuiteResult) -> str:
    """The outcome in words: a run that reached no verdict says so, never CONFORMANT; one that
    left features out names them."""
    if result.not_judged and not result.internal_errors:
        return NOT_JUDGED_TITLE
    word = outcome(result)
    if word == CLAIMED_ONLY:
        return f"{OUTCOME_TITLES[word]} (not claimed: {', '.join(sorted(result.claims.unclaimed))})"
    return OUTCOME_TITLES[word]


def target_name(result: SuiteResult) -> str:
    """The target as the report names it: the server's own name and version when claimed, and its URL."""
    claims = result.claims
    name = " ".join(part for part in (claims.server_name, claims.server_version) if part)
    return f"{name} at {result.base_url}" if name else result.base_url


def first_finding(item: RequirementResult) -> str:
    """The message of the first failing finding (else the first warning; "" if none)."""
    failing = [record for record in item.failures if record.finding.failed] or item.failures
    return failing[0].finding.message if failing else ""


def reasons_text(item: RequirementResult) -> str:
    """The reasons of a verdict on one line ("" if none)."""
    return "; ".join(item.reasons)


def counts(results: list[RequirementResult]) -> dict[str, int]:
    tally = {verdict.value: 0 for verdict in VERDICT_ORDER}
    for item in results:
        tally[item.verdict.value] += 1
    return tally


@dataclass(frozen=True)
class AreaScore:
    area: Area
    counts: dict[str, int]

    @property
    def judged(self) -> int:
        """Requirements the run reached (everything but not-exercised and unsupported)."""
        return sum(self.counts.values()) - sum(self.counts[verdict.value] for verdict in UNJUDGED)

    @property
    def met(self) -> int:
        return self.counts[Verdict.PASS.value] + self.counts[Verdict.WARN.value]


def area_scores(result: SuiteResult) -> list[AreaScore]:
    """One score per area that has requirements in the result, in catalogue order."""
    return [
        AreaScore(area, counts([item for item in result.results if item.requirement.area is area]))
        for area in Area
        if any(item.requirement.area is area for item in result.results)
    ]


def short_text(text: str, limit: int = 80) -> str:
    """The requirement text cut at a word boundary: a test name, a table cell."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters in report.json]"


def one_line(text: str, limit: int = 200) -> str:
    return clip(" ".join(visible(text).split()), limit)


# What a target must not slip into a terminal or a page: control characters (but tab and
# newlines; ESC starts terminal escape sequences), DEL, C1 controls (\x9b is CSI to some
# terminals), text-direction overrides, lone surrogates. Shown as escapes instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def visible(text: str) -> str:
    """``text`` with invisible, controlling or unencodable characters written as ``\\xNN`` / ``\\uNNNN``."""
    return _INVISIBLE.sub(lambda match: ascii(match.group())[1:-1], text)


def escape_html(text: str) -> str:
    """``text`` as HTML text or an attribute value: markup escaped, controls made visible."""
    return html.escape(visible(text))


def display(value: Any) -> str:
    """A value as people read it: JSON pretty-printed, a raw body as its text."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return visible(value)
    return visible(json.dumps(value, indent=2, ensure_ascii=False, default=repr))


def display_body(body: str) -> str:
    """A response body, pretty-printed when it is JSON."""
    try:
        return visible(json.dumps(parse_json(body), indent=2, ensure_ascii=False))
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to print as such
        return visible(body)


def utc_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def fault_index(failure: FailureRecord) -> int | None:
    """Number of the stream event at fault, if the evidence holds it; None when the fault is the
    stream's end or unknown."""
    events = failure.exchange.events if failure.exchange else None
    index = failure.finding.event_index
    return index if events and any(event.index == index for event in events) else None


def transcript_window(events: list[StreamEvent], fault: int | None) -> list[StreamEvent]:
    """The events around the fault (the stream's tail when the fault is its end)."""
    centre = next((position for position, event in enumerate(events) if event.index == fault), len(events) - 1)
    return events[max(0, centre - TRANSCRIPT_RADIUS) : centre + TRANSCRIPT_RADIUS + 1]
