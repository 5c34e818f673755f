"""The CLI against hostile targets, one misbehaviour each, as a user would run it.

For every mode: the exit code (1 for a misbehaving target, 3 when nothing could be judged), a
wall time bounded by the configured deadlines, peak memory and report size under their caps, no
traceback, the key in no form in any file or output, markup the target injected escaped, and no
request outside the base URL.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.server import ServerConfig, create_app
from conformance.server.background import running_server
from hostile import modes
from hostile.modes import KEY, Cookies
from hostile.proxy import HostileProxy, Mode

MAX_RSS = 300 * 1024 * 1024
MAX_REPORT = 10 * 1024 * 1024
QUICK = ["--profile", "quick", "--seed", "1"]
SHORT = ["--request-timeout", "2", "--poll-timeout", "4"]  # for the modes whose point is time


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int
    files: dict[str, bytes]
    requests: list[Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> dict[str, str]:
        return {"stdout": self.stdout, "stderr": self.stderr,
                **{name: content.decode("utf-8", "replace") for name, content in self.files.items()}}

    def report(self) -> dict[str, Any]:
        return json.loads(self.files["report.json"])


@contextmanager
def hostile(mode: Mode) -> Iterator[tuple[str, HostileProxy]]:
    with running_server(create_app(ServerConfig(api_key=KEY))) as backend:
        proxy = HostileProxy(backend, mode)
        with proxy.serving() as base_url:
            yield base_url, proxy


# ``conformance run`` as the command runs it, writing the process's peak resident memory (VmHWM:
# the new process's own, which getrusage is not: it keeps the forking parent's peak) when it ends.
LAUNCHER = r"""
import atexit, pathlib, re, runpy, sys
def peak(path=pathlib.Path(sys.argv[1])):
    status = pathlib.Path("/proc/self/status").read_text()
    path.write_text(re.search(r"VmHWM:\s*(\d+) kB", status).group(1))
atexit.register(peak)
sys.argv = ["conformance", *sys.argv[2:]]
runpy.run_module("conformance.cli", run_name="__main__")
"""


def run_cli(base_url: str, report_dir: Path, arguments: list[str],
            signal_after: tuple[float, int] | None = None) -> tuple[int, str, str, float, int]:
    """``conformance run`` in a process of its own: exit code, outputs, seconds, peak RSS (bytes)."""
    folder = report_dir.parent
    command = [sys.executable, "-c", LAUNCHER, str(folder / "peak"), "run", "--base-url", base_url,
               "--report-dir", str(report_dir), *arguments]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "OPENAI_API_KEY": KEY})
    if signal_after is not None:
        delay, signum = signal_after
        time.sleep(delay)
        process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=180)
    finally:
        process.kill()  # a hang fails the test, it never blocks the suite
    seconds = time.monotonic() - started
    peak = int((folder / "peak").read_text()) * 1024
    return process.returncode, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), seconds, peak


def certify(mode: Mode, tmp_path: Path, arguments: list[str] = QUICK,
            signal_after: tuple[float, int] | None = None) -> Run:
    with hostile(mode) as (base_url, proxy):
        code, stdout, stderr, seconds, peak = run_cli(base_url, tmp_path / "report", arguments, signal_after)
    files = {path.name: path.read_bytes() for path in (tmp_path / "report").glob("*")} if (
        tmp_path / "report").exists() else {}
    return Run(code, stdout, stderr, seconds, peak, files, proxy.requests)


# --- what every run must hold ----------------------------------------------------------------

def key_leaks(text: str) -> list[str]:
    """Pieces of the key found in ``text`` as it is, URL-decoded, JSON-unescaped, or base64-encoded."""
    decoded = [text, urllib.parse.unquote(text),
               re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)]
    leaks = [KEY[i:i + 8] for i in range(len(KEY) - 7) if any(KEY[i:i + 8] in form for form in decoded)]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + KEY.encode()).decode()[offset + 1:-4]
        leaks += [encoded[i:i + 12] for i in range(0, len(encoded) - 11, 4) if encoded[i:i + 12] in text]
    return leaks


def assert_hygiene(run: Run) -> None:
    for name, text in run.outputs.items():
        assert key_leaks(text) == [], name
        assert "Traceback" not in text, (name, text[-2000:])
    assert run.peak_rss < MAX_RSS, f"peak RSS {run.peak_rss / 2**20:.0f} MiB"
    assert sum(len(content) for content in run.files.values()) < MAX_REPORT
    outside = [request.target for request in run.requests if not request.path.startswith("/v1/")
               or {".", ".."} & set(request.path.split("/")) or "steal" in request.target.partition("?")[2]]
    assert outside == []  # an id the target chose is one path segment, never a path, a query or a fragment
    if "report.json" in run.files:
        report = run.report()
        assert report["internal_errors"] == [], report["internal_errors"]
        assert not (report["outcome"] == "conformant" and report["partial"] and report["not_judged"])


def failed(run: Run) -> set[str]:
    return {item["id"] for item in run.report()["requirements"] if item["verdict"] == "fail"}


# --- the modes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    mode: Callable[[], Mode]
    code: int
    arguments: list[str] = field(default_factory=lambda: QUICK)
    seconds: float = 60.0
    fails: frozenset[str] = frozenset()  # requirements that must fail (at least)
    says: str = ""  # in stderr


CASES = [
    Case("event-flood", lambda: Mode(answer=modes.flood_for_streams), 1, fails=frozenset({"SSE-010"})),
    Case("gzip-bomb", lambda: Mode(answer=modes.bomb_for_create), 1, fails=frozenset({"RUN-001"})),
    Case("nested-encoding", lambda: Mode(answer=modes.nested_encoding), 1, fails=frozenset({"RUN-001"})),
    Case("huge-values", lambda: Mode(rewrite=modes.huge_values), 1, fails=frozenset({"ERR-001"})),
    Case("trickled-headers", lambda: modes.on_create(modes.trickled_headers), 1, QUICK + SHORT, seconds=60,
         fails=frozenset({"REQ-001"})),
    Case("early-hints", lambda: modes.on_create(modes.early_hints_forever), 1, QUICK + SHORT, seconds=60,
         fails=frozenset({"REQ-001"})),
    Case("rate-limits-everything", lambda: modes.rate_limit_for(lambda request: True), 3, seconds=30,
         says="429"),
    Case("rate-limits-the-runs", lambda: modes.rate_limit_for(modes.creates_run), 3, seconds=90, says="429"),
    Case("rate-limits-the-cleanup", lambda: modes.rate_limit_for(lambda r: r.method == "DELETE"), 0, seconds=60,
         says="could not delete"),
    Case("goes-away", lambda: Mode(stop_after=25), 3, seconds=60, says="cannot connect to the target"),
    Case("echoes-the-key", lambda: Mode(rewrite=modes.echo_key), 1, fails=frozenset({"ERR-001"})),
    Case("bad-json", lambda: Mode(rewrite=modes.bad_json), 1, fails=frozenset({"RUN-002"})),
    Case("hostile-ids", lambda: Mode(rewrite=modes.hostile_ids), 1, fails=frozenset({"RUN-002"})),
    Case("injection", lambda: Mode(rewrite=modes.injection), 1, fails=frozenset({"REQ-002"})),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_hostile_target(case: Case, tmp_path: Path) -> None:
    run = certify(case.mode(), tmp_path, case.arguments)
    assert run.code == case.code, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.seconds < case.seconds
    assert_hygiene(run)
    assert case.says in run.stderr
    if case.code != 3 or "report.json" in run.files:
        assert case.fails <= failed(run), failed(run)
    if case.code == 3 and "report.json" in run.files:
        assert run.report()["outcome"] == "error" and run.report()["not_judged"]


def test_cookies_are_never_sent_back(tmp_path: Path) -> None:
    cookies = Cookies()
    run = certify(Mode(rewrite=cookies.rewrite), tmp_path)
    assert run.code == 0, run.stdout[-3000:]
    assert_hygiene(run)
    assert cookies.sent_back == []


def test_injected_markup_is_escaped_everywhere(tmp_path: Path) -> None:
    run = certify(Mode(rewrite=modes.injection), tmp_path)
    for name in ("stdout", "stderr"):
        assert not set("\x1b\x07\x9b\x00\u202e") & set(run.outputs[name]), name
    markdown = run.files["summary.md"].decode()
    assert "[click me](" not in markdown and "<img" not in markdown and "<script" not in markdown
    html = run.files["report.html"].decode()
    assert "<img src=x" not in html and "<script>alert" not in html and "\x1b" not in html
    ET.fromstring(run.files["junit.xml"])  # well-formed, whatever the target sent
    assert "click me" in markdown and "click me" in html  # shown, as text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_stuck_run_with_a_partial_report_and_cleans_up(signum: int, tmp_path: Path) -> None:
    run = certify(modes.on_create(modes.trickled_headers), tmp_path, QUICK, signal_after=(4.0, signum))
    assert run.code == 130 and run.seconds < 4.0 + 10.0
    assert_hygiene(run)
    report = run.report()
    assert report["partial"] and report["outcome"] != "conformant" and report["not_judged"]
    deleted = [request for request in run.requests if request.method == "DELETE"]
    assert len(deleted) == 2  # the suite's two assistants


def test_credentials_in_the_base_url_are_refused_and_never_printed(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--base-url",
                                f"http://user:{KEY}@127.0.0.1:9/v1", "--report-dir", str(tmp_path)],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and "credentials in the URL" in completed.stderr
    assert key_leaks(completed.stdout + completed.stderr) == []


def test_a_signal_during_setup_still_writes_a_report_and_deletes_what_was_created(tmp_path: Path) -> None:
    created: list[str] = []

    def second_assistant_never_comes(request: Any) -> Any:
        if request.method == "POST" and request.path == "/v1/assistants":
            created.append(request.path)
            if len(created) == 2:
                return modes.trickled_headers
        return None

    run = certify(Mode(answer=second_assistant_never_comes), tmp_path, QUICK, signal_after=(2.0, signal.SIGINT))
    assert run.code == 130 and run.seconds < 2.0 + 10.0
    assert_hygiene(run)
    report = run.report()
    # GET /models, two POST /assistants (the second never answered), one DELETE
    assert report["partial"] and report["not_judged"] and report["requests_sent"] <= 4
    assert [request.method for request in run.requests if request.method == "DELETE"] == ["DELETE"]
