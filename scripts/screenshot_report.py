"""Screenshot report.html in headless chromium for the README (docs/report-screenshot.png).

    python scripts/screenshot_report.py [REPORT_JSON] [--output PNG]

Without REPORT_JSON it renders the synthetic result the tests use. The page is shown with
the verdict filter on "fail" and the first stream failure expanded (its timeline visible).
Needs Debian's chromium and the playwright package (no browser download).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # report_support: the sample result and the browser

from report_support import DEBUG_TOKEN, KEY, chromium_missing, chromium_page, sample_result  # noqa: E402

from reports.json_report import load_report  # noqa: E402
from reports.writer import write_reports  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, help="a report.json (default: the test sample)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report-screenshot.png")
    args = parser.parse_args()
    missing = chromium_missing()
    if missing:
        print(f"cannot take the screenshot: {missing}", file=sys.stderr)
        return 2
    result = load_report(args.report) if args.report else sample_result(internal_error=False)
    with tempfile.TemporaryDirectory() as directory:
        # The sample's planted secrets are scrubbed as a run's would be.
        page_path = write_reports(result, directory, formats=["html"], secrets=[KEY, DEBUG_TOKEN])["html"]
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
