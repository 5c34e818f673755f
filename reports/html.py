"""``report.html``: one self-contained page (inline CSS, JS and SVG; it fetches nothing).

A Content-Security-Policy of ``default-src 'none'`` makes "fetches nothing" a property the
browser enforces, not just a habit of this module: evidence is escaped text, and even if
some slipped through it could not load anything.
"""

from __future__ import annotations


from conformance.core.catalogue import Level
from conformance.core.observation import Exchange
from conformance.core.results import FailureRecord, RequirementResult, SuiteResult, Verdict
from reports import pictures, summary
from reports.summary import escape_html
from reports.reproduce import reproducer

BODY_LIMIT = 8000  # characters of a body shown; report.json has all the evidence kept
DATA_LIMIT = 400  # characters of one event's data in the transcript
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --pass: %(pass)s; --fail: %(fail)s; --warn: %(warn)s; --ne: %(not-exercised)s; --error: %(error)s;
  --unsupported: %(unsupported)s; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d2329; background: #fafbfc; }
main { max-width: 1180px; margin: 0 auto; padding: 0 20px 40px; }
.banner { color: #fff; padding: 18px 20px; }
.banner h1 { margin: 0 0 4px; font-size: 24px; }
.banner p { margin: 0; opacity: .92; }
.outcome-conformant { background: var(--pass); }
.outcome-conformant-for-claimed-features { background: var(--pass); }
.outcome-not-conformant { background: var(--fail); }
.outcome-error { background: var(--error); }
.partial { background: repeating-linear-gradient(135deg, #fff3cd 0 14px, #ffe8a1 14px 28px); color: #5c4400;
  border-bottom: 2px solid #e0a800; padding: 10px 20px; font-weight: 600; }
h2 { margin: 28px 0 10px; font-size: 18px; }
.chips { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 18px; }
.chip { border: 0; border-radius: 6px; padding: 8px 14px; color: #fff; font: inherit; font-weight: 600;
  cursor: pointer; }
.chip b { font-size: 20px; margin-right: 6px; }
.v-pass { background: var(--pass); } .v-fail { background: var(--fail); } .v-warn { background: var(--warn); }
.v-not-exercised { background: var(--ne); } .v-error { background: var(--error); }
.v-unsupported { background: var(--unsupported); }
tr.reasons > td { color: #4a5560; padding-top: 0; }
.verdict { display: inline-block; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
table { border-collapse: collapse; width: 100%%; background: #fff; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #e3e6ea; }
th { background: #eef1f4; font-weight: 600; }
tbody.req > tr:first-child > td:first-child { white-space: nowrap; }
tbody[hidden] { display: none; }
.bar { display: flex; height: 14px; width: 260px; border-radius: 3px; overflow: hidden; background: #e3e6ea; }
.bar span { display: block; height: 100%%; }
.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; margin-bottom: 10px; }
.filters select, .filters input { font: inherit; padding: 4px 6px; }
.filters input { min-width: 260px; }
tr.failures > td { background: #fbfcfd; padding-top: 0; }
details.failure { border-left: 4px solid var(--fail); margin: 6px 0; padding: 4px 10px; background: #fff; }
details.failure.warn { border-left-color: var(--warn); }
details.failure > summary { cursor: pointer; font-weight: 600; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
h4 { margin: 12px 0 4px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #4a5560; }
pre { margin: 0; padding: 8px 10px; background: #f3f5f7; border-radius: 4px; overflow: auto; max-height: 420px;
  white-space: pre-wrap; word-break: break-word;
  font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.code-head { display: flex; justify-content: space-between; align-items: end; }
button.copy { font: inherit; font-size: 12px; padding: 1px 8px; cursor: pointer; }
.transcript td { font: 12px ui-monospace, Menlo, Consolas, monospace; }
.transcript td:last-child { overflow-wrap: anywhere; }
.transcript tr.fault td { background: #fdecea; font-weight: 600; }
.picture { max-width: 100%%; height: auto; font-family: system-ui, sans-serif; }
.muted { color: #6b7680; }
footer { color: #6b7680; font-size: 12px; margin-top: 30px; }
"""

SCRIPT = """
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("tbody.req"));
  var verdict = document.getElementById("filter-verdict");
  var level = document.getElementById("filter-level");
  var area = document.getElementById("filter-area");
  var text = document.getElementById("filter-text");
  var shown = document.getElementById("shown-count");
  function apply() {
    var query = text.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var visible = (!verdict.value || row.dataset.verdict === verdict.value) &&
        (!level.value || row.dataset.level === level.value) &&
        (!area.value || row.dataset.area === area.value) &&
        (!query || row.dataset.search.indexOf(query) !== -1);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " requirements shown";
  }
  [verdict, level, area, text].forEach(function (control) { control.addEventListener("input", apply); });
  document.querySelectorAll("button.chip").forEach(function (chip) {
    chip.addEventListener("click", function () {
      verdict.value = verdict.value === chip.dataset.verdict ? "" : chip.dataset.verdict;
      apply();
    });
  });
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var code = document.getElementById(button.dataset.target);
      function select() {
        var range = document.createRange();
        range.selectNodeContents(code);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        button.textContent = "selected";
      }
      if (navigator.clipboard) {
        navigator.clipboard.writeText(code.textContent).then(function () { button.textContent = "copied"; }, select);
      } else { select(); }
    });
  });
  function reveal() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.classList.contains("req")) {
      verdict.value = level.value = area.value = text.value = "";
      apply();
      target.querySelectorAll("details.failure").forEach(function (d) { d.open = true; });
    }
  }
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();
"""


def _pre(text: str, css_class: str = "", element_id: str = "") -> str:
    attributes = (f' class="{css_class}"' if css_class else "") + (
        f' id="{element_id}"' if element_id else ""
    )
    return f"<pre{attributes}>{escape_html(text)}</pre>"


def _verdict(value: str) -> str:
    return f'<span class="verdict v-{value}">{escape_html(value)}</span>'


def _headers(headers: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def _transcript(failure: FailureRecord, exchange: Exchange) -> str:
    events = exchange.events or []
    fault = summary.fault_index(failure)
    rows = []
    for event in summary.transcript_window(events, fault):
        rows.append(
            f"<tr{' class=fault' if event.index == fault else ''}><td>#{event.index}</td><td>+{event.at:.3f}s</td>"
            f"<td>{escape_html(event.event)}</td><td>{escape_html(summary.one_line(event.data, DATA_LIMIT))}</td></tr>"
        )
    caption = "around the fault" if fault is not None else "the stream's last events (the fault is its end)"
    kept = len(events) + exchange.events_omitted
    count = (f'<span class="muted">({kept} in all; report.json has every one)</span>' if not exchange.events_omitted
             else f'<span class="muted">({kept} in all; report.json keeps {len(events)}: the first ones and '
                  f'those around the fault)</span>')
    return (
        "<h4>Stream timeline</h4>"
        + pictures.timeline(events, fault, exchange.elapsed)
        + f"<h4>Events {escape_html(caption)} {count}</h4>"
        + '<table class="transcript"><thead><tr><th>#</th><th>time</th><th>event</th><th>data</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _evidence(failure: FailureRecord, exchange: Exchange) -> str:
    parts = [
        "<h4>Request</h4>",
        _pre(f"{exchange.method} {exchange.url}\n{_headers(exchange.request_headers)}"),
    ]
    if exchange.request_body is not None:
        parts.append(_pre(summary.clip(summary.display(exchange.request_body), BODY_LIMIT)))
    parts.append("<h4>Response</h4>")
    if exchange.transport_error:
        parts.append(_pre(f"no response: {exchange.transport_error} (after {exchange.elapsed:.2f}s)"))
    else:
        parts.append(
            _pre(f"{exchange.status} after {exchange.elapsed:.2f}s\n{_headers(exchange.response_headers)}")
        )
    if exchange.events is not None:
        parts.append(_transcript(failure, exchange))
    elif exchange.response_body:
        parts.append(_pre(summary.clip(summary.display_body(exchange.response_body), BODY_LIMIT)))
    return "".join(parts)


def _code(title: str, text: str, element_id: str, css_class: str) -> str:
    return (
        f'<div class="code-head"><h4>{escape_html(title)}</h4>'
        f'<button type="button" class="copy" data-target="{element_id}">copy</button></div>'
        + _pre(text, css_class, element_id)
    )


def _failure(failure: FailureRecord, base_url: str, anchor: str) -> str:
    finding = failure.finding
    parts = [
        f'<details class="failure {finding.severity.value}" id="{anchor}">'
        f"<summary>{escape_html(finding.message)}</summary>"
    ]
    if finding.expected is not None or finding.observed is not None:
        parts.append(
            '<div class="pair"><div><h4>Expected</h4>'
            + _pre(summary.display(finding.expected))
            + "</div><div><h4>Observed</h4>"
            + _pre(summary.display(finding.observed))
            + "</div></div>"
        )
    if failure.request is not None:
        parts += [
            "<h4>Minimal example</h4>",
            _pre(summary.clip(summary.display(failure.request), BODY_LIMIT)),
        ]
    repro = reproducer(failure, base_url)
    if repro is not None:
        parts.append(_code("Reproduce with curl", repro.curl, f"{anchor}-curl", "repro-curl"))
        parts.append(_code("Reproduce with Python (httpx)", repro.python, f"{anchor}-python", "repro-python"))
    if failure.exchange is not None:
        parts.append(_evidence(failure, failure.exchange))
    parts.append("</details>")
    return "".join(parts)


def _requirement(item: RequirementResult, base_url: str) -> str:
    requirement = item.requirement
    search = " ".join([requirement.id, requirement.text, *item.reasons]
                      + [f.finding.message for f in item.failures]).lower()
    head = (
        f'<tbody class="req" id="req-{escape_html(requirement.id)}" data-verdict="{item.verdict.value}" '
        f'data-level="{requirement.level.value}" data-area="{escape_html(requirement.area.value)}" '
        f'data-search="{escape_html(search)}">'
        f"<tr><td><b>{escape_html(requirement.id)}</b></td><td>{requirement.level.value}</td>"
        f"<td>{escape_html(requirement.area.value)}</td><td>{_verdict(item.verdict.value)}</td>"
        f"<td>{item.exercised}</td><td>{escape_html(requirement.text)}</td></tr>"
    )
    if item.reasons:
        label = "Why not judged" if item.verdict in summary.UNJUDGED else "Not judged in part"
        head += (f'<tr class="reasons"><td></td><td colspan="5"><b>{label}:</b> '
                 + "; ".join(escape_html(reason) for reason in item.reasons) + "</td></tr>")
    if not item.failures:
        return head + "</tbody>"
    failures = "".join(
        _failure(failure, base_url, f"failure-{requirement.id}-{number}")
        for number, failure in enumerate(item.failures, 1)
    )
    return head + f'<tr class="failures"><td colspan="6">{failures}</td></tr></tbody>'


def _area_table(result: SuiteResult) -> str:
    rows = []
    for score in summary.area_scores(result):
        total = sum(score.counts.values())
        bar = "".join(
            f'<span class="v-{verdict}" style="width:{100 * number / total:.1f}%" title="{verdict}: {number}"></span>'
            for verdict, number in score.counts.items()
            if number
        )
        rows.append(
            f"<tr><td>{escape_html(score.area.value)}</td><td><div class=bar>{bar}</div></td>"
            f"<td>{score.met} / {score.judged}</td>"
            + "".join(f"<td>{number}</td>" for number in score.counts.values())
            + "</tr>"
        )
    head = "".join(f"<th>{verdict}</th>" for verdict in summary.counts([]))
    return (
        f'<table class="areas"><thead><tr><th>Area</th><th></th><th>Met / judged</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _options(control_id: str, label: str, values: list[str]) -> str:
    options = "".join(f'<option value="{escape_html(value)}">{escape_html(value)}</option>' for value in values)
    return f'<label>{label} <select id="{control_id}"><option value="">all</option>{options}</select></label>'


def render_html(result: SuiteResult) -> str:
    result_outcome = summary.outcome(result)
    title = summary.title(result)
    tally = summary.counts(result.results)
    facts = (
        f"{escape_html(summary.target_name(result))} · profile {escape_html(result.profile)} · seed {result.seed} · "
        f"started {summary.utc_iso(result.started_at)} · {result.duration:.1f} s · {result.requests_sent} requests · "
        f"suite {escape_html(result.suite_version)} · spec {escape_html(result.spec_commit)}"
    )
    failed = {level: 0 for level in Level}
    for item in result.results:
        if item.verdict is Verdict.FAIL:
            failed[item.requirement.level] += 1
    subtitle = (
        " — "
        + ", ".join(f"{number} {level.value}" for level, number in failed.items() if number)
        + " requirement(s) failed"
        if any(failed.values())
        else ""
    )
    chips = "".join(
        f'<button type="button" class="chip v-{verdict}" data-verdict="{verdict}"><b>{number}</b>{verdict}</button>'
        for verdict, number in tally.items()
    )
    errors = ""
    if result.internal_errors:
        errors = "<h2>Internal errors</h2>" + "".join(_pre(error) for error in result.internal_errors)
    partial = (
        f'<div class="partial" id="partial-banner">{escape_html(summary.PARTIAL_NOTE)}</div>'
        if result.partial
        else ""
    ) + (f'<div class="partial" id="not-judged">Not judged: {escape_html(result.not_judged)}</div>'
         if result.not_judged else "") + "".join(
        f'<div class="note">{escape_html(note)}</div>' for note in result.notes)
    areas = [score.area.value for score in summary.area_scores(result)]
    filters = (
        '<div class="filters">'
        + _options("filter-verdict", "Verdict", list(tally))
        + _options("filter-level", "Level", [level.value for level in Level])
        + _options("filter-area", "Area", areas)
        + '<label>Search <input id="filter-text" type="search" placeholder="ID, text or failure message"></label>'
        + '<span id="shown-count" class="muted"></span></div>'
    )
    requirements = "".join(_requirement(item, result.base_url) for item in result.results)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape_html(title)}{" (partial)" if result.partial else ""} · conformance · {escape_html(
    result.base_url)}</title>
<style>{STYLE % pictures.VERDICT_COLORS}</style>
</head>
<body>
<header class="banner outcome-{result_outcome}" id="verdict-banner">
<h1>{escape_html(title)}{" (partial)" if result.partial else ""}{escape_html(subtitle)}</h1>
<p>Assistants API conformance (POST /v1/threads/runs) · {facts}</p>
</header>
{partial}
<main>
<div class="chips">{chips}</div>
{errors}
<h2>Areas</h2>
{_area_table(result)}
<h2>Requirements by area</h2>
{pictures.matrix(result)}
<h2>Requirements</h2>
{filters}
<table id="requirements"><thead><tr>
<th>ID</th><th>Level</th><th>Area</th><th>Verdict</th><th>Exchanges</th><th>Requirement</th>
</tr></thead>
{requirements}
</table>
<footer>Generated by assistants-conformance {escape_html(result.suite_version)}. Secrets are shown as &lt;redacted&gt;;
reproducers read the key from $OPENAI_API_KEY.</footer>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
