"""The report as one self-contained HTML page: inline SVG charts, inline CSS, no script, no network.

Every value that came from a visitor (source pages, UTM parameters) or a marketer (labels, variant names)
is escaped; the page's Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
COLOURS = {"IQL": "#9aa5b1", "MQL": "#f0b429", "SQL": "#d64545"}
BAR = "#2f6fdf"
STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 8px}h3{font-size:16px;margin:18px 0 6px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 3px #0002}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:5px 8px;text-align:right;border-bottom:1px solid #e4e7eb}
th:first-child,td:first-child{text-align:left;overflow-wrap:anywhere}th{background:#f0f4f8}
.muted{color:#616e7c}.verdict{font-weight:600;margin:8px 0}.figure{overflow-x:auto}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{flex:1 1 150px;background:#f0f4f8;border-radius:6px;padding:10px 14px}
.card b{display:block;font-size:22px}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else escape(str(value))


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _when(iso: str | None, otherwise: str = "–") -> str:
    """2026-11-02 09:00 UTC for an ISO 8601 time in UTC."""
    if not iso:
        return escape(otherwise)
    try:
        moment = datetime.fromisoformat(iso).astimezone(timezone.utc)
    except ValueError:
        return escape(iso)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def bar_chart(rows: list[tuple[str, float, str]], title: str, width: int = 940) -> str:
    """Horizontal bars: (label, share 0..1, text at the bar's end)."""
    label_width, height, gap = 230, 22, 6
    total = len(rows) * (height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{total}" '
        f'viewBox="0 0 {width} {total}"><title>{escape(title)}</title>'
    ]
    span = width - label_width - 170
    for index, (label, share, note) in enumerate(rows):
        y = index * (height + gap) + 5
        bar = max(0.0, min(1.0, share)) * span
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="13">{escape(label[:40])}</text>'
            f'<rect x="{label_width}" y="{y}" width="{span}" height="{height}" fill="#eef2f7"/>'
            f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{height}" fill="{BAR}"/>'
            f'<text x="{label_width + bar + 6:.1f}" y="{y + 15}" font-size="13">{escape(note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(rows: list[dict[str, Any]], title: str, width: int = 940) -> str:
    """One bar per group, split into IQL/MQL/SQL shares, with a legend."""
    label_width, height, gap = 230, 20, 6
    total = len(rows) * (height + gap) + 36
    span = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{total}" '
        f'viewBox="0 0 {width} {total}"><title>{escape(title)}</title>'
    ]
    for index, stage in enumerate(COLOURS):
        parts.append(
            f'<rect x="{label_width + index * 90}" y="4" width="14" height="14" fill="{COLOURS[stage]}"/>'
            f'<text x="{label_width + index * 90 + 20}" y="16" font-size="13">{stage}</text>'
        )
    for index, row in enumerate(rows):
        y = index * (height + gap) + 30
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end" font-size="13">'
            f"{escape(str(row['group'])[:40])}</text>"
        )
        x = float(label_width)
        for stage, colour in COLOURS.items():
            piece = (row[stage] / row["leads"]) * span if row["leads"] else 0.0
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{piece:.1f}" height="{height}" fill="{colour}"/>')
            x += piece
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 14}" font-size="13">{row["leads"]:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _stage_table(rows: list[dict[str, Any]], name: str, limit: int = 25) -> str:
    shown = rows[:limit]
    table = _table(
        [name, "leads", "IQL", "MQL", "SQL", "hot-lead rate"],
        [
            [
                escape(str(row["group"])),
                *(_num(row[key]) for key in ("leads", "IQL", "MQL", "SQL")),
                _pct(row["hot_rate"]),
            ]
            for row in shown
        ],
    )
    more = f'<p class="muted">{len(rows) - limit:,} more in the CSV and JSON.</p>' if len(rows) > limit else ""
    return table + more


def render(report: dict[str, Any]) -> str:
    span = report["range"]
    total = report["conversations"]
    cards = "".join(
        f'<div class="card"><b>{value}</b>{escape(label)}</div>'
        for value, label in (
            (_num(total), "conversations"),
            (_num(report["leads"]), "leads"),
            (_pct(report["stages"]["hot_rate"]), "hot-lead rate (of leads)"),
            (_num(report["handoff"]["hot_leads"]), "hot leads"),
        )
    )
    period = (
        f"Conversations that started from {_when(span['since'], 'the first one')} "
        f"until before {_when(span['until'], 'now')}; the first at {_when(span['first_conversation'])}, "
        f"the last at {_when(span['last_conversation'])}. Generated {_when(report['generated_at'])}."
    )
    funnel = report["funnel"]
    funnel_chart = bar_chart(
        [(row["step"], row["share"] or 0.0, f"{row['conversations']:,} ({_pct(row['share'])})") for row in funnel],
        "Funnel",
    )
    questions = report["questions"]
    drop_chart = bar_chart(
        [
            (row["label"], row["drop_off_rate"] or 0.0, f"{_pct(row['drop_off_rate'])} of {row['saw']:,}")
            for row in questions
        ],
        "Drop-off per question",
    )
    question_table = _table(
        ["question", "saw it", "answered", "left", "drop-off", "median time", "clarified", "re-asked", "side question"],
        [
            [
                escape(row["label"]),
                _num(row["saw"]),
                _num(row["answered_after_asking"]),
                _num(row["dropped"]),
                _pct(row["drop_off_rate"]),
                _seconds(row["median_seconds_to_answer"]),
                _pct(row["clarification_rate"]),
                _pct(row["re_ask_rate"]),
                _pct(row["interruption_rate"]),
            ]
            for row in questions
        ],
    )
    early = ", ".join(f"{escape(row['label'])} {row['answered_before_asked']:,}" for row in questions)
    stages = report["stages"]
    handoff = report["handoff"]

    def wait(name: str) -> str:
        figure = handoff[name]
        if not figure["recorded"]:
            return "not recorded in this lead store"
        return f"{_seconds(figure['median_seconds'])} median over {figure['leads']:,} hot leads"

    bookings = handoff["bookings"]
    booking = (
        f"{_pct(bookings['booking_rate'])} ({_num(bookings['booked'])} of {handoff['hot_leads']:,} hot leads)"
        if bookings["recorded"]
        else "not recorded in this lead store"
    )
    variants = "".join(_variant_section(item) for item in report["variants"]) or (
        '<p class="muted">No question has variants. docs/marketers.md says how to run a variant test.</p>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conversation report</title><style>{STYLE}</style></head>
<body><main>
<h1>Where visitors drop off and which wording works</h1>
<p class="muted">{period}</p>
<div class="cards">{cards}</div>
<section><h2>Funnel</h2><p class="muted">Share of all {total:,} conversations that reached each step;
visitors who left before consent count too (from their answers only).</p>
<div class="figure">{funnel_chart}</div></section>
<section><h2>Questions</h2><p class="muted">"Saw it": the question was asked. "Left": asked and never answered.
Median time: from the question to its answer. Answered before being asked: {early}.</p>
<div class="figure">{drop_chart}</div>{question_table}</section>
<section><h2>Variants</h2>{variants}</section>
<section><h2>Stage mix</h2><p class="muted">Of the {report["leads"]:,} leads in the period.</p>
<h3>By week</h3><div class="figure">{stacked_chart(stages["by_week"], "Stage mix by week")}</div>
{_stage_table(stages["by_week"], "week")}
<h3>By source page</h3>{_stage_table(stages["by_page"], "page")}
<h3>By UTM source</h3>{_stage_table(stages["by_utm_source"], "utm_source")}
<h3>By UTM campaign</h3>{_stage_table(stages["by_utm_campaign"], "utm_campaign")}</section>
<section><h2>Hand-off</h2>
{
        _table(
            ["from a hot lead to", "time"],
            [
                ["rep notified", wait("notified")],
                ["claimed", wait("claimed")],
                ["first contact", wait("first_contact")],
                ["booking rate", booking],
            ],
        )
    }</section>
</main></body></html>
"""


def _variant_section(item: dict[str, Any]) -> str:
    rows = item["variants"]
    total_share = sum(row["share"] for row in rows) or 1

    def interval(value: tuple[float, float] | list[float] | None) -> str:
        return "–" if not value else f"{value[0]:.1%} – {value[1]:.1%}"

    chart = bar_chart(
        [
            (row["variant"], row["completion_rate"] or 0.0, f"{_pct(row['completion_rate'])} of {row['saw']:,}")
            for row in rows
        ],
        f"Completion of {item['label']} by variant",
    )
    table = _table(
        [
            "variant",
            "share",
            "conversations",
            "saw it",
            "answered",
            "completion (95 % CI)",
            "drop-off",
            "SQL rate (95 % CI)",
        ],
        [
            [
                escape(row["variant"]),
                _pct(row["share"] / total_share),
                _num(row["conversations"]),
                _num(row["saw"]),
                _num(row["answered"]),
                f"{_pct(row['completion_rate'])} ({interval(row['completion_ci95'])})",
                _pct(row["drop_off_rate"]),
                f"{_pct(row['sql_rate'])} ({interval(row['sql_ci95'])})",
            ]
            for row in rows
        ],
    )
    return (
        f'<h3>{escape(item["label"])}</h3><p class="verdict">{escape(item["verdict"])}</p>'
        f'<div class="figure">{chart}</div>{table}'
    )
