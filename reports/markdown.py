"""A Markdown summary for ``$GITHUB_STEP_SUMMARY``: outcome, counts, what failed and how to reproduce it.

Short by design (GitHub caps a step summary at 1 MiB): the full evidence is in report.json
and report.html.
"""

from __future__ import annotations

import re

from conformance.core.catalogue import Level
from conformance.core.results import RequirementResult, SuiteResult, Verdict
from reports import summary
from reports.reproduce import reproducer

ICONS = {"conformant": "✅", summary.CLAIMED_ONLY: "✅", "not-conformant": "❌", "error": "⚠️"}
DETAILED_LIMIT = 25  # requirements given a section of their own
CELL_LIMIT = 160


# Characters Markdown may read as markup: links and images need brackets; emphasis, code,
# headings and strikethrough the rest (< and > are written as entities).
_MARKUP = re.compile(r"([\\`*_\[\]#~])")


def cell(text: str, limit: int = CELL_LIMIT) -> str:
    """Text safe inside a table cell: one line, no pipes, no HTML, no Markdown markup."""
    text = summary.one_line(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\1", text).replace("|", "\\|")


def fenced(text: str, language: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _attention(result: SuiteResult) -> list[RequirementResult]:
    """Failed, errored and warned requirements, the ones that decide the outcome first."""
    flagged = [item for item in result.results if item.verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.WARN)]
    rank = {Verdict.FAIL: 0, Verdict.ERROR: 1, Verdict.WARN: 2}
    return sorted(flagged, key=lambda item: (rank[item.verdict], item.requirement.level is not Level.MUST))


def _unjudged(result: SuiteResult) -> list[str]:
    """Requirements not judged (or judged in part), each with why."""
    items = [item for item in result.results if item.reasons]
    if not items:
        return []
    lines = ["### Not judged, and why", "", "| Requirement | Verdict | Why |", "|---|---|---|"]
    for item in items:
        verdict = item.verdict.value if item.verdict in summary.UNJUDGED else f"{item.verdict.value} (in part)"
        lines.append(f"| {item.requirement.id} | {verdict} | {cell(summary.reasons_text(item), 400)} |")
    return [*lines, ""]


def _observed(item: RequirementResult) -> str:
    if not item.failures:
        return ""
    more = len(item.failures) - 1
    return summary.first_finding(item) + (f" (+{more} more)" if more else "")


def _section(item: RequirementResult, base_url: str) -> list[str]:
    requirement = item.requirement
    lines = [
        f"### {requirement.id} — {item.verdict.value} ({requirement.level.value}, {requirement.area.value})",
        "",
        cell(requirement.text, len(requirement.text)),
        "",
    ]
    for failure in item.failures:
        finding = failure.finding
        compared = [
            f"{label} {cell(summary.display(value))}"
            for label, value in (("expected", finding.expected), ("observed", finding.observed))
            if value is not None
        ]
        lines.append(
            " — ".join([f"- {cell(finding.message)}", ", ".join(compared)])
            if compared
            else f"- {cell(finding.message)}"
        )
    repro = reproducer(item.failures[0], base_url) if item.failures else None
    if repro is not None:
        lines += ["", "<details><summary>Reproduce</summary>", "", fenced(repro.curl, "sh"), "", "</details>"]
    return [*lines, ""]


def render_markdown(result: SuiteResult) -> str:
    result_outcome = summary.outcome(result)
    tally = summary.counts(result.results)
    title = summary.title(result) + (" (partial)" if result.partial else "")
    lines = [f"## {ICONS[result_outcome]} Assistants API conformance: {title}", ""]
    if result.partial:
        lines += ["> [!WARNING]", f"> {summary.PARTIAL_NOTE}", ""]
    if result.not_judged:
        lines += ["> [!CAUTION]", f"> Not judged: {cell(result.not_judged, 500)}", ""]
    lines += [f"- {cell(note, 500)}" for note in result.notes] + ([""] if result.notes else [])
    lines += [
        f"Target `{summary.target_name(result)}` · profile `{result.profile}` · seed `{result.seed}` · "
        f"suite {result.suite_version} · spec `{result.spec_commit}` · started {summary.utc_iso(result.started_at)} · "
        f"{result.duration:.1f} s · {result.requests_sent} requests",
        "",
        "| " + " | ".join(tally) + " |",
        "|" + "---:|" * len(tally),
        "| " + " | ".join(str(number) for number in tally.values()) + " |",
        "",
        "| Area | Met | Judged | Not exercised | Unsupported |",
        "|---|---:|---:|---:|---:|",
    ]
    for score in summary.area_scores(result):
        lines.append(
            f"| {score.area.value} | {score.met} | {score.judged} | {score.counts[Verdict.NOT_EXERCISED.value]} "
            f"| {score.counts[Verdict.UNSUPPORTED.value]} |"
        )
    lines.append("")
    if result.internal_errors:
        lines += ["### Internal errors", ""] + [f"- {cell(error)}" for error in result.internal_errors] + [""]
    lines += _unjudged(result)
    flagged = _attention(result)
    if not flagged:
        lines += ["Every exercised requirement passed.", ""]
        return "\n".join(lines)
    lines += [
        "### Failed, errored and warned requirements",
        "",
        "| Requirement | Level | Area | Verdict | Observed |",
        "|---|---|---|---|---|",
    ]
    for item in flagged:
        requirement = item.requirement
        lines.append(
            f"| {requirement.id}: {cell(summary.short_text(requirement.text, 60))} | {requirement.level.value} "
            f"| {requirement.area.value} | {item.verdict.value} | {cell(_observed(item))} |"
        )
    lines.append("")
    for item in flagged[:DETAILED_LIMIT]:
        lines += _section(item, result.base_url)
    if len(flagged) > DETAILED_LIMIT:
        lines += [f"{len(flagged) - DETAILED_LIMIT} more flagged requirements: see report.html.", ""]
    return "\n".join(lines)
