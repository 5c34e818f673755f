"""``conformance report``: re-render a saved report.json; bad input is one line and exit 2."""

from __future__ import annotations

import argparse
import json

import pytest
from report_support import KEY, sample_result

from conformance.core.redaction import Redactor
from reports import command
from reports.json_report import result_to_dict
from reports.writer import write_reports


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conformance report")
    command.configure(parser)
    return command.execute(parser.parse_args(argv))


def test_rerenders_selected_formats(tmp_path, capsys) -> None:
    saved = write_reports(sample_result(), tmp_path / "run", formats=["json"], redactor=Redactor.of([KEY]))["json"]
    out = tmp_path / "html"
    assert _main([str(saved), "--format", "html", "--format", "markdown", "--output-dir", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == ["report.html", "summary.md"]
    assert capsys.readouterr().out.split() == [str(out / "report.html"), str(out / "summary.md")]


def test_default_is_every_format_next_to_the_report(tmp_path) -> None:
    saved = write_reports(sample_result(), tmp_path, formats=["json"], redactor=Redactor.of([KEY]))["json"]
    before = json.loads(saved.read_text())
    assert _main([str(saved)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]
    assert json.loads(saved.read_text()) == before


def test_the_key_in_the_environment_is_scrubbed(tmp_path, monkeypatch) -> None:
    saved = write_reports(sample_result(), tmp_path / "run", formats=["json"])["json"]  # saved unscrubbed
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert _main([str(saved), "--output-dir", str(tmp_path / "out")]) == 0
    for path in (tmp_path / "out").iterdir():
        assert KEY not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{", "not JSON"),
        (json.dumps({"hello": "world"}), "not a conformance report"),
        (
            json.dumps(result_to_dict(sample_result()) | {"schema_version": "9.0"}),
            "unsupported report schema_version",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, message) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert _main([str(path), "--output-dir", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("conformance report: error: ") and message in line
    assert not (tmp_path / "out").exists()


def test_unwritable_output_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    saved = write_reports(sample_result(), tmp_path, formats=["json"])["json"]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert _main([str(saved), "--output-dir", str(blocker / "sub")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("conformance report: error: cannot write to")


def test_unknown_format_is_a_usage_error(tmp_path) -> None:
    with pytest.raises(SystemExit) as exited:
        _main([str(tmp_path / "r.json"), "--format", "pdf"])
    assert exited.value.code == 2


def test_registered_in_the_conformance_command(tmp_path, capsys, monkeypatch) -> None:
    from conformance import cli

    monkeypatch.setattr(cli, "COMMANDS", {"report": cli.COMMANDS["report"]})  # this module's command alone
    assert cli.main(["report", str(tmp_path / "missing.json")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"conformance report: error: {tmp_path / 'missing.json'}: no such file"
