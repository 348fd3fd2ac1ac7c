"""The hand-off a rep reads: everything needed to act on a lead in ten seconds."""

from __future__ import annotations

from typing import Any

from integrations.store.models import Lead

BANT_LABELS = (("need", "Need"), ("authority", "Authority"), ("budget", "Budget"), ("timeline", "Timeline"))


def lead_summary(lead: Lead, transcript_url: str, rep: dict[str, Any] | None = None) -> dict[str, Any]:
    """Structured summary (for any channel) plus a plain-text rendering of it."""
    bant = {key: {"category": getattr(lead, key), "answer": getattr(lead, f"{key}_detail")} for key, _ in BANT_LABELS}
    if lead.budget_amount is not None:
        bant["budget"]["amount"] = lead.budget_amount
        bant["budget"]["currency"] = lead.budget_currency
        bant["budget"]["period"] = lead.budget_period
    summary: dict[str, Any] = {
        "lead_id": lead.id,
        "name": lead.person_name,
        "company": lead.company,
        "email": lead.email,
        "email_is_freemail": bool(lead.email_is_freemail),
        "phone": lead.phone,
        "score": lead.score,
        "stage": lead.stage,
        "temperature": lead.temperature,
        "bant": bant,
        "reasons": lead.reasons,
        "source": lead.source,
        "transcript_url": transcript_url.format(conversation_id=lead.conversation_id),
        "follow_up_by": lead.follow_up_by.isoformat() if lead.follow_up_by else None,
        "rep": rep,
    }
    summary["text"] = render_text(summary)
    return summary


def render_text(summary: dict[str, Any]) -> str:
    contact = summary["email"] or "no email"
    if summary["email_is_freemail"]:
        contact += " (free-mail address)"
    if summary["phone"]:
        contact += f", {summary['phone']}"
    lines = [
        f"{summary['temperature'].upper()} lead ({summary['stage']}, score {summary['score']}): "
        f"{summary['name'] or 'unknown'} at {summary['company'] or 'unknown company'}",
        f"Contact: {contact}",
    ]
    for key, label in BANT_LABELS:
        item = summary["bant"][key]
        lines.append(f'{label}: {item["category"] or "not answered"} - "{item["answer"] or ""}"')
    lines.append("Why: " + "; ".join(summary["reasons"]))
    page = (summary["source"] or {}).get("page_url")
    if page:
        lines.append(f"Source page: {page}")
    lines.append(f"Transcript: {summary['transcript_url']}")
    if summary["follow_up_by"]:
        lines.append(f"Follow up by: {summary['follow_up_by']}")
    if summary.get("rep"):
        lines.append(f"Assigned to: {summary['rep']['name']} <{summary['rep']['email']}>")
    return "\n".join(lines)
