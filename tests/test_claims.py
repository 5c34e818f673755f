"""Feature claims: the claims file, ``--without``, ``--certify``, and how reports show them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.core.catalogue import CATALOGUE
from conformance.core.claims import CLAIMABLE, OPTIONAL, Claims, ClaimsError, load_claims

GOOD = """
[server]
name = "acme-assistants"
version = "2.3.1"

[features]
streaming = false
file_search = false
code_interpreter = true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_claims_file_says_what_the_server_is_and_lacks(tmp_path: Path) -> None:
    claims = load_claims(write(tmp_path, GOOD))
    assert claims == Claims(frozenset({"streaming", "file_search"}), "acme-assistants", "2.3.1")
    assert claims.weakening == []  # both optional
    assert claims.without(["temperature"]).weakening == ["temperature"]


@pytest.mark.parametrize(("text", "expected"), [
    ("[features]\nstreeming = false\n", "features: unknown feature 'streeming'; known features: "),
    ("[features]\nstreaming = \"no\"\n", "features.streaming: Input should be a valid boolean"),
    ("[server]\nname = \"x\"\nowner = \"y\"\n", "server.owner: Extra inputs are not permitted"),
    ("[serve]\nname = \"x\"\n", "serve: Extra inputs are not permitted"),
    ("[features\n", "not TOML"),
    ("[server]\nspec_profile = \"v9\"\n", "server.spec_profile: unknown spec profile 'v9'"),
])
def test_a_bad_claims_file_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ClaimsError) as raised:
        load_claims(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message


def test_a_missing_claims_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ClaimsError, match="no such file"):
        load_claims(tmp_path / "nowhere.toml")


def test_every_feature_a_requirement_needs_can_be_claimed() -> None:
    assert {feature for requirement in CATALOGUE for feature in requirement.features} <= CLAIMABLE.keys()
    assert OPTIONAL <= CLAIMABLE.keys()


@pytest.mark.parametrize(("arguments", "expected"), [
    (["--without", "streeming"], "unknown feature 'streeming'"),
    (["--claims", "/nonexistent/claims.toml"], "no such file"),
    (["--certify", "--without", "temperature"], "--certify: leaving out temperature would weaken"),
    (["--certify", "--max-time", "5"], "--certify: --max-time would cut the run short"),
    (["--certify", "--profile", "quick"], "--certify: --profile quick"),
    (["--base-url", "http://127.0.0.1:9/v1", "--api-key", "k"], "--api-key: a secret shorter than 8 characters"),
    (["--base-url", "http://127.0.0.1:9/v1", "--header", "X-Token: abc", "--secret-header", "x-token"],
     "--header X-Token: a secret shorter than 8 characters"),
])
def test_claims_certify_and_secret_usage_errors(arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code = main(["run", *arguments, "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # refused before anything ran


def test_a_run_conformant_for_the_claimed_features_says_so_everywhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claims = write(tmp_path, GOOD)
    reports = tmp_path / "reports"
    code = main(["run", "--profile", "quick", "--seed", "2", "--claims", str(claims), "--without", "function",
                 "--report-dir", str(reports)])
    out = capsys.readouterr().out
    assert code == 0
    title = "CONFORMANT FOR THE CLAIMED FEATURES (not claimed: file_search, function, streaming)"
    assert f"verdict: {title}" in out

    report = json.loads((reports / "report.json").read_text())
    assert report["outcome"] == "conformant-for-claimed-features" and report["certification"] is False
    assert report["claims"] == {"server_name": "acme-assistants", "server_version": "2.3.1",
                                "unclaimed": ["file_search", "function", "streaming"]}
    assert report["spec_sha256"] and len(report["spec_sha256"]) == 64
    entries = {entry["id"]: entry for entry in report["requirements"]}
    assert entries["SSE-001"]["verdict"] == "unsupported" and "streaming" in entries["SSE-001"]["reasons"][0]
    assert report["counts"]["unsupported"] == 15

    skipped = {case.get("name").split(":")[0]: case.find("skipped")
               for case in ET.parse(reports / "junit.xml").getroot().iter("testcase")}
    assert "does not claim streaming" in skipped["SSE-001"].get("message")
    summary = (reports / "summary.md").read_text()
    assert title in summary and "Not judged, and why" in summary and "acme-assistants 2.3.1" in summary
    html = (reports / "report.html").read_text()
    assert "Why not judged" in html and "outcome-conformant-for-claimed-features" in html
