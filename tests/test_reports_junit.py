"""JUnit XML: parsed by junitparser and ElementTree, one testcase per requirement."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from junitparser import Error, Failure, JUnitXml, Skipped
from report_support import RAW_BODY, sample_result

from conformance.core import catalogue
from reports.junit import render_junit


def _parsed(tmp_path, result) -> JUnitXml:
    path = tmp_path / "junit.xml"
    path.write_text(render_junit(result), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_one_testcase_per_requirement_with_the_right_outcome(tmp_path) -> None:
    xml = _parsed(tmp_path, sample_result())
    (suite,) = list(xml)
    cases = {case.name.split(":")[0]: case for case in suite}
    assert len(list(suite)) == len(catalogue.CATALOGUE) == len(cases)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (len(catalogue.CATALOGUE), 5, 1, 2)

    def kinds(requirement_id: str) -> list[type]:
        return [type(outcome) for outcome in cases[requirement_id].result]

    assert kinds("REQ-002") == [Failure] and kinds("SSE-009") == [Failure]
    assert kinds("SDK-001") == [Error]
    assert kinds("AUTH-001") == [Skipped]
    assert kinds("REQ-001") == [] and kinds("SSE-004") == []  # a warning passes
    assert cases["REQ-002"].classname == "request validation"
    assert cases["REQ-002"].name.startswith("REQ-002: A body with exactly one schema violation")
    failure = cases["REQ-002"].result[0]
    assert failure.message == "temperature 3 (maximum 2) was accepted with 200"
    assert failure.type == "MUST"
    assert "curl -sS -i" in failure.text and "response status: 200" in failure.text
    assert "unknown event name" in cases["SSE-004"].system_out


def test_stream_failure_text_shows_the_events_around_the_fault(tmp_path) -> None:
    xml = _parsed(tmp_path, sample_result())
    case = next(case for case in next(iter(xml)) if case.name.startswith("SSE-009"))
    text = case.result[0].text
    assert ">> #14 +0.700s thread.run.completed" in text
    assert "   #13 +0.610s done: [DONE]" in text


def test_partial_and_properties_are_marked(tmp_path) -> None:
    root = ET.fromstring(render_junit(sample_result(partial=True)))
    suite = root.find("testsuite")
    assert "[PARTIAL]" in suite.get("name")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (
        properties["partial"] == "true" and properties["outcome"] == "error" and properties["seed"] == "1234"
    )
    assert "Partial report" in suite.find("system-out").text


def test_characters_xml_cannot_carry_are_escaped(tmp_path) -> None:
    result = sample_result()
    item = next(item for item in result.results if item.requirement.id == "REQ-002")
    failure = item.failures[0]
    item.failures = [replace(failure, finding=replace(failure.finding, message="bad \x00\x1b\ud800 bytes"))]
    text = render_junit(result)
    ET.fromstring(text.encode("utf-8"))  # well-formed, and encodable
    assert "bad \\x00\\x1b\\ud800 bytes" in text
    assert RAW_BODY.startswith("not json \x00")
    assert "not json \\x00" in text  # the raw body's NUL, in the minimal example
