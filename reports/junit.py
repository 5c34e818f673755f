"""JUnit XML: one testcase per requirement, for CI systems' test views.

pass and warn pass (a warning goes to system-out), fail is a failure, error an error,
not-exercised and unsupported are skipped, with their reasons as the message. The testcase's
classname is the area, its name "ID: short text".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conformance.core.results import RequirementResult, SuiteResult, Verdict
from reports import summary
from reports.reproduce import reproducer

SUITE_NAME = "assistants-conformance"
EVIDENCE_LIMIT = 4000  # characters of one body kept in a failure's text
# Characters XML 1.0 cannot carry at all (controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: ascii(match.group())[1:-1], summary.visible(text))


def failure_text(item: RequirementResult, base_url: str) -> str:
    """Plain-text evidence of every failure of a requirement."""
    blocks = []
    for number, failure in enumerate(item.failures, 1):
        finding = failure.finding
        lines = [f"[{number}] {finding.severity.value}: {finding.message}"]
        if finding.expected is not None or finding.observed is not None:
            lines += [
                f"expected: {summary.display(finding.expected)}",
                f"observed: {summary.display(finding.observed)}",
            ]
        if failure.request is not None:
            lines.append("minimal example: " + summary.clip(summary.display(failure.request), EVIDENCE_LIMIT))
        exchange = failure.exchange
        if exchange is not None:
            lines.append(f"request: {exchange.method} {summary.visible(exchange.url)}")
            if exchange.transport_error:
                lines.append(f"transport error: {exchange.transport_error}")
            else:
                lines.append(f"response status: {exchange.status}")
            if exchange.events is not None:
                fault = summary.fault_index(failure)
                lines.append(
                    "events around the fault:" if fault is not None else "last events of the stream:"
                )
                for event in summary.transcript_window(exchange.events, fault):
                    mark = ">>" if event.index == fault else "  "
                    lines.append(
                        f"{mark} #{event.index} +{event.at:.3f}s {summary.one_line(event.event, 100)}: "
                        f"{summary.one_line(event.data, 300)}"
                    )
            elif exchange.response_body:
                lines.append("response body: " + summary.clip(exchange.response_body, EVIDENCE_LIMIT))
        repro = reproducer(failure, base_url)
        if repro is not None:
            lines += ["reproduce:", repro.curl]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _message(item: RequirementResult) -> str:
    if not item.failures:
        return f"{item.requirement.id} {item.verdict.value}"
    first = summary.first_finding(item)
    more = len(item.failures) - 1
    return summary.one_line(first, 300) + (f" (and {more} more)" if more else "")


def _testcase(item: RequirementResult, base_url: str) -> ET.Element:
    requirement = item.requirement
    case = ET.Element(
        "testcase",
        classname=requirement.area.value,
        name=f"{requirement.id}: {summary.short_text(requirement.text)}",
        time="0",
    )
    if item.verdict is Verdict.FAIL:
        failure = ET.SubElement(
            case, "failure", message=xml_text(_message(item)), type=requirement.level.value
        )
        failure.text = xml_text(failure_text(item, base_url))
    elif item.verdict is Verdict.ERROR:
        error = ET.SubElement(case, "error", message=xml_text(_message(item)), type="internal")
        error.text = xml_text(failure_text(item, base_url))
    elif item.verdict in summary.UNJUDGED:
        ET.SubElement(case, "skipped", message=xml_text(f"{item.verdict.value}: {summary.reasons_text(item)}"))
    elif item.verdict is Verdict.WARN or item.reasons:
        text = failure_text(item, base_url)
        if item.reasons:
            text = "\n".join([f"not judged in part: {reason}" for reason in item.reasons] + ([text] if text else []))
        ET.SubElement(case, "system-out").text = xml_text(text)
    return case


def render_junit(result: SuiteResult) -> str:
    tally = summary.counts(result.results)
    totals = {
        "tests": str(len(result.results)),
        "failures": str(tally[Verdict.FAIL.value]),
        "errors": str(tally[Verdict.ERROR.value]),
        "skipped": str(sum(tally[verdict.value] for verdict in summary.UNJUDGED)),
        "time": f"{result.duration:.3f}",
    }
    name = f"{SUITE_NAME} ({result.profile})" + (" [PARTIAL]" if result.partial else "")
    root = ET.Element("testsuites", name=SUITE_NAME, **totals)
    suite = ET.SubElement(
        root, "testsuite", name=name, timestamp=summary.utc_iso(result.started_at).removesuffix("Z"), **totals
    )
    properties = ET.SubElement(suite, "properties")
    facts = {
        "outcome": summary.outcome(result),
        "partial": str(result.partial).lower(),
        "suite_version": result.suite_version,
        "spec_commit": result.spec_commit,
        "profile": result.profile,
        "seed": str(result.seed),
        "base_url": result.base_url,
        "requests_sent": str(result.requests_sent),
        "certification": str(result.certification).lower(),
        **({"unclaimed": ", ".join(sorted(result.claims.unclaimed))} if result.claims.unclaimed else {}),
        **({"server_name": result.claims.server_name} if result.claims.server_name else {}),
        **({"server_version": result.claims.server_version} if result.claims.server_version else {}),
        **({"not_judged": result.not_judged} if result.not_judged else {}),
    }
    for key, value in facts.items():
        ET.SubElement(properties, "property", name=key, value=xml_text(value))
    suite.extend(_testcase(item, result.base_url) for item in result.results)
    notes = ([summary.PARTIAL_NOTE] if result.partial else []) + (
        [f"not judged: {result.not_judged}"] if result.not_judged else []) + result.notes
    if notes:
        ET.SubElement(suite, "system-out").text = xml_text("\n".join(notes))
    if result.internal_errors:
        ET.SubElement(suite, "system-err").text = xml_text("\n".join(result.internal_errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
