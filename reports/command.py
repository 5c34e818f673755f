"""``conformance report PATH/report.json``: re-render a saved report in other formats."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reports.writer import FORMATS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", type=Path, help="a report.json written by `conformance run`")
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=FORMATS,
        help="format to write (repeatable; default: all)",
    )
    parser.add_argument(
        "--output-dir", type=Path, help="where to write (default: the directory of the report)"
    )


def execute(args: argparse.Namespace) -> int:
    from conformance.core.errors import ReportError
    from conformance.core.redaction import Redactor
    from reports.json_report import load_report
    from reports.writer import write_reports

    try:
        result = load_report(args.report)
    except ReportError as error:
        print(f"conformance report: error: {error}", file=sys.stderr)
        return 2
    directory = args.output_dir or args.report.parent
    # A saved report is already scrubbed; the key in this shell's environment is scrubbed again.
    redactor = Redactor.of([os.environ.get("OPENAI_API_KEY")])
    try:
        written = write_reports(result, directory, args.formats or FORMATS, redactor)
    except OSError as error:
        print(
            f"conformance report: error: cannot write to {directory}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    for path in written.values():
        print(path)
    return 0
