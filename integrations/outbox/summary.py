"""The hand-off a rep reads: everything needed to act on a lead in ten seconds."""

from __future__ import annotations

from typing import Any

from integrations.store.models import Lead

BANT_LABELS = (("need", "Need"), ("authority", "Authority"), ("budget", "Budget"), ("timeline", "Timeline"))


FIELD_LABELS = {"person_name": "name", "company": "company", "phone": "phone"}


def lead_summary(
    lead: Lead, transcript_url: str | None, rep: dict[str, Any] | None = None, earlier_leads: list[int] | None = None
) -> dict[str, Any]:
    """Structured summary (for any channel) plus a plain-text rendering of it.

    `transcript_url` is a signed link (integrations/leads/transcript_links.py) or None;
    `earlier_leads` are the ids of the person's earlier leads.
    """
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
        "consent": bool(lead.consent),
        "unverified": list(lead.unverified or []),
        "earlier_leads": list(earlier_leads or []),
        "transcript_url": transcript_url,
        "follow_up_by": lead.follow_up_by.isoformat() if lead.follow_up_by else None,
        "rep": rep,
    }
    summary["text"] = render_text(summary)
    return summary


def unverified_text(summary: dict[str, Any]) -> str | None:
    """ "UNVERIFIED: phone, name differ from this person's earlier conversations (leads 3, 5)", or None."""
    fields = [FIELD_LABELS.get(name, name) for name in summary.get("unverified") or []]
    if not fields:
        return None
    earlier = ", ".join(str(lead_id) for lead_id in summary.get("earlier_leads") or [])
    return f"UNVERIFIED: {', '.join(fields)} differ from this person's earlier conversations (leads {earlier})"


def transcript_line(summary: dict[str, Any]) -> str:
    return summary.get("transcript_url") or f"scripts/leads show {summary['lead_id']}"


def render_text(summary: dict[str, Any]) -> str:
    if summary.get("consent") is False:
        contact = "declined consent (no contact details stored)"
    else:
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
    warning = unverified_text(summary)
    if warning:
        lines.append(warning)
    elif summary.get("earlier_leads"):
        lines.append("Returning person: earlier leads " + ", ".join(str(i) for i in summary["earlier_leads"]))
    for key, label in BANT_LABELS:
        item = summary["bant"][key]
        lines.append(f'{label}: {item["category"] or "not answered"} - "{item["answer"] or ""}"')
    lines.append("Why: " + "; ".join(summary["reasons"]))
    page = (summary["source"] or {}).get("page_url")
    if page:
        lines.append(f"Source page: {page}")
    lines.append(f"Transcript: {transcript_line(summary)}")
    if summary["follow_up_by"]:
        lines.append(f"Follow up by: {summary['follow_up_by']}")
    if summary.get("rep"):
        lines.append(f"Assigned to: {summary['rep']['name']} <{summary['rep']['email']}>")
    return "\n".join(lines)


def returning_summary(summary: dict[str, Any], earlier: Lead, rep: dict[str, Any]) -> dict[str, Any]:
    """The notice to the rep of an earlier lead: the same person (by email) started a new conversation."""
    payload = {**summary, "earlier_lead_id": earlier.id, "rep": rep}
    who = summary["name"] or "someone"
    lines = [
        f"Returning person: {who} <{summary['email']}> (your lead {earlier.id}) is back in a new conversation, "
        f"lead {summary['lead_id']} ({summary['stage']}, score {summary['score']}).",
        unverified_text(summary) or "Contact details match the earlier ones.",
        f"Transcript: {transcript_line(summary)}",
        f"For: {rep['name']} <{rep['email']}>",
    ]
    payload["text"] = "\n".join(lines)
    return payload
