"""write_reports: every format, atomically, partial runs marked, no secret in any artifact."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from report_support import DEBUG_TOKEN, KEY, sample_result

from reports import writer
from reports.json_report import load_report, result_to_dict
from conformance.core.redaction import Redactor
from reports.writer import FILENAMES, FORMATS, write_reports


def _artifacts(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in directory.rglob("*") if path.is_file()
    }


def test_writes_every_format_and_nothing_else(tmp_path) -> None:
    written = write_reports(sample_result(), tmp_path / "out", redactor=Redactor.of([KEY]))
    assert set(written) == set(FORMATS)
    assert set(_artifacts(tmp_path / "out")) == set(FILENAMES.values())  # no temporary file left
    assert load_report(written["json"]).seed == 1234
    ET.parse(written["junit"])
    assert written["html"].read_text(encoding="utf-8").startswith("<!doctype html>")
    assert written["markdown"].read_text(encoding="utf-8").startswith("## ")


def test_selected_formats_only(tmp_path) -> None:
    written = write_reports(sample_result(), tmp_path, formats=["html", "junit", "html"])
    assert list(written) == ["html", "junit"]
    assert sorted(_artifacts(tmp_path)) == ["junit.xml", "report.html"]
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(sample_result(), tmp_path, formats=["pdf"])


def test_no_secret_reaches_any_artifact(tmp_path) -> None:
    # The key is planted where source redaction misses it: a response body and header, a
    # finding's message, an internal error; DEBUG_TOKEN is a header value marked secret.
    unscrubbed = json.dumps(result_to_dict(sample_result()))
    assert KEY in unscrubbed and DEBUG_TOKEN in unscrubbed
    write_reports(sample_result(partial=True), tmp_path, redactor=Redactor.of([KEY, DEBUG_TOKEN]))
    artifacts = _artifacts(tmp_path)
    assert len(artifacts) == 4
    for name, content in artifacts.items():
        for secret in (KEY, DEBUG_TOKEN, "PLANTED"):
            assert secret.encode() not in content, (name, secret)
    report = json.loads(artifacts["report.json"])
    req_005 = next(item for item in report["requirements"] if item["id"] == "REQ-005")
    assert req_005["failures"][0]["evidence"]["response_body"].endswith(
        "Incorrect API key provided: <redacted>)"
    )
    assert '-H "X-Debug-Token: $X_DEBUG_TOKEN"' in req_005["failures"][0]["reproducer"]["curl"]


def test_secrets_escaping_would_disguise_are_scrubbed_too(tmp_path) -> None:
    secret = 'k"e\\y<&>é'  # changed by JSON, XML and HTML escaping
    result = sample_result()
    item = next(item for item in result.results if item.requirement.id == "REQ-002")
    exchange = replace(item.failures[0].exchange, response_body=f"echo {secret}")
    item.failures = [replace(item.failures[0], exchange=exchange)]
    write_reports(result, tmp_path, redactor=Redactor.of([secret]))
    for name, content in _artifacts(tmp_path).items():
        text = content.decode()
        for form in (
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            "k&quot;e",
            "&lt;&amp;&gt;",
        ):
            assert form not in text, (name, form)
    assert "echo <redacted>" in (tmp_path / "report.json").read_text()


def test_redacting_a_result_leaves_the_original_alone() -> None:
    result = sample_result()
    clean = Redactor.of([KEY, ""]).result(result)
    assert KEY not in json.dumps(result_to_dict(clean))
    assert KEY in json.dumps(result_to_dict(result))
    assert Redactor.of([""]).result(result) is result


def test_partial_run_is_written_valid_and_marked(tmp_path) -> None:
    written = write_reports(sample_result(partial=True), tmp_path)
    assert load_report(written["json"]).partial is True
    assert 'id="partial-banner"' in written["html"].read_text(encoding="utf-8")
    assert "[PARTIAL]" in ET.parse(written["junit"]).getroot().find("testsuite").get("name")
    assert "(partial)" in written["markdown"].read_text(encoding="utf-8").splitlines()[0]


def test_an_interrupted_write_keeps_the_previous_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    write_reports(sample_result(), tmp_path, formats=["html"])
    before = (tmp_path / "report.html").read_bytes()

    def interrupted(source, target) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_reports(sample_result(partial=True), tmp_path, formats=["html"])
    assert (tmp_path / "report.html").read_bytes() == before
    assert list(_artifacts(tmp_path)) == ["report.html"]


def test_files_are_readable_like_any_other(tmp_path) -> None:
    path = write_reports(sample_result(), tmp_path, formats=["json"])["json"]
    probe = tmp_path / "probe"
    probe.touch()
    assert path.stat().st_mode & 0o777 == probe.stat().st_mode & 0o666
