"""Issue 6 end to end: real `conformance run`s write every report format, each one checked.

Three runs, each made once per module: the embedded reference server (in process, its
generated key recorded as it is made), a server that breaks a stream rule and one that breaks
a REST rule (each in a subprocess, the key given by $OPENAI_API_KEY or --api-key). Every run
sends a custom header marked secret; neither its value nor the key may appear anywhere.
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Failure, JUnitXml
from report_support import chromium_missing, expect, opened_report

from broken import variants as rest_variants
from broken_streams import variants as stream_variants
from conformance.core.catalogue import CATALOGUE
from conformance.cli import main
from conformance.server.background import running_server
from reports.json_report import report_schema
from reports.writer import FILENAMES

HEADER_VALUE = "SECRETVALUE"
SEED = 5
ARGUMENTS = ["--profile", "quick", "--seed", str(SEED),
             "--header", f"X-Custom-Token: {HEADER_VALUE}", "--secret-header", "X-Custom-Token"]
REFERENCE, BROKEN_STREAM, BROKEN_REST = "reference", "events-after-done", "wrong-object"
RUNS = (REFERENCE, BROKEN_STREAM, BROKEN_REST)


@dataclass(frozen=True)
class Run:
    directory: Path
    exit_code: int
    output: str  # everything printed or logged
    secrets: tuple[str, ...]  # the key and the secret header's value
    fails: frozenset[str]  # the requirements the target breaks

    def report(self) -> dict[str, Any]:
        return json.loads((self.directory / "report.json").read_text(encoding="utf-8"))


def _embedded_run(directory: Path) -> Run:
    """`conformance run` with no target: the embedded server, whose key we record as it is made."""
    keys: list[str] = []
    make_key = secrets.token_urlsafe

    def recorded_key(nbytes: int | None = None) -> str:
        keys.append(make_key(nbytes))
        return keys[-1]

    printed, logged = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(logged)
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(printed), redirect_stderr(printed):
        patch.delenv("OPENAI_BASE_URL", raising=False)
        patch.delenv("OPENAI_API_KEY", raising=False)
        patch.setattr(secrets, "token_urlsafe", recorded_key)
        logging.getLogger().addHandler(handler)
        try:
            code = main(["run", *ARGUMENTS, "--report-dir", str(directory)])
        finally:
            logging.getLogger().removeHandler(handler)
    assert len(keys) == 1, "the embedded server's key was not made by secrets.token_urlsafe"
    return Run(directory, code, printed.getvalue() + logged.getvalue(), (keys[0], HEADER_VALUE), frozenset())


def _variant_run(name: str, directory: Path) -> Run:
    """`conformance run --base-url` against a broken variant, as a user runs it (own process and environment)."""
    environment = {variable: value for variable, value in os.environ.items()
                   if variable not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    if name == BROKEN_STREAM:
        variant = next(v for v in stream_variants.BROKEN if v.name == name)
        environment["OPENAI_API_KEY"], key_arguments = rest_variants.KEY, []
    else:
        variant = next(v for v in rest_variants.BROKEN if v.name == name)
        key_arguments = ["--api-key", rest_variants.KEY]
    with running_server(variant.build()) as base_url:
        completed = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--base-url", base_url, *ARGUMENTS,
             "--report-dir", str(directory), *key_arguments],
            capture_output=True, text=True, timeout=120, env=environment,
        )
    return Run(directory, completed.returncode, completed.stdout + completed.stderr,
               (rest_variants.KEY, HEADER_VALUE), variant.fails)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """``runs(name)``: that run, made on first use and kept for the module."""
    made: dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in made:
            directory = tmp_path_factory.mktemp(name)
            made[name] = _embedded_run(directory) if name == REFERENCE else _variant_run(name, directory)
        return made[name]

    return get


def _failing(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in report["requirements"] if item["verdict"] == "fail"]


def _is_stream(failure: dict[str, Any]) -> bool:
    evidence, example = failure["evidence"], failure["minimal_example"]
    return (evidence is not None and evidence["events"] is not None) or (
        isinstance(example, dict) and example.get("stream") is True)


@pytest.mark.parametrize("name", RUNS)
def test_every_format_is_written_and_the_verdicts_are_the_targets(name: str, runs: Callable[[str], Run]) -> None:
    run = runs(name)
    assert run.exit_code == (1 if run.fails else 0), run.output
    assert sorted(path.name for path in run.directory.iterdir()) == sorted(FILENAMES.values())  # no leftovers
    assert {item["id"] for item in _failing(run.report())} == run.fails


@pytest.mark.parametrize("name", RUNS)
def test_report_json_validates_against_the_shipped_schema(name: str, runs: Callable[[str], Run]) -> None:
    report = runs(name).report()
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert (report["profile"], report["seed"], report["partial"]) == ("quick", SEED, False)
    assert [item["id"] for item in report["requirements"]] == [requirement.id for requirement in CATALOGUE]


@pytest.mark.parametrize("name", RUNS)
def test_junit_has_one_testcase_per_requirement(name: str, runs: Callable[[str], Run]) -> None:
    run = runs(name)
    (suite,) = list(JUnitXml.fromfile(str(run.directory / "junit.xml")))
    cases = {case.name.split(":")[0]: case for case in suite}
    assert len(list(suite)) == suite.tests == len(cases) == len(CATALOGUE)
    assert set(cases) == {requirement.id for requirement in CATALOGUE}
    failed = {requirement_id for requirement_id, case in cases.items()
              if any(isinstance(outcome, Failure) for outcome in case.result)}
    assert failed == run.fails and suite.failures == len(run.fails)
    for requirement_id in failed:
        assert "curl -sS -i" in cases[requirement_id].result[0].text


@pytest.mark.parametrize("name", RUNS)
def test_every_failure_has_a_curl_reproducer_reading_the_key_from_the_environment(
        name: str, runs: Callable[[str], Run]) -> None:
    run = runs(name)
    failures = [failure for item in _failing(run.report()) for failure in item["failures"]]
    assert bool(failures) == bool(run.fails)
    for failure in failures:
        curl = failure["reproducer"]["curl"]
        command = next(line for line in curl.splitlines() if "curl -sS -i" in line)
        assert (" -N" in command) == _is_stream(failure), curl
        assert ': Bearer $OPENAI_API_KEY"' in curl, curl
        assert ': $X_CUSTOM_TOKEN"' in curl, curl  # the secret header was sent, and is read from a variable
    if name == BROKEN_STREAM:
        assert failures and all(_is_stream(failure) for failure in failures)
    summary = (run.directory / "summary.md").read_text(encoding="utf-8")
    assert ("Bearer $OPENAI_API_KEY" in summary) == bool(run.fails)


@pytest.mark.parametrize("name", RUNS)
def test_neither_the_key_nor_the_secret_header_appears_anywhere(name: str, runs: Callable[[str], Run]) -> None:
    run = runs(name)
    assert run.output and all(run.secrets)
    texts = {path.name: path.read_text(encoding="utf-8") for path in run.directory.iterdir()}
    texts["stdout and stderr"] = run.output
    for where, text in texts.items():
        for secret in run.secrets:
            assert secret not in text, f"a secret is in {where}"


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
@pytest.mark.parametrize("name", RUNS)
def test_the_html_report_works_in_headless_chromium(name: str, runs: Callable[[str], Run], tmp_path: Path) -> None:
    run = runs(name)
    report = run.report()
    path = run.directory / "report.html"
    timelines = 0
    with opened_report(path) as opened:
        page = opened.page
        headline = page.locator("#verdict-banner h1").inner_text()
        assert headline.startswith(report["outcome"].replace("-", " ").upper()), headline
        total = len(CATALOGUE)
        assert page.locator("#shown-count").inner_text() == f"{total} of {total} requirements shown"
        for item in _failing(report):
            anchor = f"#failure-{item['id']}-1"
            curl = page.locator(f"{anchor}-curl")
            assert not curl.is_visible()
            page.click(f"{anchor} > summary")
            expect(curl).to_be_visible()
            assert "Bearer $OPENAI_API_KEY" in curl.inner_text()
            if _is_stream(item["failures"][0]):
                timeline = page.locator(f"{anchor} svg.picture")
                expect(timeline).to_be_visible()
                assert "fault: #" in timeline.text_content()
                timelines += 1
        page.select_option("#filter-verdict", "fail")
        assert page.locator("tbody.req:visible").count() == len(run.fails)
        # Real evidence (long JSON without spaces) wraps inside the page instead of widening it.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert opened.problems == []
    assert opened.requested == [path.as_uri()]
    assert (timelines > 0) == (name == BROKEN_STREAM)


def test_conformance_report_rerenders_the_saved_report_as_it_was(
        runs: Callable[[str], Run], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    run = runs(BROKEN_STREAM)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = main(["report", str(run.directory / "report.json"), "--format", "html", "--output-dir", str(tmp_path)])
    assert code == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "report.html")]
    assert [path.name for path in tmp_path.iterdir()] == ["report.html"]
    assert (tmp_path / "report.html").read_bytes() == (run.directory / "report.html").read_bytes()
