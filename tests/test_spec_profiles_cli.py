"""The command line of spec profiles: ``conformance requirements --spec-profile`` and
``conformance serve --spec-profile``."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.core.catalogue import CATALOGUE
from conformance.core.spec.profiles import SPEC_PROFILES, V1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_requirements_with_a_profile_print_the_catalogue_then_the_profiles_differences(capsys):
    plain = run(capsys, "requirements")
    text = run(capsys, "requirements", "--spec-profile", "v1")
    assert text.startswith(plain) and all(requirement.id in plain for requirement in CATALOGUE)
    section = " ".join(text[len(plain):].split())  # unwrapped
    assert section.startswith(f"Spec profile v1: {V1.summary}") and "OpenAI-Beta: assistants=v1" in section
    assert "differences from v2-current (19)" in section and len(V1.changes) == 19
    for change in V1.changes:
        assert f"- {change.summary}" in section
    current = run(capsys, "requirements", "--spec-profile", "v2-current")[len(plain):]
    assert "OpenAI-Beta: assistants=v2" in current and "no differences" in current


def test_requirements_as_json_with_a_profile_add_it_beside_the_catalogue(capsys):
    rows = json.loads(run(capsys, "requirements", "--json"))
    document = json.loads(run(capsys, "requirements", "--json", "--spec-profile", "v2-2024Q2"))
    profile = SPEC_PROFILES["v2-2024Q2"]
    assert document["requirements"] == rows and len(rows) == len(CATALOGUE)
    assert document["spec_profile"] == {
        "name": "v2-2024Q2", "summary": profile.summary, "beta": "assistants=v2",
        "features": sorted(profile.features), "differences_from": "v2-current",
        "changes": [change.summary for change in profile.changes]}
    assert "parallel_tool_calls" not in document["spec_profile"]["features"]


@pytest.mark.parametrize("command", ["requirements", "serve"])
def test_an_unknown_profile_is_a_usage_error_not_a_traceback(capsys, command):
    with pytest.raises(SystemExit) as stopped:
        main([command, "--spec-profile", "v3"])
    error = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in error
    last = error.splitlines()[-1]
    assert "--spec-profile: invalid choice: 'v3'" in last and all(name in last for name in SPEC_PROFILES)


def test_serve_help_names_every_profile(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--spec-profile {v1,v2-2024Q2,v2-current}" in text and "(default: v2-current)" in text
    for profile in SPEC_PROFILES.values():
        assert f"{profile.name}: {' '.join(profile.summary.split())}" in text
