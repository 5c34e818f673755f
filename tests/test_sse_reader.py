"""The strict SSE decoder: WHATWG rules, recorded defects, and round trips under any framing."""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._streaming import SSEDecoder as SDKDecoder

from conformance.streaming.sse import BOM, MAX_RECORD_TEXT, SLICE, Comment, ServerSentEvent, SSEDecoder, StreamTail


def decode(*chunks: bytes) -> tuple[list[ServerSentEvent], SSEDecoder, StreamTail]:
    decoder = SSEDecoder(origin=0.0)
    events = [event for index, chunk in enumerate(chunks) for event in decoder.feed(chunk, now=float(index))]
    return events, decoder, decoder.close()


def fields(events: list[ServerSentEvent]) -> list[tuple[str, str, str | None, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


def kinds(decoder: SSEDecoder) -> list[tuple[str, int]]:
    return [(d.kind, d.offset) for d in decoder.defects]


# -- the standard's rules, one by one ---------------------------------------------------------


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"])
def test_each_line_end_ends_lines_and_events(end: bytes) -> None:
    raw = b"event: a" + end + b"data: 1" + end + end + b"data: 2" + end + end
    events, decoder, tail = decode(raw)
    assert fields(events) == [("a", "1", None, None), ("message", "2", None, None)]
    assert (tail.unterminated, tail.trailing_bytes, decoder.defects) == (False, 0, [])


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    # Read as two line ends, the LF would be a blank line dispatching "a" alone.
    events, _, tail = decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n")
    assert fields(events) == [("message", "a\nb", None, None)]
    assert events[0].end == 19 and tail.trailing_bytes == 0  # the final LF belongs to the event's CRLF


def test_lone_cr_at_chunk_end_dispatches_at_once() -> None:
    decoder = SSEDecoder(origin=0.0)
    assert decoder.feed(b"data: a\n\r", now=1.0) == [ServerSentEvent("message", "a", None, None, 0, 9, 1.0)]
    assert decoder.feed(b"data: b\n\n", now=2.0)[0].data == "b"  # the next chunk starts a new line


def test_comments_are_counted_and_kept_not_dispatched() -> None:
    events, decoder, _ = decode(b": keep-alive\n\n:\ndata: x\n:  two spaces\n\n")
    assert fields(events) == [("message", "x", None, None)]
    assert decoder.comment_count == 3
    assert decoder.comments == [Comment(0, " keep-alive"), Comment(14, ""), Comment(24, "  two spaces")]


def test_records_kept_are_capped_but_all_counted() -> None:
    decoder = SSEDecoder(max_records=2)
    decoder.feed(b":a\n:b\n:c\nx\ny\nz\n\n")
    assert (decoder.comment_count, len(decoder.comments)) == (3, 2)
    assert (decoder.defect_counts["unknown-field"], len(decoder.defects)) == (3, 2)
    decoder = SSEDecoder()
    decoder.feed(b":" + b"c" * 5000 + b"\nretry: " + b"9" * 4999 + b"x\n\n")  # and each is short
    assert decoder.comments[0].text == "c" * (MAX_RECORD_TEXT - 3) + "..."
    assert len(decoder.defects[0].detail) == MAX_RECORD_TEXT


@pytest.mark.parametrize(
    ("line", "data"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  x", " x"),  # only one space is removed
        (b"data:\tx", "\tx"),
        (b"data: a:b: c", "a:b: c"),  # split at the first colon only
        (b"data", ""),  # no colon: the whole line is the field name, the value is empty
        (b"data:", ""),
    ],
)
def test_field_value_split(line: bytes, data: str) -> None:
    events, _, _ = decode(line + b"\n\n")
    assert fields(events) == [("message", data, None, None)]


def test_data_lines_join_with_lf() -> None:
    events, _, _ = decode(b"data: a\ndata:\ndata: c\n\n")
    assert events[0].data == "a\n\nc"


def test_event_type_defaults_to_message_and_resets_after_each_event() -> None:
    events, _, _ = decode(b"event: x\nevent: y\ndata: 1\n\nevent:\ndata: 2\n\ndata: 3\n\n")
    assert [e.event for e in events] == ["y", "message", "message"]


def test_id_persists_and_one_with_nul_is_ignored() -> None:
    events, decoder, _ = decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\x00\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["1", "1", "1", ""]
    assert kinds(decoder) == [("id-contains-nul", 24)]
    assert decoder.last_event_id == ""


@pytest.mark.parametrize("value", [b"", b"1.5", b"  2", b"-1", b"+3", b"\xef\xbc\x91"])  # last: fullwidth 1
def test_retry_must_be_ascii_digits(value: bytes) -> None:
    events, decoder, _ = decode(b"retry: 10\ndata: a\n\nretry:" + value + b"\ndata: b\n\n")
    assert [e.retry for e in events] == [10, None]
    assert decoder.retry == 10
    assert kinds(decoder) == [("retry-not-digits", 19)]


def test_unknown_fields_are_ignored_and_recorded() -> None:
    events, decoder, _ = decode(b"Data: x\nfoo: bar\ndata: y\n\n")
    assert fields(events) == [("message", "y", None, None)]
    assert [(d.kind, d.offset, d.detail) for d in decoder.defects] == [
        ("unknown-field", 0, "'Data'"),
        ("unknown-field", 8, "'foo'"),
    ]


def test_event_without_data_is_not_dispatched() -> None:
    events, decoder, tail = decode(b"event: done\n\nid: 7\n\n\n\ndata: x\n\n")
    assert fields(events) == [("message", "x", "7", None)]
    assert kinds(decoder) == [("no-data", 0), ("no-data", 13)]
    assert tail.unterminated is False


def test_one_leading_bom_is_stripped_even_split() -> None:
    events, decoder, _ = decode(BOM[:1], BOM[1:] + b"data: x\n\n")
    assert decoder.bom_seen and events == [ServerSentEvent("message", "x", None, None, 3, 12, 1.0)]
    events, decoder, _ = decode(BOM + BOM + b"data: x\n\n")  # a second BOM is part of the field name
    assert events == [] and kinds(decoder) == [("unknown-field", 3), ("no-data", 3)]
    events, decoder, _ = decode(b"data: x\n\n" + BOM + b"data: y\n\n")
    assert [e.data for e in events] == ["x"] and not decoder.bom_seen
    _, decoder, tail = decode(BOM)
    assert decoder.bom_seen and tail == StreamTail(3, 3, False, None)
    _, decoder, tail = decode(BOM[:2])  # cut inside the BOM: a cut line of invalid UTF-8
    assert tail.unterminated and kinds(decoder) == [("invalid-utf8", 0)]


def test_multibyte_characters_split_across_chunks() -> None:
    raw = "data: é😀\n\n".encode()
    events, decoder, _ = decode(*[raw[i : i + 1] for i in range(len(raw))])
    assert events[0].data == "é😀" and decoder.defects == []


def test_invalid_utf8_is_replaced_and_located() -> None:
    raw = b"data: a\xffb\xe2\x82\n: \xc3\ndata: \xef\xbf\xbd\n\n"  # the last is a U+FFFD sent as such: valid
    events, decoder, _ = decode(raw)
    assert events[0].data == "a\ufffdb\ufffd\n\ufffd"
    assert [(d.kind, d.offset, d.detail) for d in decoder.defects] == [
        ("invalid-utf8", 7, "ff"),
        ("invalid-utf8", 9, "e2 82"),
        ("invalid-utf8", 14, "c3"),
    ]
    assert decoder.defect_counts["invalid-utf8"] == 3


def test_invalid_utf8_all_counted_when_not_all_located() -> None:
    decoder = SSEDecoder(max_records=2)
    decoder.feed(b"data: " + b"\xff" * 5000 + b"\n\n")
    assert decoder.defect_counts["invalid-utf8"] == 5000
    assert [d.offset for d in decoder.defects] == [6, 7]


def test_unterminated_final_event_is_discarded_and_reported() -> None:
    events, _, tail = decode(b"data: 1\n\n", b"event: thread.run.completed\ndata: {")
    assert [e.data for e in events] == ["1"]
    assert tail == StreamTail(total_bytes=44, trailing_bytes=35, unterminated=True,
                              pending_event="thread.run.completed")
    _, _, tail = decode(b"data: 1\n\ndata: 2\n")  # the last line ended, the event did not
    assert (tail.unterminated, tail.pending_event, tail.trailing_bytes) == (True, None, 8)
    _, _, tail = decode(b"data: 1\n\n: ping")  # a cut line, even a comment, is a cut stream
    assert (tail.unterminated, tail.trailing_bytes) == (True, 6)
    _, _, tail = decode(b"data: 1\n\n: ping\n\n\n")
    assert (tail.unterminated, tail.trailing_bytes) == (False, 9)


def test_offsets_and_arrival_times() -> None:
    decoder = SSEDecoder(origin=100.0)
    first = decoder.feed(b": hi\nevent: a\ndata: 1\n", now=101.0)
    second = decoder.feed(b"\ndata: 2\n\n", now=102.5)
    assert first == []
    assert second == [
        ServerSentEvent("a", "1", None, None, 5, 23, 2.5),
        ServerSentEvent("message", "2", None, None, 23, 32, 2.5),
    ]


def test_a_large_chunk_is_the_same_as_small_ones() -> None:
    body = b": shft\n" + b"data: xy\r\n\r\n" * 100_000  # 1.2 MB, decoded in slices of SLICE bytes
    assert body[SLICE - 1 : SLICE + 1] == b"\r\n"  # one CRLF straddles two slices
    events, decoder, tail = decode(body)
    assert len(events) == 100_000 and events[-1].end == len(body) and tail.trailing_bytes == 0
    assert {e.data for e in events} == {"xy"} and decoder.defects == [] and decoder.comment_count == 1


def test_default_clock_is_monotonic_since_creation() -> None:
    decoder = SSEDecoder()
    (event,) = decoder.feed(b"data: x\n\n")
    assert 0.0 <= event.at < 5.0


def test_oversized_event_is_dropped_in_bounded_memory() -> None:
    limit = 1 << 20
    decoder = SSEDecoder(max_event_size=limit)
    chunk = b"x" * 65536
    tracemalloc.start()
    try:
        assert decoder.feed(b"data: 1\n\ndata: ") != []
        for _ in range(320):  # a 20 MiB line
            assert decoder.feed(chunk) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit
    assert decoder.feed(b"\ndata: still dropped\n\ndata: next\n\n")[0].data == "next"
    assert [(d.kind, d.offset) for d in decoder.defects] == [("event-too-large", 9)]


def test_many_short_data_lines_are_bounded_too() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    events = decoder.feed(b"event: big\n" + b"data: 0123456789\n" * 100 + b"\ndata: ok\n\n")
    assert [e.data for e in events] == ["ok"]
    assert [(d.kind, d.offset) for d in decoder.defects] == [("event-too-large", 0)]


def test_oversized_line_in_one_chunk_then_stream_cut() -> None:
    decoder = SSEDecoder(origin=0.0, max_event_size=100)
    events = decoder.feed(b"data: ok\n\ndata: " + b"y" * 200, now=1.0)
    assert events == [ServerSentEvent("message", "ok", None, None, 0, 10, 1.0)]
    assert decoder.close().unterminated and decoder.defects[0].offset == 10


def test_feed_after_close_is_an_error() -> None:
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(ValueError):
        decoder.feed(b"data: x\n\n")


# -- round trips under every legal framing -----------------------------------------------------


@dataclass(frozen=True)
class Sent:
    event: str | None  # None: no event line
    data: str
    id: str | None  # None: no id line
    retry: int | None


line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
sent_events = st.lists(
    st.builds(
        Sent,
        event=st.none() | st.sampled_from(["thread.run.created", "done", "error"]) | line_text,
        data=st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=40),
        id=st.none() | line_text.filter(lambda s: "\0" not in s),
        retry=st.none() | st.integers(0, 10**6),
    ),
    max_size=6,
)


@st.composite
def framed(draw: st.DrawFn, events: list[Sent], bom: bool, stray_blank_lines: bool = True) -> str:
    """Serialise ``events`` choosing freely among the framings the standard allows."""
    out: list[str] = []
    previous_end = "\n"

    def line(text: str) -> None:
        nonlocal previous_end
        ends = ["\n", "\r", "\r\n"]
        if not text and previous_end == "\r":
            ends.remove("\n")  # CR then an LF-terminated blank line would read as one CRLF
        previous_end = draw(st.sampled_from(ends))
        out.append(text + previous_end)

    def field(name: str, value: str) -> None:
        space = " " if value.startswith(" ") else draw(st.sampled_from(["", " "]))
        line(f"{name}:{space}{value}" if value or space or draw(st.booleans()) else name)

    def maybe_comment() -> None:
        if draw(st.integers(0, 4)) == 0:
            line(":" + draw(line_text))

    for event in events:
        if stray_blank_lines and draw(st.booleans()):
            line("")  # a stray blank line between events dispatches nothing
        parts: list[tuple[str, str]] = [("data", value) for value in event.data.split("\n")]
        for name, value in (("event", event.event), ("id", event.id), ("retry", event.retry)):
            if value is not None:
                parts.insert(draw(st.integers(0, len(parts))), (name, str(value)))
        for name, value in parts:
            maybe_comment()
            field(name, value)
        maybe_comment()
        line("")
    return ("\ufeff" if bom else "") + "".join(out)


def expected(events: list[Sent]) -> list[tuple[str, str, str | None, int | None]]:
    result, last_id = [], None
    for event in events:
        last_id = event.id if event.id is not None else last_id
        result.append((event.event or "message", event.data, last_id, event.retry))
    return result


def cut(data: st.DataObject, raw: bytes) -> list[bytes]:
    """``raw`` in chunks cut anywhere: inside multi-byte characters, between CR and LF..."""
    points = sorted(set(data.draw(st.lists(st.integers(0, len(raw)), max_size=12))))
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]


@settings(max_examples=300)
@given(events=sent_events, bom=st.booleans(), data=st.data())
def test_round_trip_under_any_framing_and_chunking(events: list[Sent], bom: bool, data: st.DataObject) -> None:
    raw = data.draw(framed(events, bom)).encode()
    chunks = cut(data, raw)
    decoded, decoder, tail = decode(*chunks)
    assert fields(decoded) == expected(events)
    assert decoder.bom_seen is bom
    assert decoder.defects == [] and not decoder.defect_counts
    assert (tail.unterminated, tail.total_bytes) == (False, len(raw))
    if decoded:  # an LF arriving after the CR that dispatched the event still belongs to it
        late_lf = raw[decoded[-1].end - 1 : decoded[-1].end + 1] == b"\r\n"
        assert tail.trailing_bytes == len(raw) - decoded[-1].end - late_lf
    boundaries = [sum(map(len, chunks[: i + 1])) for i in range(len(chunks))]
    for event in decoded:
        # The chunk holding the event's last byte is the one that dispatched it.
        assert event.at == next(i for i, end in enumerate(boundaries) if end >= event.end)
        (alone,) = decode(raw[event.start : event.end])[0]  # its byte range holds the whole event
        assert (alone.event, alone.data, alone.retry) == (event.event, event.data, event.retry)


@settings(max_examples=100)
@given(events=sent_events, data=st.data())
def test_agrees_with_the_official_sdk_decoder(events: list[Sent], data: st.DataObject) -> None:
    # Framings the SDK gets wrong are left out: a BOM, blank lines between events (see below).
    raw = data.draw(framed(events, bom=False, stray_blank_lines=False)).encode()
    chunks = cut(data, raw)
    sdk = [(e.event or "message", e.data, e.id, e.retry) for e in SDKDecoder().iter_bytes(iter(chunks))]
    assert fields(decode(*chunks)[0]) == sdk


def test_sdk_differences_where_we_follow_the_standard() -> None:
    """Documented, not endorsed: the places the SDK's decoder departs from the standard."""
    raw = b"event: done\n\ndata: x\n\n"
    sdk = [(e.event, e.data) for e in SDKDecoder().iter_bytes(iter([raw]))]
    assert sdk == [("done", ""), (None, "x")]  # the SDK dispatches an event without data
    assert fields(decode(raw)[0]) == [("message", "x", None, None)]
    raw = b"id: 1\ndata: x\n\n\n"  # once an id is set, the SDK dispatches an empty event per extra blank line
    assert [(e.event, e.data) for e in SDKDecoder().iter_bytes(iter([raw]))] == [(None, "x"), (None, "")]
    assert fields(decode(raw)[0]) == [("message", "x", "1", None)]
    raw = BOM + b"data: x\n\n"  # the SDK keeps the BOM, so the field name is not "data"
    assert [e.data for e in SDKDecoder().iter_bytes(iter([raw]))] == []
    assert fields(decode(raw)[0]) == [("message", "x", None, None)]
    with pytest.raises(UnicodeDecodeError):  # the SDK fails on invalid UTF-8; we replace and record
        list(SDKDecoder().iter_bytes(iter([b"data: \xff\n\n"])))
