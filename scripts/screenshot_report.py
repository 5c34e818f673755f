"""Screenshot report.html in headless chromium for the README (docs/report-screenshot.png).

    python scripts/screenshot_report.py [REPORT_JSON | --variant NAME [--report-dir DIR]] [--output PNG]

REPORT_JSON: a saved report. --variant: a real `conformance run` (quick profile, seed 1)
against that broken stream variant of tests/broken_streams (the README's picture comes from
`--variant goes-silent`); --report-dir keeps that run's four reports. Neither: the
synthetic result the tests use. The page is shown with the verdict filter on "fail" and the
first stream failure expanded (its timeline visible). Needs Debian's chromium and the
playwright package (no browser download).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # report_support: the sample result and the browser

from report_support import DEBUG_TOKEN, KEY, chromium_missing, chromium_page, sample_result  # noqa: E402

from conformance.core.redaction import Redactor  # noqa: E402
from conformance.core.results import SuiteResult  # noqa: E402
from reports.json_report import load_report  # noqa: E402
from reports.writer import write_reports  # noqa: E402

VARIANT_SEED = 1


def run_against_variant(name: str, report_dir: Path) -> SuiteResult:
    """`conformance run` against the broken stream variant ``name``; its report as saved."""
    from broken.variants import KEY as VARIANT_KEY
    from broken_streams.variants import BROKEN
    from conformance.cli import main as conformance
    from conformance.server.background import running_server

    variant = next((v for v in BROKEN if v.name == name), None)
    if variant is None:
        raise SystemExit(f"no broken stream variant {name!r}; one of: {', '.join(v.name for v in BROKEN)}")
    with running_server(variant.build()) as base_url:
        # Short stream deadlines: a variant that stalls (goes-silent, never-ends) is cut in a second, not 30.
        code = conformance(["run", "--base-url", base_url, "--api-key", VARIANT_KEY, "--profile", "quick",
                            "--model", "gpt-4o", "--model", "gpt-4o-mini",
                            "--seed", str(VARIANT_SEED), "--stream-idle", "1", "--stream-total", "5",
                            "--report-dir", str(report_dir)])
    if code not in (0, 1):
        raise SystemExit(f"conformance run exited {code}")
    return load_report(report_dir / "report.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("report", nargs="?", type=Path, help="a report.json (default: the test sample)")
    source.add_argument("--variant", metavar="NAME", help="run the suite against this broken stream variant")
    parser.add_argument("--report-dir", type=Path, help="with --variant: keep the run's reports here")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report-screenshot.png")
    args = parser.parse_args()
    if args.report_dir and not args.variant:
        parser.error("--report-dir keeps the reports of a --variant run")
    missing = chromium_missing()
    if missing:
        print(f"cannot take the screenshot: {missing}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as directory:
        if args.variant:
            result = run_against_variant(args.variant, args.report_dir or Path(directory) / "run")
        else:
            result = load_report(args.report) if args.report else sample_result(internal_error=False)
        # The sample's planted secrets are scrubbed as a run's would be.
        page_path = write_reports(result, directory, formats=["html"],
                                  redactor=Redactor.of([KEY, DEBUG_TOKEN]))["html"]
        with chromium_page() as page:
            page.goto(page_path.as_uri())
            page.select_option("#filter-verdict", "fail")
            stream_failure = page.locator(
                "tbody.req:visible details.failure:has(svg.picture) > summary"
            ).first
            if stream_failure.count():
                stream_failure.click()
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.output), full_page=True)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
