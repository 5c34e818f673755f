"""Write the selected report formats, atomically, with every known secret scrubbed.

Each file is written to a temporary file in the target directory and renamed over the
final name, so a reader (or a Ctrl-C) never sees half a report. The run's redactor scrubs
secrets twice: from the result before rendering (so escaping cannot hide one), then from the
rendered text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from conformance.core.redaction import REDACTED, Redactor
from conformance.core.results import SuiteResult
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
    redactor: Redactor = Redactor(),
) -> dict[str, Path]:
    """Render ``result`` in each of ``formats`` into ``directory``; returns format -> path written.

    The redactor's secrets (the API key, values of headers marked secret) are replaced by
    ``<redacted>`` wherever they occur. A partial result is written like any other, marked partial.
    """
    selected = list(dict.fromkeys(formats))
    unknown = [name for name in selected if name not in FILENAMES]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    clean = redactor.result(result)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in selected:
        text = redactor.text(RENDERERS[name](clean), TEXT_REDACTED[name])
        path = folder / FILENAMES[name]
        write_atomically(path, text)
        written[name] = path
    return written
