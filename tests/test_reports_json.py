"""report.json: valid against the shipped schema, round-trips, refuses what it cannot read."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest
from report_support import sample_result

from conformance.core.catalogue import Area, Level
from conformance.core.results import Verdict
from reports.html import render_html
from reports.json_report import (
    SCHEMA_VERSION,
    ReportError,
    load_report,
    render_json,
    report_schema,
    result_from_dict,
    result_to_dict,
)
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.model import json_schema


def test_report_validates_against_the_shipped_schema() -> None:
    data = json.loads(render_json(sample_result()))
    jsonschema.Draft202012Validator.check_schema(report_schema())
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["outcome"] == "error"  # the sample has an internal error
    assert data["counts"] == {"pass": 30, "fail": 5, "warn": 1, "not-exercised": 2, "unsupported": 0, "error": 1}


def test_schema_enums_follow_the_model() -> None:
    definitions = report_schema()["$defs"]
    requirement = definitions["RequirementEntry"]["properties"]

    def enum(field: str) -> list[str]:
        return definitions[requirement[field]["$ref"].rsplit("/", 1)[1]]["enum"]

    assert enum("area") == [area.value for area in Area]
    assert enum("level") == [level.value for level in Level]
    assert enum("verdict") == [verdict.value for verdict in Verdict]


def test_the_shipped_schema_is_the_one_the_model_generates() -> None:
    assert report_schema() == json_schema(), "regenerate it: python -m reports.model > reports/report.schema.json"


def test_a_saved_report_is_validated_strictly() -> None:
    data = result_to_dict(sample_result())
    for path, value in ((("requests_sent",), "12"), (("partial",), 1), (("requirements", 0, "exercised"), 1.5),
                        (("requirements", 0, "failures"), None)):
        edited = json.loads(json.dumps(data))
        target = edited
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(ReportError, match="/".join(map(str, path))):
            result_from_dict(edited)


def test_failures_carry_example_evidence_and_reproducer() -> None:
    data = result_to_dict(sample_result())
    by_id = {item["id"]: item for item in data["requirements"]}
    failure = by_id["SSE-009"]["failures"][0]
    assert failure["minimal_example"] == {"assistant_id": "asst_1", "stream": True}
    assert failure["event_index"] == len(failure["evidence"]["events"]) - 1
    assert failure["reproducer"]["curl"].startswith("curl -sS -i -N")
    assert by_id["REQ-002"]["failures"][0]["evidence"]["status"] == 200
    assert by_id["REQ-002"]["exercised"] == 40
    assert by_id["AUTH-001"]["verdict"] == "not-exercised"


@pytest.mark.parametrize("partial", [False, True])
def test_round_trip_renders_the_same(partial: bool) -> None:
    original = sample_result(partial=partial)
    loaded = result_from_dict(json.loads(render_json(original)))
    assert result_to_dict(loaded) == result_to_dict(original)
    for render in (render_json, render_junit, render_markdown, render_html):
        assert render(loaded) == render(original)


def test_values_that_are_not_json_are_written_as_json() -> None:
    result = sample_result()
    item = next(item for item in result.results if item.requirement.id == "REQ-002")
    failure = item.failures[0]
    odd = {"codes": (400, 422), "ratio": float("nan"), "kinds": {"b", "a"}}
    item.failures = [replace(failure, finding=replace(failure.finding, observed=odd))]
    data = json.loads(render_json(result))
    saved = next(entry for entry in data["requirements"] if entry["id"] == "REQ-002")
    assert saved["failures"][0]["observed"] == {"codes": [400, 422], "ratio": "nan", "kinds": ["a", "b"]}


def _saved(tmp_path, data) -> str:
    path = tmp_path / "report.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_load_report_reads_a_saved_report(tmp_path) -> None:
    path = _saved(tmp_path, render_json(sample_result()))
    assert result_to_dict(load_report(path)) == result_to_dict(sample_result())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ([1, 2], "not a conformance report"),
        ({"schema_version": "1.0"}, "not a conformance report"),
        ("BAD_VERDICT", "requirements/0/verdict"),
        ("VERSION_2", "unsupported report schema_version '2.0'"),
        ("UNKNOWN_ID", "XYZ-999"),
    ],
)
def test_load_report_errors_are_one_line(tmp_path, content, message) -> None:
    data = result_to_dict(sample_result())
    if content == "BAD_VERDICT":
        data["requirements"][0]["verdict"] = "maybe"
        content = data
    elif content == "VERSION_2":
        data["schema_version"] = "2.0"
        content = data
    elif content == "UNKNOWN_ID":
        failing = next(item for item in data["requirements"] if item["failures"])
        failing["id"] = "XYZ-999"
        content = data
    with pytest.raises(ReportError) as caught:
        load_report(_saved(tmp_path, content))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_load_report_missing_file(tmp_path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        load_report(tmp_path / "absent.json")
