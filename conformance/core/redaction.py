"""The one redactor: every secret of a run out of everything the suite shows.

A ``Redactor`` is built once from the run's configuration (the API key, the values of headers
the user marked secret; ``ClientConfig.redactor()``) and used by the client for the evidence it
builds, by the CLI for what it prints, and by the report writer for what it writes. Header values
are replaced by header name (``SECRET_HEADERS`` and the user's secret headers), and every known
secret value is replaced wherever it occurs, longest first so that no part of one is left.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from conformance.core.observation import Exchange, Headers, StreamEvent
from conformance.core.results import FailureRecord, RequirementResult, SuiteResult

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-organization", "openai-project"})


@dataclass(frozen=True)
class Redactor:
    secrets: tuple[str, ...] = ()  # values, longest first
    secret_headers: frozenset[str] = SECRET_HEADERS  # lower-case header names

    @classmethod
    def of(cls, secrets: Iterable[str | None] = (), secret_headers: Iterable[str] = ()) -> Redactor:
        values = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
        return cls(tuple(values), SECRET_HEADERS | {name.lower() for name in secret_headers})

    def text(self, text: str, replacement: str = REDACTED) -> str:
        for secret in self.secrets:
            text = text.replace(secret, replacement)
        return text

    def value(self, value: Any) -> Any:
        """``value`` (a string or JSON-like data) with every secret replaced, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(key): self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value

    def headers(self, headers: Mapping[str, str], disclosed: Collection[str] = ()) -> Headers:
        """Secret headers' values replaced, except those named in ``disclosed`` (known not to be
        secrets, e.g. the auth probe's wrong key); secret values scrubbed from every name and value."""
        kept = {name.lower() for name in disclosed}
        return Headers((self.text(name), REDACTED if name.lower() in self.secret_headers - kept else self.text(value))
                       for name, value in headers.items())

    def exchange(self, exchange: Exchange) -> Exchange:
        """Every secret value scrubbed from evidence whose headers were redacted by name when it
        was built (``headers``)."""
        return replace(
            exchange,
            url=self.text(exchange.url),
            request_headers=Headers(self.value(dict(exchange.request_headers))),
            request_body=self.value(exchange.request_body),
            response_headers=Headers(self.value(dict(exchange.response_headers))),
            response_body=self.text(exchange.response_body),
            events=None if exchange.events is None else [
                StreamEvent(self.text(event.event), self.text(event.data), event.at) for event in exchange.events],
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
            results=[RequirementResult(item.requirement, item.verdict, item.exercised,
                                       [self._failure(failure) for failure in item.failures])
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

