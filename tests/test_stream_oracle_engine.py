"""The streamed scenario in the engine: ``run_suite`` with only the accept-stream property
against the reference server and a few streaming variants (verdicts, exit codes, shrinking,
and a silent target costing no more than its deadlines)."""

from __future__ import annotations

import time

import pytest

from broken_streams.middleware import Stream
from broken_streams.variants import BROKEN, CONFORMANT, ENDING, Variant, streams
from conformance.cli import build_parser
from conformance.core.results import SuiteResult, Verdict
from conformance.engine.properties import PROPERTIES, RUN_PROFILES
from conformance.run_command import stream_limits
from conformance.streaming.captured import StreamLimits
from engine_support import certify, verdicts

ACCEPT_STREAM = tuple(prop for prop in PROPERTIES if prop.name == "accept-stream")
STREAMING = {f"SSE-{n:03}" for n in range(1, 12)} | {"SDK-001"}
LIMITS = StreamLimits(first_byte=3.0, idle=1.0, total=4.0, max_bytes=1_000_000, after_done=0.5)


def variant(name: str) -> Variant:
    return next(v for v in BROKEN + CONFORMANT if v.name == name)


def certify_streams(name: str, examples: int = 3, shrink_time: float = 2.0) -> SuiteResult:
    return certify(variant(name).build(), properties=ACCEPT_STREAM, counts={"accept-stream": examples},
                   shrink_time=shrink_time, stream_limits=LIMITS)


def test_reference_streams_pass_every_streaming_requirement() -> None:
    result = certify_streams("reference")
    assert result.internal_errors == [] and verdicts(result, Verdict.FAIL) == set()
    assert STREAMING <= verdicts(result, Verdict.PASS)
    assert result.exit_code(strict=True) == 0


def test_every_profile_streams_tool_output_continuations() -> None:
    tool_round_trip = tuple(prop for prop in PROPERTIES if prop.name == "tool-round-trip-stream")
    assert all(tool_round_trip[0].examples[profile] >= 1 for profile in RUN_PROFILES)
    result = certify(variant("reference").build(), properties=tool_round_trip, counts={"tool-round-trip-stream": 2},
                     shrink_time=0.0, stream_limits=LIMITS)
    assert result.internal_errors == [] and verdicts(result, Verdict.FAIL) == set()
    exercised = {item.requirement.id: item.exercised for item in result.results}
    assert exercised["LIFE-004"] >= 2  # each example paused and its continuation was streamed
    assert exercised["SSE-005"] >= 2 * exercised["REQ-001"]  # the first stream and at least one continuation


def test_unknown_event_names_only_warn() -> None:
    result = certify_streams("unknown-event")
    assert verdicts(result, Verdict.WARN) == {"SSE-004"} and verdicts(result, Verdict.FAIL) == set()
    assert result.exit_code() == 0 and result.exit_code(strict=True) == 0  # a warning never fails


def test_a_broken_stream_fails_its_requirement_with_a_shrunk_example() -> None:
    result = certify_streams("cumulative-deltas")
    assert verdicts(result, Verdict.FAIL) == {"SSE-008"} and result.exit_code() == 1
    [item] = [item for item in result.results if item.requirement.id == "SSE-008"]
    first = item.failures[0]
    assert set(first.request) == {"assistant_id", "stream"}  # shrunk: the fault needs no more
    assert first.exchange is not None and first.exchange.is_stream
    assert first.finding.event_index is not None
    assert first.exchange.events[first.finding.event_index].event == "thread.message.completed"


def test_a_silent_target_costs_its_deadlines_not_a_hang() -> None:
    started = time.monotonic()
    result = certify_streams("goes-silent", examples=2, shrink_time=0.5)
    elapsed = time.monotonic() - started
    assert verdicts(result, Verdict.FAIL) == {"SSE-010"}
    # 2 examples in parallel, each cut at the idle limit, plus setup and a short shrink: far below
    # a hang, and below what serial total deadlines would cost.
    assert elapsed < 2 * LIMITS.total + 5


def test_stream_limits_come_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["run", "--stream-first-byte", "2", "--stream-idle", "0.5", "--stream-total", "9",
                              "--stream-max-bytes", "1000"])
    assert stream_limits(args) == StreamLimits(first_byte=2, idle=0.5, total=9, max_bytes=1000)
    defaults = stream_limits(parser.parse_args(["run", "--request-timeout", "7", "--poll-timeout", "40"]))
    assert (defaults.first_byte, defaults.idle, defaults.total) == (7, 7, 40)
    for flag, value in (("--stream-idle", "0"), ("--stream-total", "-1"), ("--stream-max-bytes", "0"),
                        ("--stream-first-byte", "nan")):
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(["run", flag, value])
        assert exit_info.value.code == 2 and flag in capsys.readouterr().err


def test_every_way_a_stream_ends_wrongly_is_reported() -> None:
    """One stream that breaks SSE-009 twice (no run ending, done's data not [DONE]) shows both."""
    def broken_end(stream: Stream) -> None:
        stream.events = [event for event in stream.events if event.event not in ENDING]
        stream.events[stream.index("done")].data = "DONE"

    result = certify(streams(broken_end)(), properties=ACCEPT_STREAM, counts={"accept-stream": 2},
                     shrink_time=2.0, stream_limits=LIMITS)
    assert verdicts(result, Verdict.FAIL) == {"SSE-009"}
    [item] = [item for item in result.results if item.requirement.id == "SSE-009"]
    messages = [failure.finding.message for failure in item.failures]
    assert any("without a terminal run event" in message for message in messages), messages
    assert any("data is not [DONE]" in message for message in messages), messages
    first_example = item.failures[0].request
    assert all(failure.request == first_example for failure in item.failures[:2])  # both on the minimal example
