"""report.html: self-contained, and working in a real headless chromium."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from report_support import chromium_missing, expect, opened_report, sample_result

from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.writer import write_reports


def test_page_loads_nothing_from_anywhere() -> None:
    page = render_html(sample_result())
    assert "default-src 'none'" in page
    assert not re.search(r"""(?:src|href)\s*=\s*(?!["']?#)""", page, re.IGNORECASE)  # only in-page anchors
    assert "@import" not in page and "url(" not in page


def test_page_marks_outcome_partial_and_stream_fault() -> None:
    page = render_html(sample_result(partial=True, internal_error=False))
    assert 'class="banner outcome-not-conformant"' in page
    assert "NOT CONFORMANT (partial) — 4 MUST, 1 SHOULD requirement(s) failed" in page
    assert 'id="partial-banner"' in page
    assert page.count('class="fault-marker"') == 3  # SSE-009, the cut SSE-002 and the SSE-004 warning
    assert "fault: #14 thread.run.completed" in page and "fault: end of stream" in page
    assert 'id="partial-banner"' not in render_html(sample_result())


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
def test_report_works_in_headless_chromium(tmp_path) -> None:
    path = write_reports(sample_result(), tmp_path, formats=["html"])["html"]
    with opened_report(path) as opened:
        page = opened.page
        assert page.locator("#verdict-banner h1").inner_text().startswith("RUN ERROR")
        assert page.locator("#shown-count").inner_text() == "39 of 39 requirements shown"

        curl = page.locator("#failure-REQ-002-1-curl")
        assert not curl.is_visible()
        page.click("#failure-REQ-002-1 > summary")
        expect(curl).to_be_visible()
        assert "Authorization: Bearer $OPENAI_API_KEY" in curl.inner_text()
        page.click("#failure-SSE-009-1 > summary")
        timeline = page.locator("#failure-SSE-009-1 svg.picture")
        expect(timeline).to_be_visible()
        assert "fault: #14 thread.run.completed" in timeline.text_content()

        page.select_option("#filter-verdict", "fail")
        assert page.locator("tbody.req:visible").count() == 5
        assert page.locator("#shown-count").inner_text() == "5 of 39 requirements shown"
        page.select_option("#filter-level", "SHOULD")
        assert [page.locator("tbody.req:visible b").inner_text()] == ["REQ-005"]
        page.select_option("#filter-verdict", "")
        page.select_option("#filter-level", "")
        page.fill("#filter-text", "Sent After Done")
        assert page.locator("tbody.req:visible").count() == 1
        page.fill("#filter-text", "")
        page.select_option("#filter-area", "streaming")
        assert page.locator("tbody.req:visible").count() == 11
        page.select_option("#filter-area", "")

        page.click('a.matrix-cell[href="#req-RUN-002"]')  # the matrix links to the requirement, opened
        expect(page.locator("#failure-RUN-002-1-curl")).to_be_visible()  # hashchange runs async

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert opened.problems == []
    assert opened.requested == [path.as_uri()]


def test_a_stream_without_events_still_renders() -> None:
    result = sample_result()
    item = next(item for item in result.results if item.requirement.id == "SSE-002")
    failure = item.failures[0]
    item.failures = [replace(failure, exchange=replace(failure.exchange, events=[], elapsed=0.0))]
    page = render_html(result)
    assert "stream timeline: 0 events" in page and "fault: end of stream" in page
    assert "SSE-002" in render_junit(result) and "SSE-002" in render_markdown(result)


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
def test_the_readme_screenshot_script_still_works(tmp_path: Path) -> None:
    """scripts/screenshot_report.py retakes the README's picture (here of the test sample)."""
    picture = tmp_path / "shot.png"
    completed = subprocess.run([sys.executable, "scripts/screenshot_report.py", "--output", str(picture)],
                               cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert picture.read_bytes().startswith(b"\x89PNG")
