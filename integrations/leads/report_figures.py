"""The figures of `leads report`, computed from the conversations and the leads (no I/O).

Every figure is a count with the count it is a share of, so the HTML, CSV and JSON say the same, and a
marketer can check a rate against its sample.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from statistics import median
from typing import Any

from integrations.leads.report_events import Conversation
from integrations.leads.report_leads import LeadColumns, LeadRow
from integrations.variants import ORDER_KEY, Order, Variant

STAGES = ("IQL", "MQL", "SQL")
Z_95 = 1.959963984540054
# Fewer visitors than this who saw the question in any variant: no winner is called.
MIN_SAMPLE_PER_VARIANT = 100


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    label: str
    variants: list[Variant]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def build(
    conversations: list[Conversation],
    leads: list[LeadRow],
    columns: LeadColumns,
    questions: list[QuestionInfo],
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    orders: list[Order] | None = None,
) -> dict[str, Any]:
    lead_of = {lead.conversation_id: lead for lead in leads}
    stage_of = {
        c.sender_id: c.stage or (lead_of[c.sender_id].stage if c.sender_id in lead_of else None) for c in conversations
    }
    started = [c.started for c in conversations]
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "range": {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "first_conversation": _iso(min(started)) if started else None,
            "last_conversation": _iso(max(started)) if started else None,
        },
        "conversations": len(conversations),
        "leads": len(leads),
        "funnel": funnel(conversations, questions, stage_of),
        "questions": [question_figures(conversations, question) for question in questions],
        "stages": stage_mix(leads),
        "handoff": handoff(leads, columns),
        "variants": [variant_figures(conversations, question, stage_of) for question in questions if question.variants]
        + ([order_figures(conversations, questions, orders, stage_of)] if orders else []),
    }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def funnel(
    conversations: list[Conversation], questions: list[QuestionInfo], stage_of: dict[str, str | None]
) -> list[dict[str, Any]]:
    total = len(conversations)
    steps: list[tuple[str, Callable[[Conversation], bool]]] = [
        ("chat opened", lambda c: c.opened),
        ("first message", lambda c: c.first_message),
    ]
    for question in questions:
        steps.append((f"{question.label} answered", _answered(question.id)))
    steps += [
        ("contact form started", lambda c: c.contact_started),
        ("consent given", lambda c: c.consent),
        ("stage reached", lambda c: stage_of.get(c.sender_id) is not None),
    ]
    rows = []
    for step, test in steps:
        count = sum(1 for conversation in conversations if test(conversation))
        rows.append({"step": step, "conversations": count, "share": rate(count, total)})
    reached = Counter(stage_of.get(c.sender_id) for c in conversations)
    for stage in STAGES:
        rows.append({"step": f"stage {stage}", "conversations": reached[stage], "share": rate(reached[stage], total)})
    return rows


def _answered(question: str) -> Callable[[Conversation], bool]:
    return lambda conversation: conversation.questions[question].answered


def question_figures(conversations: Iterable[Conversation], question: QuestionInfo) -> dict[str, Any]:
    saw = answered = dropped = clarified = re_asked = interrupted = early = 0
    waits: list[float] = []
    for conversation in conversations:
        facts = conversation.questions[question.id]
        if not facts.saw:
            early += int(facts.answered)
            continue
        saw += 1
        if facts.answered:
            answered += 1
            assert facts.asked_at is not None and facts.answered_at is not None
            waits.append(max(0.0, facts.answered_at - facts.asked_at))
        else:
            dropped += 1
        clarified += int(facts.clarified)
        re_asked += int(facts.re_asked)
        interrupted += int(facts.interruptions > 0)
    return {
        "question": question.id,
        "label": question.label,
        "saw": saw,
        "answered_after_asking": answered,
        "answered_before_asked": early,
        "dropped": dropped,
        "drop_off_rate": rate(dropped, saw),
        "median_seconds_to_answer": _median(waits),
        "clarified": clarified,
        "clarification_rate": rate(clarified, saw),
        "re_asked": re_asked,
        "re_ask_rate": rate(re_asked, saw),
        "interrupted": interrupted,
        "interruption_rate": rate(interrupted, saw),
    }


def stage_mix(leads: list[LeadRow]) -> dict[str, Any]:
    def grouped(key: Callable[[LeadRow], str]) -> list[dict[str, Any]]:
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        for lead in leads:
            groups[key(lead)][lead.stage] += 1
        rows = []
        for name, counts in groups.items():
            total = sum(counts.values())
            row: dict[str, Any] = {"group": name, "leads": total}
            row.update({stage: counts[stage] for stage in STAGES})
            row["hot_rate"] = rate(counts["SQL"], total)
            rows.append(row)
        return sorted(rows, key=lambda row: (-row["leads"], row["group"]))

    def week(lead: LeadRow) -> str:
        year, number, _ = lead.created_at.isocalendar()
        return f"{year}-W{number:02d}"

    overall = Counter(lead.stage for lead in leads)
    return {
        "overall": {stage: overall[stage] for stage in STAGES},
        "hot_rate": rate(overall["SQL"], len(leads)),
        "by_page": grouped(lambda lead: lead.page),
        "by_utm_source": grouped(lambda lead: lead.utm_source),
        "by_utm_campaign": grouped(lambda lead: lead.utm_campaign),
        "by_week": sorted(grouped(week), key=lambda row: row["group"]),
    }


def handoff(leads: list[LeadRow], columns: LeadColumns) -> dict[str, Any]:
    hot = [lead for lead in leads if lead.stage == "SQL"]

    def waits(recorded: bool, moment: Callable[[LeadRow], datetime | None]) -> dict[str, Any]:
        if not recorded:
            return {"recorded": False, "leads": 0, "median_seconds": None}
        seconds = [
            max(0.0, (when - lead.created_at).total_seconds()) for lead in hot if (when := moment(lead)) is not None
        ]
        return {"recorded": True, "leads": len(seconds), "median_seconds": _median(seconds)}

    booked = sum(1 for lead in hot if lead.booked)
    return {
        "hot_leads": len(hot),
        "notified": waits(True, lambda lead: lead.notified_at),
        "claimed": waits(columns.claimed is not None, lambda lead: lead.claimed_at),
        "first_contact": waits(columns.contacted is not None, lambda lead: lead.contacted_at),
        "bookings": {
            "recorded": columns.bookings is not None,
            "booked": booked if columns.bookings else None,
            "booking_rate": rate(booked, len(hot)) if columns.bookings else None,
        },
    }


def variant_figures(
    conversations: list[Conversation], question: QuestionInfo, stage_of: dict[str, str | None]
) -> dict[str, Any]:
    facts = question.id
    rows = _variant_rows(
        conversations,
        question.id,
        question.variants,
        lambda c: c.questions[facts].saw,
        lambda c: c.questions[facts].answered,
        stage_of,
    )
    return {"question": question.id, "label": question.label, "variants": rows, "verdict": verdict(rows)}


def order_figures(
    conversations: list[Conversation],
    questions: list[QuestionInfo],
    orders: list[Order],
    stage_of: dict[str, str | None],
) -> dict[str, Any]:
    """Order variants, compared like wording variants: "saw" is a visitor who was asked any question of the
    form, "answered" one who answered every question of their order (the whole qualification)."""
    asked = {question.id for question in questions}

    def answered(c: Conversation) -> bool:
        order = next(order for order in orders if order.name == c.variants.get(ORDER_KEY))
        return all(c.questions[q].answered for q in order.questions if q in asked)

    rows = _variant_rows(
        conversations, ORDER_KEY, orders, lambda c: any(c.questions[q].saw for q in asked), answered, stage_of
    )
    return {"question": ORDER_KEY, "label": "Order of the questions", "variants": rows, "verdict": verdict(rows)}


def _variant_rows(
    conversations: list[Conversation],
    key: str,
    variants: Sequence[Variant],
    saw_it: Callable[[Conversation], bool],
    answered_it: Callable[[Conversation], bool],
    stage_of: dict[str, str | None],
) -> list[dict[str, Any]]:
    rows = []
    for variant in variants:
        assigned = [c for c in conversations if c.variants.get(key) == variant.name]
        saw = [c for c in assigned if saw_it(c)]
        answered = sum(1 for c in saw if answered_it(c))
        sql = sum(1 for c in assigned if stage_of.get(c.sender_id) == "SQL")
        rows.append(
            {
                "variant": variant.name,
                "share": variant.share,
                "conversations": len(assigned),
                "saw": len(saw),
                "answered": answered,
                "completion_rate": rate(answered, len(saw)),
                "completion_ci95": wilson(answered, len(saw)),
                "dropped": len(saw) - answered,
                "drop_off_rate": rate(len(saw) - answered, len(saw)),
                "sql": sql,
                "sql_rate": rate(sql, len(assigned)),
                "sql_ci95": wilson(sql, len(assigned)),
            }
        )
    return rows


def verdict(rows: list[dict[str, Any]]) -> str:
    """In plain words: which variant wins, or why none can be called yet."""
    smallest = min((row["saw"] for row in rows), default=0)
    if smallest < MIN_SAMPLE_PER_VARIANT:
        return (
            f"Not enough data to call a winner: each variant needs at least {MIN_SAMPLE_PER_VARIANT} visitors "
            f"who saw the question (the smallest has {smallest})."
        )
    said = []
    for metric, interval, name in (
        ("completion_rate", "completion_ci95", "completes the question"),
        ("sql_rate", "sql_ci95", "gives SQLs"),
    ):
        best = max(rows, key=lambda row: row[metric] or 0.0)
        others = [row for row in rows if row is not best]
        if all(best[interval][0] > row[interval][1] for row in others):
            runner_up = max(others, key=lambda row: row[metric] or 0.0)
            said.append(
                f"{best['variant']} {name} more often ({best[metric]:.1%} against {runner_up[metric]:.1%}; "
                "the 95 % intervals do not overlap)."
            )
        else:
            said.append(f"No winner on how often it {name}: the 95 % intervals overlap.")
    return " ".join(said)
