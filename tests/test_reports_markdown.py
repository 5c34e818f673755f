"""The Markdown step summary: outcome line, counts, flagged requirements with short evidence."""

from __future__ import annotations

from report_support import sample_result

from conformance.core.results import Verdict
from reports.markdown import cell, fenced, render_markdown


def _table_rows(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_summary_leads_with_the_outcome_and_counts() -> None:
    text = render_markdown(sample_result(internal_error=False))
    assert text.splitlines()[0] == "## ❌ Assistants API conformance: NOT CONFORMANT"
    assert "| pass | fail | warn | not-exercised | unsupported | error |" in text
    assert "| 30 | 5 | 1 | 2 | 0 | 1 |" in text
    assert "Target `http://127.0.0.1:9/v1` · profile `standard` · seed `1234`" in text
    assert "Partial report" not in text


def test_flagged_table_lists_failures_first_and_never_passes() -> None:
    result = sample_result()
    rows = _table_rows(render_markdown(result), "| Requirement | Level | Area | Verdict | Observed |")
    flagged = [item for item in result.results if item.verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.WARN)]
    assert len(rows) == len(flagged) == 7
    assert [row.split(":")[0].strip("| ") for row in rows[:4]] == ["REQ-002", "RUN-002", "SSE-002", "SSE-009"]
    assert "| SHOULD | request validation | fail |" in rows[4]
    assert rows[-1].startswith("| SSE-004") and "| warn |" in rows[-1]


def test_sections_carry_expected_observed_and_a_reproducer() -> None:
    text = render_markdown(sample_result())
    assert "- temperature 3 (maximum 2) was accepted with 200 — expected 400, observed 200" in text
    assert "```sh\ncurl -sS -i -N \\" in text
    assert "### Internal errors" in text


def test_partial_is_marked() -> None:
    text = render_markdown(sample_result(partial=True))
    assert "(partial)" in text.splitlines()[0]
    assert "> [!WARNING]\n> Partial report" in text


def test_cells_and_fences_cannot_break_out() -> None:
    assert cell("a | b\n<script>") == "a \\| b &lt;script&gt;"
    assert fenced("has ``` inside").startswith("````\n")
