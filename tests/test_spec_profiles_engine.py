"""Spec profiles end to end: the request surface a server is judged against, chosen on the command
line or in a claims file, decides what is sent (and with which OpenAI-Beta header) and what the
answers must be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from broken.middleware import Middleware
from broken.variants import reference
from conformance.cli import main
from conformance.core.results import Verdict
from conformance.core.spec.profiles import SPEC_PROFILES, get_profile
from conformance.run_command import SPEC_PROFILE_NAMES
from engine_support import TEST_EXAMPLES, certify, first_failure, verdicts

WITH_STREAMS = {**TEST_EXAMPLES, "accept-stream": 2, "tool-round-trip-stream": 1}


class Headers(Middleware):
    """Remembers the OpenAI-Beta header of every request."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.state.setdefault("beta", set()).add(dict(scope["headers"]).get(b"openai-beta", b"").decode())
        await self.app(scope, receive, send)


def test_a_2024q2_server_passes_under_its_profile_and_fails_under_the_current_one() -> None:
    """A server of the mid-2024 surface refuses parallel_tool_calls, which it does not know."""
    own = Headers(reference(spec_profile="v2-2024Q2"))
    result = certify(own, spec_profile=get_profile("v2-2024Q2"), counts=WITH_STREAMS)
    assert result.internal_errors == [] and verdicts(result, Verdict.FAIL) == set()
    assert result.exit_code(strict=True) == 0 and result.spec_profile == "v2-2024Q2"
    assert own.state["beta"] == {"assistants=v2"}

    current = certify(reference(spec_profile="v2-2024Q2"))
    assert {"REQ-001", "RUN-001"} <= verdicts(current, Verdict.FAIL)
    refused = first_failure(current, "REQ-001")
    assert "parallel_tool_calls" in json.dumps(refused.request) and "parallel_tool_calls" in refused.finding.message


def test_a_current_server_fails_under_v1() -> None:
    """v1 bodies (retrieval tools, message file_ids) are not v2's: the profile is no formality."""
    result = certify(reference(), spec_profile=get_profile("v1"))
    assert "REQ-001" in verdicts(result, Verdict.FAIL)


def test_the_reference_server_under_v1_passes_a_v1_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--profile", "quick", "--seed", "4", "--spec-profile", "v1", "--report-dir", str(tmp_path),
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["spec_profile"] == "v1" and report["outcome"] == "conformant"
    assert "spec profile v1" in err and "verdict: CONFORMANT" in out


def test_v1_requests_carry_the_v1_header() -> None:
    app = Headers(reference(spec_profile="v1"))
    result = certify(app, spec_profile=get_profile("v1"), counts={"accept": 2})
    assert verdicts(result, Verdict.FAIL) == set() and app.state["beta"] == {"assistants=v1"}


def test_the_claims_file_names_the_profile_and_the_flag_must_agree(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    claims = tmp_path / "claims.toml"
    claims.write_text('[server]\nspec_profile = "v1"\n', encoding="utf-8")
    code = main(["run", "--claims", str(claims), "--spec-profile", "v2-current", "--report-dir", str(tmp_path / "r")])
    assert code == 2 and "the claims file says v1" in capsys.readouterr().err
    code = main(["run", "--profile", "quick", "--seed", "4", "--claims", str(claims), "--report-dir",
                 str(tmp_path / "r"), "--format", "json"])
    assert code == 0 and json.loads((tmp_path / "r" / "report.json").read_text())["spec_profile"] == "v1"


def test_the_command_knows_every_profile() -> None:
    assert SPEC_PROFILE_NAMES == tuple(SPEC_PROFILES)


def test_features_are_listed_with_what_they_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requirements", "--features", "--json"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    by_name = {row["feature"]: row for row in rows}
    assert by_name["streaming"]["optional"] and "SSE-001" in by_name["streaming"]["requirements"]
    assert not by_name["temperature"]["optional"]
    assert main(["requirements", "--features", "--spec-profile", "v1"]) == 0
    assert "retrieval" in capsys.readouterr().out
