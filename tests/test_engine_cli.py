"""``conformance run``: exit codes, reports, secrets, reproducibility and budgets."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from broken.middleware import NOT_JSON, Answer, Call, Rewrite
from broken.variants import BROKEN, KEY, reference
from conformance.cli import main
from conformance.core.catalogue import CATALOGUE
from conformance.engine.client import ClientConfig
from conformance.engine.runner import RunConfig, run_suite
from conformance.server.background import free_port, running_server
from engine_support import POLL_TIMEOUT, TEST_PROFILE, certify, counted


def test_the_embedded_reference_server_is_certified(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--profile", "quick", "--seed", "3", "--report-dir", str(tmp_path), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["seed"] == 3
    assert "AUTH-001" in out and "requests in" in out


def test_a_broken_target_exits_1_and_the_key_appears_nowhere(tmp_path: Path) -> None:
    variant = next(v for v in BROKEN if v.name == "wrong-object")
    with running_server(variant.build()) as base_url:
        completed = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--base-url", base_url, "--profile", "quick",
             "--seed", "1", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=120, env={**os.environ, "OPENAI_API_KEY": KEY},
        )
    assert completed.returncode == 1, completed.stderr
    assert "RUN-001" in completed.stdout and "fail" in completed.stdout
    written = [path.read_text() for path in tmp_path.iterdir()]
    assert {path.name for path in tmp_path.iterdir()} >= {"report.json"}
    for text in [completed.stdout, completed.stderr, *written]:
        assert KEY not in text


def test_an_unreachable_target_exits_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["run", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3
    assert "cannot reach the target" in err and "Traceback" not in err


@pytest.mark.parametrize("arguments", [
    ["--header", "no colon here"],
    ["--max-requests", "-1"],
    ["--concurrency", "0"],
    ["--max-time", "soon"],
    ["--profile", "exhaustive"],
    ["--base-url", "ftp://example.com/v1"],
])
def test_usage_errors_exit_2_without_a_traceback(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code = main(["run", *arguments])
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "error" in err and "Traceback" not in err


def recording() -> tuple[Rewrite, list[str]]:
    """The reference server, recording every createThreadAndRun body, assistant ids numbered in
    the order the suite created them (ids are random, the rest of a body must not be)."""
    bodies: list[str] = []
    assistants: list[str] = []

    def on_request(call: Call) -> None:
        if call.method == "POST" and call.path == "/v1/threads/runs":
            text = json.dumps(call.body, sort_keys=True) if call.body is not NOT_JSON else "<not json>"
            for number, assistant_id in enumerate(assistants):
                text = text.replace(assistant_id, f"<assistant {number}>")
            bodies.append(text)

    def on_response(call: Call, answer: Answer) -> None:
        if call.method == "POST" and call.path == "/v1/assistants":
            assistants.append(answer.body["id"])

    app = Rewrite(reference(), on_request=on_request, on_response=on_response)
    app.state["assistants"] = assistants
    return app, bodies


def test_the_same_seed_sends_the_same_requests() -> None:
    sent = []
    for seed in (11, 11, 12):
        app, bodies = recording()
        certify(app, seed=seed)
        sent.append(sorted(bodies))
    first, again, other = sent
    assert first == again
    assert first != other


def test_the_request_budget_makes_a_partial_result() -> None:
    result = certify(reference(), max_requests=15)
    assert result.partial
    assert result.requests_sent <= 15 + 4  # setup and teardown (two assistants) are not budgeted


def test_the_standard_profile_certifies_the_reference_server_on_every_requirement(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--seed", "2", "--report-dir", str(tmp_path), "--format", "json"])
    capsys.readouterr()
    report = json.loads((tmp_path / "report.json").read_text())
    assert code == 0
    verdicts = {item["id"]: item["verdict"] for item in report["requirements"]}
    assert verdicts == {requirement.id: "pass" for requirement in CATALOGUE}


def test_the_suites_assistants_are_deleted_and_a_given_one_is_kept() -> None:
    app, _ = recording()
    with running_server(app) as base_url:
        headers = {"Authorization": f"Bearer {KEY}"}
        own = httpx.post(f"{base_url}/assistants", json={"model": "gpt-4o", "instructions": "mine"},
                         headers=headers).json()["id"]
        config = RunConfig(client=ClientConfig(base_url=base_url, api_key=KEY), profile=TEST_PROFILE, seed=3,
                           poll_timeout=POLL_TIMEOUT, assistant_id=own, properties=counted())
        given = run_suite(config)
        created = run_suite(dataclasses.replace(config, assistant_id=None))
        suite_ids = [i for i in app.state["assistants"] if i != own]
        assert httpx.get(f"{base_url}/assistants/{own}", headers=headers).status_code == 200
        assert [httpx.get(f"{base_url}/assistants/{i}", headers=headers).status_code for i in suite_ids] == [404, 404]
    for result in (given, created):
        assert result.exit_code(strict=True) == 0, [r.failures[0].finding for r in result.results if r.failures]
