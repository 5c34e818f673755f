"""The event model of the oracle: each event of a captured stream, its data parsed and validated once.

An event's data is parsed as strict JSON (no NaN) and validated against the schema the spec gives
its event name; the rules read these ``Event``s, never the raw bytes. The data of an event with a
schema is read leniently (``core.reading``): a field that fails its schema is SSE_003's finding,
and blocks only the rules that read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from conformance.core.catalogue import SSE_003
from conformance.core.observation import parse_json
from conformance.core.reading import Lenient, as_sent, read, read_run
from conformance.core.spec import NULL_INSTRUCTIONS, Spec, spec_for
from conformance.core.spec.events import DONE, MESSAGE_FINAL, MESSAGE_PREFIX, RUN_PREFIX, STEP_FINAL, STEP_PREFIX, done_data

PROGRESS = frozenset({"in_progress", "delta"})  # the middle of a step's or message's lifecycle
NOT_JSON: Any = object()
Kind = Literal["step", "message"]
ObjectPhase = Literal["created", "progress", "final"]  # where an event is in its object's lifecycle
ObjectState = Literal["open", "final"]


@dataclass(frozen=True)
class Event:
    """One event of the stream: its name, its data parsed, and what its schema says of it."""

    index: int  # in CapturedStream.events (and in its exchange's events)
    name: str
    raw: str  # the data as sent
    data: Any  # the data parsed as JSON (a ``Lenient`` object where a schema applies); NOT_JSON if it is
    # not JSON (or if it is done's literal)
    schema: str | None  # the schema the data must validate against; None for done and unknown names
    problems: tuple[str, ...] = ()  # why the data does not validate (empty: it does)
    deviations: tuple[str, ...] = ()  # tolerated deviations (warnings), e.g. instructions null

    def readable(self, *keys: str) -> bool:
        """True if the data is an object of a known schema whose ``keys`` can all be read."""
        return isinstance(self.data, Lenient) and self.data.readable(*keys)

    @property
    def known(self) -> bool:
        """A name the spec (profile) defines: done, or one with a schema for its data."""
        return self.name == DONE or self.schema is not None

    @property
    def valid(self) -> bool:
        """Known, JSON, and valid against its schema: its data can be trusted."""
        return self.schema is not None and self.data is not NOT_JSON and not self.problems

    @property
    def is_run(self) -> bool:
        return self.schema is not None and self.name.startswith(RUN_PREFIX) and not self.is_step

    @property
    def is_step(self) -> bool:
        return self.schema is not None and self.name.startswith(STEP_PREFIX)

    @property
    def is_message(self) -> bool:
        return self.schema is not None and self.name.startswith(MESSAGE_PREFIX)

    @property
    def is_object(self) -> bool:
        """A thread, run, step or message event (not error, done or an unknown name)."""
        return self.schema is not None and self.name.startswith("thread.")

    @property
    def kind(self) -> Kind | None:
        return "step" if self.is_step else "message" if self.is_message else None

    @property
    def phase(self) -> ObjectPhase | None:
        if self.kind is None:
            return None
        suffix = self.name.rsplit(".", 1)[1]
        if suffix == "created":
            return "created"
        if suffix in PROGRESS:
            return "progress"
        return "final" if suffix in (STEP_FINAL if self.kind == "step" else MESSAGE_FINAL) else None

    @property
    def object_id(self) -> str | None:
        """The id in the data, even if the data is otherwise invalid (a lifecycle needs only that)."""
        value = as_sent(self.data).get("id") if isinstance(self.data, Mapping) else None
        return value if isinstance(value, str) else None


def parse_event(index: int, name: str, raw: str, spec: Spec | None = None) -> Event:
    """One event, its data judged against the schema ``spec`` (default: the shipped spec's) gives
    its name."""
    spec = spec or spec_for()
    schema = spec.event_data_schemas().get(name)
    if name == DONE or raw.startswith(done_data()):  # the end of the stream for a client, whatever its name
        return Event(index, name, raw, NOT_JSON, schema)
    try:
        data = parse_json(raw, constants=False)
    except ValueError:
        return Event(index, name, raw, NOT_JSON, schema)
    if schema is None:
        return Event(index, name, raw, data, None)
    if schema == "RunObject":  # a streamed run is a run: the same tolerance as for any other
        problems, null_instructions = spec.run_object_problems(data)
        if isinstance(data, dict):
            data = read_run(data, SSE_003, spec, valid=not problems)
        return Event(index, name, raw, data, schema, tuple(problems), (NULL_INSTRUCTIONS,) if null_instructions else ())
    problems = spec.schema_problems(schema, data)
    if isinstance(data, dict):
        data = read(schema, data, SSE_003, spec, valid=not problems)
    return Event(index, name, raw, data, schema, tuple(problems))
