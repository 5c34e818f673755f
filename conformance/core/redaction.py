"""The one redactor: every secret of a run out of everything the suite shows, in any form.

A ``Redactor`` is built once from the run's configuration (the API key, the values of headers
the user marked secret; ``ClientConfig.redactor()``) and used by the client for the evidence it
builds, by the recorder for what findings say, by the CLI for what it prints, and by the report
writer for what it writes. Header values are replaced by header name (``SECRET_HEADERS`` and the
user's secret headers); every secret value is replaced wherever it occurs:

- as it is, JSON-escaped (any mix of ``\\uXXXX`` and plain characters), percent-encoded (any mix),
  or base64-encoded (standard or URL-safe, at any alignment inside a longer encoding): ``scrub``;
- as a fragment: any run of ``FRAGMENT`` or more of its characters (a key cut by a truncation, its
  prefix or its suffix), or a masked form showing that many of them around a run of ``*``, ``x``,
  ``•`` or dots (``sk-proj-****abcd``): ``text`` (which scrubs first).

Redact first, truncate after: ``shown`` scrubs a whole text before it cuts it, so a cut never
leaves part of a secret that a whole-secret match would have caught.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from conformance.core.observation import Exchange, Headers
from conformance.core.results import FailureRecord, RequirementResult, SuiteResult

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-organization", "openai-project"})
FRAGMENT = 8  # this many characters of a secret, together, are a secret too
_MASK = re.compile(r"\*{3,}|x{3,}|X{3,}|•{3,}|·{3,}|\.{3,}|…")


def truncated(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


@dataclass(frozen=True)
class _Secret:
    value: str

    @cached_property
    def encoded(self) -> re.Pattern[str]:
        """The value with any of its characters JSON-escaped or percent-encoded (hex digits in
        either case), the others as they are."""
        parts = []
        for char in self.value:
            forms = [re.escape(char), "%" + "%".join(f"(?i:{byte:02x})" for byte in char.encode("utf-8"))]
            if ord(char) < 0x10000:
                forms.append(f"\\\\u(?i:{ord(char):04x})")
            if char in '"\\/':
                forms.append(re.escape("\\" + char))
            parts.append("(?:" + "|".join(forms) + ")")
        return re.compile("".join(parts))

    @cached_property
    def base64_forms(self) -> tuple[str, ...]:
        """What the value's bytes always encode to inside any base64 text, at each of the three
        alignments, in both alphabets (the characters that depend on its bytes alone)."""
        raw = self.value.encode("utf-8")
        forms = []
        for offset in range(3):
            encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
            first = -(-8 * offset // 6)  # the first character made of the value's bits only
            last = 8 * (offset + len(raw)) // 6  # one past the last such character
            core = encoded[first:last]
            if len(core) >= FRAGMENT:
                forms += [core, core.replace("+", "-").replace("/", "_")]
        return tuple(dict.fromkeys(forms))

    @cached_property
    def grams(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.value[i:i + FRAGMENT] for i in range(len(self.value) - FRAGMENT + 1)))


@dataclass(frozen=True)
class Redactor:
    secrets: tuple[str, ...] = ()  # values, longest first
    secret_headers: frozenset[str] = SECRET_HEADERS  # lower-case header names
    _forms: tuple[_Secret, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, secrets: Iterable[str | None] = (), secret_headers: Iterable[str] = ()) -> Redactor:
        values = tuple(sorted({secret for secret in secrets if secret}, key=len, reverse=True))
        return cls(values, SECRET_HEADERS | {name.lower() for name in secret_headers},
                   tuple(_Secret(value) for value in values))

    @property
    def longest_form(self) -> int:
        """Characters the longest written form of a secret takes (every character JSON-escaped)."""
        return max((6 * len(secret.value.encode("utf-8")) for secret in self._forms), default=0)

    # --- text -----------------------------------------------------------------------------

    def scrub(self, text: str, replacement: str = REDACTED) -> str:
        """``text`` with every whole secret replaced: as it is, escaped, encoded or in base64."""
        for secret in self._forms:
            text = text.replace(secret.value, replacement)
            if "\\" in text or "%" in text:
                text = secret.encoded.sub(lambda match: replacement, text)
            for form in secret.base64_forms:
                text = text.replace(form, replacement)
        return text

    def text(self, text: str, replacement: str = REDACTED) -> str:
        """``text`` with every secret replaced, whole or in fragments (for what is shown)."""
        text = self.scrub(text, replacement)
        for secret in self._forms:
            if len(secret.value) > FRAGMENT:
                text = _fragments(_masked_forms(text, secret.value, replacement), secret, replacement)
        return text

    def shown(self, text: str, limit: int, replacement: str = REDACTED) -> str:
        """``text`` as a report shows it: scrubbed whole, then cut to ``limit``, then freed of fragments."""
        return self.text(truncated(self.scrub(text, replacement), limit), replacement)

    def value(self, value: Any) -> Any:
        """``value`` (a string or JSON-like data) with every secret replaced, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(key): self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value

    # --- evidence -------------------------------------------------------------------------

    def headers(self, headers: Mapping[str, str], disclosed: Collection[str] = ()) -> Headers:
        """Secret headers' values replaced, except those named in ``disclosed`` (known not to be
        secrets, e.g. the auth probe's wrong key); secret values scrubbed from every name and value."""
        kept = {name.lower() for name in disclosed}
        return Headers((self.scrub(name), REDACTED if name.lower() in self.secret_headers - kept else self.scrub(value))
                       for name, value in headers.items())

    def exchange(self, exchange: Exchange) -> Exchange:
        """Every secret scrubbed from evidence whose headers were redacted by name when it was built."""
        return replace(
            exchange,
            url=self.text(exchange.url),
            request_headers=Headers(self.value(dict(exchange.request_headers))),
            request_body=self.value(exchange.request_body),
            response_headers=Headers(self.value(dict(exchange.response_headers))),
            response_body=self.text(exchange.response_body),
            events=None if exchange.events is None else [
                replace(event, event=self.text(event.event), data=self.text(event.data)) for event in exchange.events],
            transport_error=None if exchange.transport_error is None else self.text(exchange.transport_error),
        )

    def result(self, result: SuiteResult) -> SuiteResult:
        """A copy of ``result`` in which no secret occurs (requirement texts come from the catalogue)."""
        if not self.secrets:
            return result
        return replace(
            result,
            base_url=self.text(result.base_url),
            profile=self.text(result.profile),
            internal_errors=[self.text(error) for error in result.internal_errors],
            notes=[self.text(note) for note in result.notes],
            not_judged=None if result.not_judged is None else self.text(result.not_judged),
            results=[RequirementResult(item.requirement, item.verdict, item.exercised,
                                       [self._failure(failure) for failure in item.failures],
                                       [self.text(reason) for reason in item.reasons])
                     for item in result.results],
        )

    def _failure(self, failure: FailureRecord) -> FailureRecord:
        finding = failure.finding
        return FailureRecord(
            finding=replace(finding, message=self.text(finding.message), expected=self.value(finding.expected),
                            observed=self.value(finding.observed)),
            request=self.value(failure.request),
            exchange=None if failure.exchange is None else self.exchange(failure.exchange),
        )


def _fragments(text: str, secret: _Secret, replacement: str) -> str:
    """``text`` with every run of ``FRAGMENT`` or more characters of the secret replaced."""
    spans: list[tuple[int, int]] = []
    for gram in secret.grams:
        start = text.find(gram)
        while start != -1:
            spans.append((start, start + FRAGMENT))
            start = text.find(gram, start + 1)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, cursor = [], 0
    for start, end in merged:
        pieces += [text[cursor:start], replacement]
        cursor = end
    return "".join(pieces) + text[cursor:]


def _masked_forms(text: str, secret: str, replacement: str) -> str:
    """``text`` with every masked form of the secret replaced: some of its first characters, a
    mask, some of its last, ``FRAGMENT`` or more of its characters shown in all."""
    pieces, cursor = [], 0
    for mask in _MASK.finditer(text):
        start, end = mask.span()
        if start < cursor:
            continue
        shown_before = next((n for n in range(min(len(secret), start - cursor), 0, -1)
                             if text.endswith(secret[:n], cursor, start)), 0)
        shown_after = next((n for n in range(min(len(secret), len(text) - end), 0, -1)
                            if text.startswith(secret[-n:], end)), 0)
        if shown_before + shown_after >= FRAGMENT:
            pieces += [text[cursor:start - shown_before], replacement]
            cursor = end + shown_after
    return "".join(pieces) + text[cursor:] if pieces else text
