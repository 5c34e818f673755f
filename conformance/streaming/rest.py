"""The stream against the REST view: what the stream showed last agrees with what the API lists.

These checks compare; the engine fetches what they compare with, right after the stream's
``done``, and only for a stream that ended properly. Their findings go with the REST answer as
evidence (an exchange without events), so they carry no event index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.core.catalogue import SSE_011
from conformance.core.checks import check
from conformance.core.findings import Finding, FindingMaker
from conformance.core.reading import Lenient, as_sent
from conformance.core.spec.events import DONE
from conformance.streaming.event_model import Event, Kind
from conformance.streaming.rules import MAX_FINDINGS_PER_RULE
from conformance.streaming.view import StreamView

# What must agree between an object's final streamed document and its listed one.
COMPARED_FIELDS: dict[Kind, tuple[str, ...]] = {"message": ("status", "content"), "step": ("status", "step_details")}


@check(SSE_011)
def rest_run(finding: FindingMaker, view: StreamView, run: Mapping[str, Any]) -> list[Finding]:
    """GET of the run, right after done, shows the last streamed status."""
    streamed = view.last_run
    if streamed is None or run["status"] == streamed["status"]:
        return []
    return [finding(f"after {DONE}, GET of the run shows status {run['status']!r}, the stream "
                    f"last showed {streamed['status']!r}", expected=streamed["status"], observed=run["status"])]


@check(SSE_011)
def rest_objects(finding: FindingMaker, view: StreamView, kind: Kind, listed: list[Lenient]) -> list[Finding]:
    """Every step (or message) the stream showed is listed; one whose final event was
    streamed is listed with the same final content (where the listed item's field can be read)."""
    by_id = {as_sent(item).get("id"): item for item in listed}
    findings = []
    for object_id, event in streamed_objects(view, kind).items():
        item = by_id.get(object_id)
        if item is None:
            findings.append(finding(f"the streamed {kind} {object_id!r} is not listed",
                                    expected=object_id, observed=sorted(map(str, by_id))))
            continue
        if event.phase != "final":
            continue
        for name in COMPARED_FIELDS[kind]:
            if item.readable(name) and item.get(name) != event.data.get(name):
                findings.append(finding(f"the {kind} {object_id!r} is listed with another {name} than "
                                        f"its {event.name} event", expected=event.data.get(name),
                                        observed=item.get(name)))
                break
    return findings[:MAX_FINDINGS_PER_RULE]


def streamed_objects(view: StreamView, kind: Kind) -> dict[str, Event]:
    """Each step (or message) id of the stream -> its last event that carries the whole object (its
    compared fields readable)."""
    objects: dict[str, Event] = {}
    for event in view.judged:
        if (event.kind == kind and event.readable("id", *COMPARED_FIELDS[kind])
                and not event.name.endswith(".delta")):
            objects[event.data["id"]] = event
    return objects
