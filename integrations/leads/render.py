"""What the CLI prints: the leads table, one lead in full, the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from integrations.answers import BUDGET_DETAILS, COLUMN_QUESTIONS, answers_from_json
from integrations.leads.export import FIELDS
from integrations.leads.queries import as_utc, is_overdue
from integrations.leads.terminal import clean, display_width, indent_continuation, pad, table
from integrations.leads.transcripts import Line
from integrations.speed_to_lead import seconds_between
from integrations.store.models import Lead, Notification, Person, Takeover

LABEL_WIDTH = 15


def when(value: datetime | None, *, seconds: bool = False) -> str:
    value = as_utc(value)
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M")


def follow_up(lead: Lead, now: datetime, *, seconds: bool = False) -> str:
    text = when(lead.follow_up_by, seconds=seconds)
    return f"{text} OVERDUE" if is_overdue(lead, now) else text


def first_delivery(notifications: Sequence[Notification]) -> datetime | None:
    """When the rep was first told: the earliest delivered hand-off of the lead."""
    times = [as_utc(n.delivered_at) for n in notifications if n.kind == "sql_lead" and n.delivered_at]
    return min((moment for moment in times if moment), default=None)


def duration(start: datetime | None, end: datetime | None) -> str:
    """`1 min 05 s` from `start` to `end`, or `-` when either is missing."""
    seconds = seconds_between(as_utc(start), as_utc(end))
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {rest:02d} s"


FIELD_LABELS = {"person_name": "name", "company": "company", "phone": "phone"}


def unverified_text(lead: Lead) -> str | None:
    return ", ".join(FIELD_LABELS.get(name, name) for name in lead.unverified or []) or None


def _email_cell(lead: Lead) -> str | None:
    if not lead.consent:
        return "(declined consent)"
    return lead.email


def leads_table(leads: Sequence[Lead], now: datetime, earlier: dict[int, list[int]] | None = None) -> str:
    """The leads; EARLIER lists the ids of the same person's earlier leads, UNVERIFIED their differing details."""
    if not leads:
        return "no leads match"
    earlier = earlier or {}
    headers = (
        "ID",
        "WHEN",
        "STAGE",
        "SCORE",
        "NAME",
        "COMPANY",
        "EMAIL",
        "EARLIER",
        "UNVERIFIED",
        "REP",
        "STATUS",
        "FOLLOW UP BY",
    )
    rows = [
        (
            lead.id,
            when(lead.created_at),
            f"{lead.stage}/{lead.temperature}",
            lead.score,
            lead.person_name,
            lead.company,
            _email_cell(lead),
            ", ".join(str(other) for other in earlier.get(lead.id, [])) or None,
            unverified_text(lead),
            lead.assigned_rep,
            lead.status,
            follow_up(lead, now),
        )
        for lead in leads
    ]
    widths = {"NAME": 24, "COMPANY": 22, "EMAIL": 32, "EARLIER": 14, "UNVERIFIED": 20, "REP": 16}
    overdue = sum(is_overdue(lead, now) for lead in leads)
    noun = "lead" if len(leads) == 1 else "leads"
    return f"{table(headers, rows, widths)}\n\n{len(leads)} {noun}, {overdue} overdue"


def _field(label: str, value: Any) -> str:
    text = clean(value, keep_newlines=True) if value not in (None, "") else "-"
    return "  " + pad(label, LABEL_WIDTH) + indent_continuation(text, 2 + LABEL_WIDTH)


def _quoted(value: str | None) -> str:
    return "-" if value is None else f'"{value}"'


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _answer(label: str, category: str | None, words: str | None) -> str:
    category_text = pad(clean(category) or "-", 16)
    words_text = indent_continuation(clean(_quoted(words), keep_newlines=True), 2 + LABEL_WIDTH + 16)
    return "  " + pad(label, LABEL_WIDTH) + category_text + words_text


def _amount(lead: Lead) -> str:
    parts = (
        f"{lead.budget_amount:,.2f}".removesuffix(".00") if lead.budget_amount is not None else None,
        lead.budget_currency,
        f"per {lead.budget_period}" if lead.budget_period else None,
    )
    return " ".join(part for part in parts if part)


def person_section(lead: Lead, person: Person | None, others: Sequence[Lead]) -> list[str]:
    """Who the lead's email belongs to: the person's first details and their other conversations."""
    if person is None:
        return ["  - (no email with consent: not linked to a person)"]
    out = [
        _field("person", f"{person.id} ({person.email})"),
        _field(
            "first details",
            " / ".join(str(value or "-") for value in (person.person_name, person.company, person.phone)),
        ),
        _field(
            "unverified",
            f"{unverified_text(lead)} (differ from the person's earlier details)" if lead.unverified else "none",
        ),
    ]
    if not others:
        return [*out, _field("other leads", "none: first conversation")]
    out.append(f"  Other conversations of this person ({len(others)})")
    rows = [
        (
            other.id,
            "earlier" if other.id < lead.id else "later",
            when(other.created_at),
            f"{other.stage}/{other.temperature}",
            other.score,
            other.person_name,
            other.phone,
            unverified_text(other),
            other.assigned_rep,
            other.conversation_id,
        )
        for other in others
    ]
    headers = ("ID", "", "WHEN", "STAGE", "SCORE", "NAME", "PHONE", "UNVERIFIED", "REP", "CONVERSATION")
    return [*out, _indent(table(headers, rows, {"NAME": 24, "UNVERIFIED": 20, "REP": 16, "CONVERSATION": 40}))]


def lead_details(
    lead: Lead,
    notifications: Sequence[Notification],
    transcript: Sequence[Line] | None,
    transcript_note: str,
    now: datetime,
    person: Person | None = None,
    others: Sequence[Lead] = (),
    takeovers: Sequence[Takeover] = (),
) -> str:
    """Every column of the lead, its person with their other conversations, its notifications, who took the
    conversation over in the rep console (and when), and the transcript."""
    shown: set[str] = set()

    def field(label: str, name: str, value: Any = None) -> str:
        shown.add(name)
        return _field(label, getattr(lead, name) if value is None else value)

    out = [f"Lead {lead.id}: {lead.stage} ({lead.temperature}), score {lead.score}, status {lead.status}"]
    out += [
        field("conversation", "conversation_id"),
        field("created", "created_at", when(lead.created_at, seconds=True)),
        field("updated", "updated_at", when(lead.updated_at, seconds=True)),
        "",
        "Contact",
        field("name", "person_name"),
        field("email", "email"),
        field("free-mail", "email_is_freemail", _yes_no(lead.email_is_freemail)),
        field("company", "company"),
        field("phone", "phone"),
        "",
        "Consent",
        field("given", "consent", "yes" if lead.consent else "no: declined consent, no contact details kept"),
        field("at", "consent_at", when(lead.consent_at, seconds=True)),
        field("wording", "consent_text", _quoted(lead.consent_text)),
        "",
        "Person (everyone who gave this email)",
        *person_section(lead, person, others),
        "",
        "Qualification (category, then the visitor's own words)",
    ]
    shown.update(("person_id", "unverified", "answers"))
    # every question the dialogue asked, in its order and with its label; the BANT columns repeat four of them
    shown.update(name for question in COLUMN_QUESTIONS for name in (question, f"{question}_detail"))
    shown.update(f"budget_{name}" for name in BUDGET_DETAILS)
    for answer in answers_from_json(lead.answers):
        out.append(_answer(clean(answer.label), answer.category, answer.text))
        if answer.question == "budget":
            out.append(_field("budget amount", _amount(lead)))
    out += [
        "",
        "Score",
        field("score", "score", str(lead.score)),
        field("stage", "stage", f"{lead.stage} ({lead.temperature})"),
    ]
    shown.update(("temperature", "reasons"))
    reasons = lead.reasons or []
    out.append(_field("why", "\n".join(str(reason) for reason in reasons) if reasons else None))
    out += ["", "Source"]
    shown.add("source")
    source = lead.source or {}
    out += [_field(str(key), value) for key, value in source.items()] or ["  -"]
    if lead.dialogue_variants:  # the wording variants of an A/B test this visitor was asked
        out.append(_field("variants", ", ".join(f"{q}: {v}" for q, v in lead.dialogue_variants.items())))
    shown.add("dialogue_variants")
    out += [
        "",
        "Follow-up",
        field("rep", "assigned_rep"),
        field("status", "status"),
        field("follow up by", "follow_up_by", follow_up(lead, now, seconds=True)),
        "",
        "Speed to lead",
        field("first touch by", "first_touch_by", when(lead.first_touch_by, seconds=True)),
        _field("time to notify", duration(lead.created_at, first_delivery(notifications))),
        field("time to claim", "claimed_at", duration(lead.created_at, lead.claimed_at)),
        field("first contact", "first_contacted_at", duration(lead.created_at, lead.first_contacted_at)),
        field("escalations", "escalations", str(lead.escalations or 0)),
    ]
    shown.add("id")
    new_columns = [name for name in FIELDS if name not in shown]
    if new_columns:  # columns added to the table after this tool was written
        out += ["", "Other fields"] + [_field(name, getattr(lead, name)) for name in new_columns]
    out += ["", f"Taken over in the rep console ({len(takeovers)})"]
    out += [
        f"  {clean(row.rep_name)} ({clean(row.rep)}): {when(row.taken_at, seconds=True)} to "
        + (when(row.released_at, seconds=True) if row.released_at else "now (still with the rep)")
        for row in takeovers
    ] or ["  never"]
    out += ["", f"Notifications ({len(notifications)})"]
    out.append(_indent(notifications_table(notifications)) if notifications else "  none")
    out += ["", f"Transcript ({transcript_note})"]
    out.append(_indent(transcript_text(transcript)) if transcript else "  no messages")
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.splitlines())


def transcript_text(lines: Sequence[Line]) -> str:
    rendered = []
    speaker_width = max(display_width(clean(line.label)) for line in lines)
    for line in lines:
        stamp = line.at.strftime("%H:%M:%S") if line.at else "--:--:--"
        prefix = f"{stamp}  {pad(clean(line.label), speaker_width)}  "
        body = clean(line.text, keep_newlines=True) or ("(buttons only)" if line.buttons else "(no text)")
        if line.buttons:
            body += "\n[" + " | ".join(clean(title) for title in line.buttons) + "]"
        rendered.append(prefix + indent_continuation(body, len(prefix)))
    return "\n".join(rendered)


def _next_or_sent(notification: Notification) -> str:
    if notification.status == "sent":
        return when(notification.delivered_at)
    return when(notification.next_attempt_at) if notification.status == "pending" else "-"


def notifications_table(notifications: Sequence[Notification]) -> str:
    if not notifications:
        return "no notifications match"
    headers = ("ID", "LEAD", "KIND", "CHANNEL", "STATUS", "ATTEMPTS", "CREATED", "NEXT TRY / SENT", "LAST ERROR")
    rows = [
        (
            notification.id,
            notification.lead_id,
            notification.kind,
            notification.channel,
            notification.status,
            notification.attempts,
            when(notification.created_at),
            _next_or_sent(notification),
            notification.last_error,
        )
        for notification in notifications
    ]
    return table(headers, rows, {"LAST ERROR": 60, "KIND": 12, "CHANNEL": 14})
