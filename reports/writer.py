"""Write the selected report formats, atomically, with every known secret scrubbed.

Each file is written to a temporary file in the target directory and renamed over the
final name, so a reader (or a Ctrl-C) never sees half a report. Secrets are scrubbed twice:
from the result before rendering (so escaping cannot hide one), then from the rendered text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.exchange import REDACTED, Exchange, StreamEvent
from conformance.results import FailureRecord, RequirementResult, SuiteResult
from reports.html import render_html
from reports.json_report import render_json
from reports.junit import render_junit
from reports.markdown import render_markdown

RENDERERS: dict[str, Callable[[SuiteResult], str]] = {
    "json": render_json,
    "junit": render_junit,
    "html": render_html,
    "markdown": render_markdown,
}
FORMATS = tuple(RENDERERS)
FILENAMES = {"json": "report.json", "junit": "junit.xml", "html": "report.html", "markdown": "summary.md"}
# What replaces a secret found in rendered text: escaped where "<" is markup.
TEXT_REDACTED = {
    "json": REDACTED,
    "junit": "&lt;redacted&gt;",
    "html": "&lt;redacted&gt;",
    "markdown": "&lt;redacted&gt;",
}


# --- scrubbing ------------------------------------------------------------------------------


def scrub_text(text: str, secrets: Iterable[str], replacement: str = REDACTED) -> str:
    for secret in secrets:
        text = text.replace(secret, replacement)
    return text


def scrub_value(value: Any, secrets: list[str]) -> Any:
    """``value`` (a string or JSON-like data) with every secret replaced, keys included."""
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, dict):
        return {scrub_value(key, secrets): scrub_value(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(item, secrets) for item in value]
    return value


def _scrub_exchange(exchange: Exchange, secrets: list[str]) -> Exchange:
    return replace(
        exchange,
        url=scrub_text(exchange.url, secrets),
        request_headers=scrub_value(exchange.request_headers, secrets),
        request_body=scrub_value(exchange.request_body, secrets),
        response_headers=scrub_value(exchange.response_headers, secrets),
        response_body=scrub_text(exchange.response_body, secrets),
        events=(
            None
            if exchange.events is None
            else [
                StreamEvent(scrub_text(e.event, secrets), scrub_text(e.data, secrets), e.at)
                for e in exchange.events
            ]
        ),
        transport_error=scrub_value(exchange.transport_error, secrets),
    )


def _scrub_failure(failure: FailureRecord, secrets: list[str]) -> FailureRecord:
    finding = failure.finding
    return FailureRecord(
        finding=replace(
            finding,
            message=scrub_text(finding.message, secrets),
            expected=scrub_value(finding.expected, secrets),
            observed=scrub_value(finding.observed, secrets),
        ),
        request=scrub_value(failure.request, secrets),
        exchange=None if failure.exchange is None else _scrub_exchange(failure.exchange, secrets),
    )


def scrub_result(result: SuiteResult, secrets: Iterable[str]) -> SuiteResult:
    """A copy of ``result`` in which no secret string occurs (requirement texts come from the catalogue)."""
    known = sorted(
        {secret for secret in secrets if secret}, key=len, reverse=True
    )  # longest first: no partial leftovers
    if not known:
        return result
    return replace(
        result,
        base_url=scrub_text(result.base_url, known),
        profile=scrub_text(result.profile, known),
        internal_errors=[scrub_text(error, known) for error in result.internal_errors],
        results=[
            RequirementResult(
                item.requirement,
                item.verdict,
                item.exercised,
                [_scrub_failure(f, known) for f in item.failures],
            )
            for item in result.results
        ],
    )


# --- writing --------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # backslashreplace: a lone surrogate from fuzzed evidence must not lose the whole file.
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any file
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:  # Ctrl-C included: never leave the temporary file behind
        Path(temporary).unlink(missing_ok=True)
        raise


def write_reports(
    result: SuiteResult,
    directory: str | os.PathLike[str],
    formats: Iterable[str] = FORMATS,
    secrets: Iterable[str] = (),
) -> dict[str, Path]:
    """Render ``result`` in each of ``formats`` into ``directory``; returns format -> path written.

    ``secrets`` (the API key, values of headers marked secret) are replaced by ``<redacted>``
    wherever they occur. A partial result is written like any other, marked partial.
    """
    selected = list(dict.fromkeys(formats))
    unknown = [name for name in selected if name not in FILENAMES]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    known = [secret for secret in secrets if secret]
    clean = scrub_result(result, known)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in selected:
        text = scrub_text(RENDERERS[name](clean), sorted(known, key=len, reverse=True), TEXT_REDACTED[name])
        path = folder / FILENAMES[name]
        write_atomically(path, text)
        written[name] = path
    return written
