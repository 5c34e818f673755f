"""Inline SVG pictures for the HTML report: a failing stream's timeline and the requirement matrix."""

from __future__ import annotations


from conformance.core.observation import StreamEvent
from conformance.core.results import SuiteResult
from reports import summary
from reports.summary import escape_html

VERDICT_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "warn": "#e08600",
    "not-exercised": "#9e9e9e",
    "unsupported": "#546e7a",
    "error": "#6a1b9a",
}
FAULT_COLOR = VERDICT_COLORS["fail"]
LANES = ("thread", "run", "step", "message", "other")
LANE_COLORS = {
    "thread": "#455a64",
    "run": "#1565c0",
    "step": "#00838f",
    "message": "#6d4c41",
    "other": "#37474f",
}


def lane(event_name: str) -> str:
    """The object an event is about (thread.run.step.delta -> step)."""
    if event_name.startswith("thread.run.step"):
        return "step"
    if event_name.startswith("thread.message"):
        return "message"
    if event_name.startswith("thread.run"):
        return "run"
    if event_name.startswith("thread."):
        return "thread"
    return "other"


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape_html(label)}" class="picture">'
        f"<title>{escape_html(label)}</title>" + "".join(body) + "</svg>"
    )


def timeline(events: list[StreamEvent], fault: int | None, elapsed: float) -> str:
    """Events against time, one lane per object kind; the fault (or the stream's end) in red."""
    left, right, top, lane_height = 70, 20, 34, 22
    width = 760
    plot = width - left - right
    height = top + lane_height * len(LANES) + 24
    span = max([elapsed, 1e-3] + [event.at for event in events])

    def x(at: float) -> float:
        return left + plot * min(max(at, 0.0), span) / span

    body = []
    for row, name in enumerate(LANES):
        y = top + row * lane_height
        body.append(f'<rect x="{left}" y="{y}" width="{plot}" height="{lane_height - 2}" fill="#f3f5f7"/>')
        body.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="11">{name}</text>')
    bottom = top + lane_height * len(LANES)
    for step in range(5):
        at = span * step / 4
        body.append(
            f'<line x1="{x(at):.1f}" y1="{top - 4}" x2="{x(at):.1f}" y2="{bottom}" stroke="#d0d4d8"/>'
        )
        body.append(
            f'<text x="{x(at):.1f}" y="{bottom + 14}" text-anchor="middle" font-size="10">{at:.2f}s</text>'
        )
    faulty = next((event for event in events if event.index == fault), None)
    for event in events:
        row = LANES.index(lane(event.event))
        y = top + row * lane_height + 3
        color = FAULT_COLOR if event is faulty else LANE_COLORS[LANES[row]]
        size = 6 if event is faulty else 3
        body.append(
            f'<rect x="{x(event.at) - size / 2:.1f}" y="{y - (size - 3)}" width="{size}" '
            f'height="{lane_height - 8 + 2 * (size - 3)}" fill="{color}">'
            f"<title>#{event.index} +{event.at:.3f}s {escape_html(event.event)}</title></rect>"
        )
    if faulty is None:
        fault_x, label = x(span), "fault: end of stream"
    else:
        fault_x, label = x(faulty.at), f"fault: #{faulty.index} {faulty.event}"
    anchor = "end" if fault_x > left + plot / 2 else "start"
    body.append(
        f'<line x1="{fault_x:.1f}" y1="{top - 14}" x2="{fault_x:.1f}" y2="{bottom}" stroke="{FAULT_COLOR}" '
        f'stroke-width="2" stroke-dasharray="4 2" class="fault-marker"/>'
    )
    body.append(
        f'<text x="{fault_x + (-4 if anchor == "end" else 4):.1f}" y="{top - 16}" text-anchor="{anchor}" '
        f'font-size="11" font-weight="bold" fill="{FAULT_COLOR}">{escape_html(label)}</text>'
    )
    return _svg(width, height, f"stream timeline: {len(events)} events over {span:.2f}s, {label}", body)


def matrix(result: SuiteResult) -> str:
    """Requirements by area: one cell per requirement, coloured by verdict, linking to its row."""
    left, top, cell_width, cell_height, gap = 150, 8, 70, 24, 4
    rows = [
        (score.area, [item for item in result.results if item.requirement.area is score.area])
        for score in summary.area_scores(result)
    ]
    columns = max((len(items) for _, items in rows), default=1)
    width = left + columns * (cell_width + gap)
    legend_y = top + len(rows) * (cell_height + gap) + 8
    height = legend_y + 22
    body = []
    for row, (area, items) in enumerate(rows):
        y = top + row * (cell_height + gap)
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="12">{escape_html(area.value)}</text>'
        )
        for column, item in enumerate(items):
            requirement = item.requirement
            cx = left + column * (cell_width + gap)
            tip = (
                f"{requirement.id} ({requirement.level.value}): {item.verdict.value} — "
                + summary.short_text(requirement.text)
                + (f" ({summary.one_line(summary.reasons_text(item), 200)})" if item.reasons else "")
            )
            body.append(
                f'<a href="#req-{escape_html(requirement.id)}" class="matrix-cell" data-verdict="{item.verdict.value}">'
                f'<rect x="{cx}" y="{y}" width="{cell_width}" height="{cell_height}" rx="3" '
                f'fill="{VERDICT_COLORS[item.verdict.value]}"><title>{escape_html(tip)}</title></rect>'
                f'<text x="{cx + cell_width / 2}" y="{y + 16}" text-anchor="middle" font-size="11" fill="#fff">'
                f"{escape_html(requirement.id)}</text></a>"
            )
    for number, (verdict, color) in enumerate(VERDICT_COLORS.items()):
        lx = left + number * 110
        body.append(f'<rect x="{lx}" y="{legend_y}" width="12" height="12" fill="{color}"/>')
        body.append(f'<text x="{lx + 16}" y="{legend_y + 11}" font-size="11">{verdict}</text>')
    return _svg(width, height, "requirements by area, coloured by verdict", body)
