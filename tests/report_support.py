"""A synthetic SuiteResult for the report tests (and scripts/screenshot_report.py), and a headless browser.

The result holds one of everything a report must show: passes, a MUST failure on a plain
request, stream failures (a located fault and a cut stream), a warning, a SHOULD failure
with a raw body, a failure seen on a follow-up request, not-exercised requirements and an
error. A known key is planted where redaction at the source would miss it, so the tests
can prove the writer scrubs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.core import catalogue
from conformance.core.observation import Exchange, StreamEvent
from conformance.core.redaction import Redactor
from conformance.core.findings import Finding, Severity
from conformance.core.results import FailureRecord, RequirementResult, SuiteResult, Verdict

KEY = "sk-test-PLANTED0123456789abcdefKEY"
DEBUG_TOKEN = "dbg-PLANTED-token-77"  # a custom header value the user marks secret
BASE_URL = "http://127.0.0.1:9/v1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RAW_BODY = "not json \x00 @file 'quoted' \"double\" $HOME `tick` \\ % ü\n"


def _headers(**extra: str) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {KEY}",
        "OpenAI-Beta": "assistants=v2",
        "OpenAI-Organization": "org-planted",
        "Content-Type": "application/json",
        "Content-Length": "123",
        "Accept-Encoding": "gzip",
        "X-Debug-Token": DEBUG_TOKEN,
    }
    headers.update(extra)
    return Redactor().headers(headers)  # as the engine does: Authorization & friends never stored


def _event(name: str, data: Any, at: float) -> StreamEvent:
    return StreamEvent(name, data if isinstance(data, str) else json.dumps(data), at)


def stream_events(extra_after_done: bool) -> list[StreamEvent]:
    run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1"}
    events = [
        _event("thread.created", {"id": "thread_1", "object": "thread"}, 0.05),
        _event("thread.run.created", run | {"status": "queued"}, 0.07),
        _event("thread.run.queued", run | {"status": "queued"}, 0.08),
        _event("thread.run.in_progress", run | {"status": "in_progress"}, 0.12),
        _event("thread.run.step.created", {"id": "step_1", "object": "thread.run.step"}, 0.2),
        _event("thread.message.created", {"id": "msg_1", "object": "thread.message"}, 0.22),
    ]
    events += [
        _event(
            "thread.message.delta",
            {"id": "msg_1", "delta": {"content": [{"text": {"value": w}}]}},
            0.3 + i * 0.05,
        )
        for i, w in enumerate(["Hel", "lo ", "wor", "ld"])
    ]
    events += [
        _event("thread.message.completed", {"id": "msg_1", "object": "thread.message"}, 0.55),
        _event("thread.run.step.completed", {"id": "step_1", "object": "thread.run.step"}, 0.56),
        _event("thread.run.completed", run | {"status": "completed"}, 0.6),
    ]
    if extra_after_done:
        events += [
            _event("done", "[DONE]", 0.61),
            _event("thread.run.completed", run | {"status": "completed"}, 0.7),
        ]
    return events


def _stream_exchange(events: list[StreamEvent], body: dict[str, Any]) -> Exchange:
    return Exchange(
        method="POST",
        url=f"{BASE_URL}/threads/runs",
        request_headers=_headers(),
        request_body=body,
        status=200,
        response_headers={"content-type": "text/event-stream; charset=utf-8"},
        events=events,
        elapsed=events[-1].at + 0.05,
    )


def _result(
    requirement_id: str, verdict: Verdict, exercised: int, *failures: FailureRecord
) -> RequirementResult:
    return RequirementResult(catalogue.get(requirement_id), verdict, exercised, list(failures))


def failures_by_id() -> dict[str, RequirementResult]:
    bad_temperature = {"assistant_id": "asst_1", "temperature": 3}
    run_body = json.dumps({"id": "run_9", "object": "thread.run", "status": "queued", "temperature": 3})
    stream_body = {"assistant_id": "asst_1", "stream": True}
    after_done = stream_events(extra_after_done=True)
    cut = stream_events(extra_after_done=False)[:-2]
    rejected = Exchange(
        "POST",
        f"{BASE_URL}/threads/runs",
        _headers(),
        bad_temperature,
        200,
        {"content-type": "application/json", "x-echo-key": KEY},
        run_body,
        elapsed=0.04,
    )
    raw = Exchange(
        "POST",
        f"{BASE_URL}/threads/runs",
        _headers(**{"Content-Type": "text/plain"}),
        RAW_BODY,
        500,
        {"content-type": "text/plain"},
        f"Internal Server Error (Incorrect API key provided: {KEY})",
        elapsed=0.02,
    )
    follow_up = Exchange(
        "GET",
        f"{BASE_URL}/threads/thread_1/runs/run_1",
        _headers(),
        None,
        404,
        {"content-type": "application/json"},
        json.dumps(
            {
                "error": {
                    "message": "No run found",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            }
        ),
        elapsed=0.01,
    )
    return {
        "REQ-002": _result(
            "REQ-002",
            Verdict.FAIL,
            40,
            FailureRecord(
                Finding(
                    catalogue.get("REQ-002"), "temperature 3 (maximum 2) was accepted with 200", expected=400,
                    observed=200
                ),
                bad_temperature,
                rejected,
            ),
        ),
        "REQ-005": _result(
            "REQ-005",
            Verdict.FAIL,
            6,
            FailureRecord(
                Finding(
                    catalogue.get("REQ-005"),
                    f"a body that is not JSON got 500 (server said: Incorrect API key provided: {KEY})",
                    expected=400,
                    observed=500,
                ),
                RAW_BODY,
                raw,
            ),
        ),
        "RUN-002": _result(
            "RUN-002",
            Verdict.FAIL,
            12,
            FailureRecord(
                Finding(catalogue.get("RUN-002"), "GET of the created run answered 404", expected=200, observed=404),
                {"assistant_id": "asst_1"},
                follow_up,
            ),
        ),
        "SSE-009": _result(
            "SSE-009",
            Verdict.FAIL,
            9,
            FailureRecord(
                Finding(
                    catalogue.get("SSE-009"),
                    "an event was sent after done",
                    expected="nothing after done",
                    observed={"event": "thread.run.completed", "index": len(after_done) - 1},
                    event_index=len(after_done) - 1,
                ),
                stream_body,
                _stream_exchange(after_done, stream_body),
            ),
        ),
        "SSE-002": _result(
            "SSE-002",
            Verdict.FAIL,
            9,
            FailureRecord(
                Finding(catalogue.get("SSE-002"), "the stream ended without a terminal run event or done (cut short)"),
                stream_body,
                _stream_exchange(cut, stream_body),
            ),
        ),
        "SSE-004": _result(
            "SSE-004",
            Verdict.WARN,
            9,
            FailureRecord(
                Finding(
                    catalogue.get("SSE-004"),
                    "unknown event name thread.run.vendor_extension",
                    severity=Severity.WARN,
                    observed="thread.run.vendor_extension",
                    event_index=3,
                ),
                stream_body,
                _stream_exchange(stream_events(False), stream_body),
            ),
        ),
        "SDK-001": _result("SDK-001", Verdict.ERROR, 0),
        "AUTH-001": _result("AUTH-001", Verdict.NOT_EXERCISED, 0),
        "LIFE-005": _result("LIFE-005", Verdict.NOT_EXERCISED, 0),
    }


def sample_result(partial: bool = False, internal_error: bool = True) -> SuiteResult:
    special = failures_by_id()
    results = [special.get(r.id) or _result(r.id, Verdict.PASS, 10) for r in catalogue.CATALOGUE]
    return SuiteResult(
        suite_version="0.1.0",
        spec_commit="0123abcd",
        profile="standard",
        seed=1234,
        base_url=BASE_URL,
        started_at=1_700_000_000.0,
        duration=42.5,
        results=results,
        partial=partial,
        internal_errors=[f"SDK-001: replaying a stream raised RuntimeError (key {KEY})"]
        if internal_error
        else [],
        requests_sent=321,
    )


def chromium_missing() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def expect(locator: Any) -> Any:
    """Playwright's retrying assertion: what a click reveals may appear only after an event
    handler has run (the report opens a failure on ``hashchange``, which fires asynchronously)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A Playwright page in the Debian chromium (no browser download, no network)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


@dataclass
class OpenedReport:
    page: Any
    problems: list[str] = field(default_factory=list)  # console errors and warnings, page errors, failed loads
    requested: list[str] = field(default_factory=list)  # every URL the page asked for, itself included


@contextmanager
def opened_report(path: Path) -> Iterator[OpenedReport]:
    """report.html at ``path`` loaded in headless chromium, every console problem and request recorded."""
    with chromium_page() as page:
        opened = OpenedReport(page)
        page.on(
            "console",
            lambda message: message.type in ("error", "warning") and opened.problems.append(message.text),
        )
        page.on("pageerror", lambda error: opened.problems.append(str(error)))
        page.on("requestfailed", lambda request: opened.problems.append(f"failed: {request.url}"))
        page.on("request", lambda request: opened.requested.append(request.url))
        page.goto(path.as_uri())
        yield opened
