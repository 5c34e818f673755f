"""A strict, incremental ``text/event-stream`` decoder that also records what went wrong.

It follows the WHATWG rules for interpreting an event stream
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
and nothing else: a lenient decoder would hide exactly the defects a conformance suite exists
to find. Each event also carries its byte range and arrival time, and the decoder keeps what a
verdict needs but the standard throws away: invalid UTF-8, comments, ignored fields, blocks that
were not dispatched, and whether the stream was cut inside an event.

Memory stays bounded whatever the server sends: the state is the line being received plus the
fields of the event being built, and one event (its field lines and the line in progress) may
not exceed ``max_event_size`` bytes; beyond that it is dropped and recorded, never buffered.
"""

from __future__ import annotations

import codecs
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Literal

DEFAULT_EVENT_TYPE = "message"
DEFAULT_MAX_EVENT_SIZE = 8 * 1024 * 1024  # bytes; a run object with 256k-char instructions fits easily
DEFAULT_MAX_RECORDS = 1000  # defects and comments kept (all are counted)
MAX_RECORD_TEXT = 200  # characters of a comment or a defect's detail kept
SLICE = 256 * 1024  # larger chunks are decoded in slices: the list of lines of one slice stays small

BOM = b"\xef\xbb\xbf"
REPLACEMENT_CHARACTER = "\ufffd".encode()  # sent as such, it is valid UTF-8, not a decoding error
_LINE_END = re.compile(rb"\r\n?|\n")

# What the decoder records. Not all are SSE errors: unknown fields and events without data are
# legal, but an Assistants stream has neither, so a verdict wants to know.
DefectKind = Literal[
    "invalid-utf8",  # bytes that are not UTF-8; decoded as U+FFFD
    "event-too-large",  # the event exceeded max_event_size; it was dropped up to the next blank line
    "retry-not-digits",  # a retry field whose value is not only ASCII digits; ignored
    "id-contains-nul",  # an id field whose value contains U+0000; ignored
    "unknown-field",  # a field other than event, data, id, retry; ignored (legal SSE)
    "no-data",  # a blank line ended an event that had fields but no data line: not dispatched
]


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event.

    ``id`` is the last event ID in force when the event was dispatched (it persists across
    events, as in the standard); None if no ``id`` field has been seen yet. ``retry`` is the
    value of a ``retry`` field inside this event's own lines, if any. ``start`` is the byte offset
    of its first field line; ``end`` the offset just past the blank line that dispatched it (if
    that line ended with a CR whose LF came in the next chunk, the LF is not counted: see
    ``StreamTail.trailing_bytes``). ``at`` is when the chunk completing it arrived, in seconds
    since the decoder's origin.
    """

    event: str
    data: str
    id: str | None
    retry: int | None
    start: int
    end: int
    at: float


@dataclass(frozen=True)
class Defect:
    kind: DefectKind
    offset: int  # byte offset in the stream where the offending line or sequence starts
    detail: str  # e.g. the bytes, the field name or value (its first MAX_RECORD_TEXT characters)


@dataclass(frozen=True)
class Comment:
    offset: int
    text: str  # what follows the leading ':' (its first MAX_RECORD_TEXT characters)


@dataclass(frozen=True)
class StreamTail:
    """How the stream ended, as seen by the decoder when it was closed."""

    total_bytes: int
    trailing_bytes: int  # bytes after the end of the last dispatched event (all bytes if none was)
    # The stream stopped inside an event: field lines after the last blank line, or a last line
    # without a line end. The standard discards that event; the SDK drops it silently.
    unterminated: bool
    pending_event: str | None  # the unfinished event's ``event`` field, if it had one


class SSEDecoder:
    """Feed bytes as they arrive; get the events each chunk completes; close at the end."""

    def __init__(
        self,
        *,
        origin: float | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> None:
        self.origin = time.monotonic() if origin is None else origin  # the clock reading of "0 s"
        self.max_event_size = max_event_size
        self.max_records = max_records

        self.defects: list[Defect] = []  # the first max_records
        self.defect_counts: Counter[DefectKind] = Counter()  # every defect, by kind
        self.comments: list[Comment] = []  # the first max_records
        self.comment_count = 0
        self.bom_seen = False
        self.last_event_id: str | None = None
        self.retry: int | None = None  # the reconnection time the stream last set, in ms
        self.bytes_fed = 0

        self._at = 0.0  # arrival time of the chunk being decoded
        self._last_end = 0  # end offset of the last dispatched event
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF completes that CRLF
        # The line being received, when a chunk ended inside it.
        self._partial = bytearray()
        self._partial_start: int | None = None
        self._partial_dropped = False  # it made the event too large: its bytes are not kept
        # The event being built: the standard's buffers plus bookkeeping.
        self._event = ""
        self._data: list[str] = []
        self._retry: int | None = None
        self._block_start: int | None = None  # offset of its first field line; None: no fields yet
        self._block_size = 0
        self._block_dropped = False
        self._head: bytes | None = b""  # the stream's first bytes until they are known not to be a BOM
        self._tail: StreamTail | None = None

    def feed(self, chunk: bytes, now: float | None = None) -> list[ServerSentEvent]:
        """Decode ``chunk``; ``now`` is a time.monotonic() reading of its arrival (default: now)."""
        if self._tail is not None:
            raise ValueError("feed() after close()")
        self._at = (time.monotonic() if now is None else now) - self.origin
        events: list[ServerSentEvent] = []
        for start in range(0, len(chunk), SLICE):
            self._feed(chunk[start : start + SLICE] if len(chunk) > SLICE else chunk, events)
        return events

    def _feed(self, chunk: bytes, events: list[ServerSentEvent]) -> None:
        size = len(chunk)
        base = self.bytes_fed
        self.bytes_fed += size
        if self._head is not None:
            chunk, base = self._head + chunk, 0
            if len(chunk) < len(BOM) and BOM.startswith(chunk):
                self._head = chunk  # maybe a BOM split across chunks: wait for its end
                return
            self._head = None
            if chunk.startswith(BOM):
                self.bom_seen = True
                chunk, base = chunk[len(BOM) :], len(BOM)
                if not chunk:
                    return
            size = len(chunk)
        pos = 0
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:  # the LF of a CRLF split across chunks: one line end, not two
                pos = 1
                if self._last_end == base:
                    self._last_end = base + 1
        if self._partial_start is not None:
            pos = self._finish_partial(chunk, pos, events)
        if pos < size:
            self._interpret_lines(chunk[pos:] if pos else chunk, base + pos, events)
        self._skip_lf = chunk[-1] == 0x0D

    def close(self) -> StreamTail:
        """End of stream: any unfinished event is discarded (and reported in the tail)."""
        if self._tail is None:
            if self._head:  # the stream ended inside what began like a BOM
                self._decode_invalid(self._head, 0)
            cut_line = self._partial_start is not None or bool(self._head)
            in_event = self._block_start is not None
            self._tail = StreamTail(
                total_bytes=self.bytes_fed,
                trailing_bytes=self.bytes_fed - self._last_end,
                unterminated=cut_line or in_event,
                pending_event=(self._event or None) if in_event else None,
            )
            self._partial = bytearray()
            self._data = []
        return self._tail

    # -- lines -------------------------------------------------------------------------------

    def _finish_partial(self, chunk: bytes, pos: int, events: list[ServerSentEvent]) -> int:
        """Continue the line in progress; return where the rest of ``chunk`` starts."""
        match = _LINE_END.search(chunk, pos)
        end = len(chunk) if match is None else match.end()
        if not self._partial_dropped:
            self._partial += chunk[pos:end]
            if len(self._partial) + self._block_size > self.max_event_size:
                self._drop_event(self._partial_start)
        if match is None:
            return end
        start = self._partial_start
        assert start is not None
        line = bytes(self._partial)
        dropped = self._partial_dropped
        self._partial = bytearray()
        self._partial_start = None
        self._partial_dropped = False
        if not dropped:
            self._interpret_lines(line, start, events)
        return end

    def _interpret_lines(self, block: bytes, offset: int, events: list[ServerSentEvent]) -> None:
        """Interpret the complete lines of ``block`` (which starts at stream ``offset``).

        This is the hot path: one loop over bytes.splitlines (which splits on exactly CR, LF
        and CRLF, as the standard does), the rare cases in methods.
        """
        lines = block.splitlines(True)
        last = lines[-1]
        partial = lines.pop() if last[-1] not in b"\r\n" else None  # the block ends inside a line
        for line in lines:
            length = len(line)
            content = line.rstrip(b"\r\n")
            if not content:
                if self._block_start is not None:
                    self._dispatch(offset + length, events)
            elif content[0] == 0x3A:  # ':'
                self._comment(content, offset)
            elif not self._block_dropped:
                try:
                    text = content.decode()
                except UnicodeDecodeError:
                    text = self._decode_invalid(content, offset)
                name, colon, value = text.partition(":")
                if colon and value[:1] == " ":
                    value = value[1:]
                if self._block_start is None:
                    self._block_start = offset
                self._block_size += length
                if self._block_size > self.max_event_size:
                    self._drop_event(self._block_start)
                elif name == "data":
                    self._data.append(value)
                elif name == "event":
                    self._event = value
                else:
                    self._other_field(name, value, offset)
            offset += length
        if partial is not None:  # keep it for the next chunk
            self._partial_start = offset
            self._partial += partial
            if len(partial) + self._block_size > self.max_event_size:
                self._drop_event(offset)

    def _other_field(self, name: str, value: str, offset: int) -> None:
        if name == "id":
            if "\0" in value:
                self._record("id-contains-nul", offset, repr(value))
            else:
                self.last_event_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = self.retry = int(value)
            else:
                self._record("retry-not-digits", offset, repr(value))
        else:
            self._record("unknown-field", offset, repr(name))

    def _comment(self, content: bytes, offset: int) -> None:
        text = self._decode(content, offset)  # even when not kept: its bytes may be invalid UTF-8
        self.comment_count += 1
        if len(self.comments) < self.max_records:
            self.comments.append(Comment(offset, _shorten(text[1:])))

    def _dispatch(self, end: int, events: list[ServerSentEvent]) -> None:
        """A blank line: dispatch the event being built (if it has data) and start a new one."""
        start = self._block_start
        assert start is not None
        if self._block_dropped:
            pass  # recorded when it was dropped
        elif self._data:
            events.append(
                ServerSentEvent(
                    self._event or DEFAULT_EVENT_TYPE,
                    "\n".join(self._data),
                    self.last_event_id,
                    self._retry,
                    start,
                    end,
                    self._at,
                )
            )
            self._last_end = end
        else:
            self._record("no-data", start, f"event {self._event or DEFAULT_EVENT_TYPE!r} had no data line")
        self._event = ""
        self._data = []
        self._retry = None
        self._block_start = None
        self._block_size = 0
        self._block_dropped = False

    def _drop_event(self, line_start: int | None) -> None:
        """The event being built (with the line in progress) outgrew max_event_size."""
        start = line_start if self._block_start is None else self._block_start
        assert start is not None
        if not self._block_dropped:
            self._record("event-too-large", start, f"more than {self.max_event_size} bytes without a blank line")
        self._block_start = start
        self._block_dropped = True
        self._data = []
        self._block_size = 0
        self._partial = bytearray()
        self._partial_dropped = self._partial_start is not None

    # -- defects -----------------------------------------------------------------------------

    def _decode(self, raw: bytes, offset: int) -> str:
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return self._decode_invalid(raw, offset)

    def _decode_invalid(self, raw: bytes, offset: int) -> str:
        """Decode with one U+FFFD per invalid sequence (as the standard does) and record them.

        All are counted (each U+FFFD the decoder added is one), only the first few are located:
        a line of garbage must not cost a Python loop per byte.
        """
        text = raw.decode("utf-8", "replace")
        count = text.count("\ufffd") - raw.count(REPLACEMENT_CHARACTER)
        self.defect_counts["invalid-utf8"] += count
        view = memoryview(raw)
        pos = 0
        for _ in range(min(count, self.max_records - len(self.defects))):
            try:
                codecs.utf_8_decode(view[pos:], "strict", True)
            except UnicodeDecodeError as error:
                bad = raw[pos + error.start : pos + error.end]
                self.defects.append(Defect("invalid-utf8", offset + pos + error.start, bad.hex(" ")))
                pos += error.end
        return text

    def _record(self, kind: DefectKind, offset: int, detail: str) -> None:
        self.defect_counts[kind] += 1
        if len(self.defects) < self.max_records:
            self.defects.append(Defect(kind, offset, _shorten(detail)))


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_RECORD_TEXT else text[: MAX_RECORD_TEXT - 3] + "..."
