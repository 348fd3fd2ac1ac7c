"""The one shape every notification has: who the visitor is and every answer, for any channel.

A qualified lead (`sql_lead`), a visitor who asked for a person (`handoff`) and the notice that a person
came back (`returning_person`) are all a `LeadSummary`; the payload stored in the outbox is its
`as_payload()`, and each channel reads it back with `LeadSummary.from_payload`. The answers come in the
order and with the labels the dialogue gave (integrations/answers.py), so a new question needs no code
here or in any channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from integrations.answers import Answer, answers_from_json, answers_to_json
from integrations.store.models import Lead

FIELD_LABELS = {"person_name": "name", "company": "company", "phone": "phone"}
HUMAN_REQUESTED = "Visitor asked to talk to a human"


class UnreadablePayloadError(ValueError):
    """A stored payload that is not a summary (a hand-edited row, a bug): a dead letter, never a crash."""


@dataclass(frozen=True)
class LeadSummary:
    name: str | None = None
    company: str | None = None
    email: str | None = None
    email_is_freemail: bool = False
    phone: str | None = None
    answers: list[Answer] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    transcript_url: str | None = None
    rep: dict[str, Any] | None = None
    # a stored lead
    lead_id: int | None = None
    score: int | None = None
    stage: str | None = None
    temperature: str | None = None
    reasons: list[str] = field(default_factory=list)
    consent: bool | None = None  # None: not asked yet (a hand-off mid-conversation)
    unverified: list[str] = field(default_factory=list)
    earlier_leads: list[int] = field(default_factory=list)
    follow_up_by: str | None = None
    # a hand-off: why the visitor wants a person, and the conversation so far
    request: str | None = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    console_url: str | None = None  # "Join the chat": the conversation in the rep console (docs/console.md)
    # a returning person: the earlier lead whose rep is told
    earlier_lead_id: int | None = None
    text: str = ""

    @property
    def answered(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.category or answer.text]

    def answer(self, question: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.question == question), None)

    def with_text(self) -> LeadSummary:
        return replace(self, text=render_handoff_text(self) if self.request else render_text(self))

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "lead_id": self.lead_id,
            "name": self.name,
            "company": self.company,
            "email": self.email,
            "email_is_freemail": bool(self.email_is_freemail),
            "phone": self.phone,
            "score": self.score,
            "stage": self.stage,
            "temperature": self.temperature,
            "answers": answers_to_json(self.answers),
            "reasons": list(self.reasons),
            "source": dict(self.source),
            "consent": self.consent,
            "unverified": list(self.unverified),
            "earlier_leads": list(self.earlier_leads),
            "transcript_url": self.transcript_url,
            "follow_up_by": self.follow_up_by,
            "rep": self.rep,
            "text": self.text,
        }
        if self.request is not None:
            payload["request"] = self.request
            payload["transcript"] = list(self.transcript)
        if self.console_url is not None:
            payload["console_url"] = self.console_url
        if self.earlier_lead_id is not None:
            payload["earlier_lead_id"] = self.earlier_lead_id
        return payload

    @classmethod
    def from_payload(cls, payload: Any) -> LeadSummary:
        """The summary a notification carries; UnreadablePayloadError when the payload is not one."""
        if not isinstance(payload, Mapping):
            raise UnreadablePayloadError(f"the payload is a {type(payload).__name__}, not a summary")
        answers = payload.get("answers") or []
        transcript = payload.get("transcript") or []
        source = payload.get("source") or {}
        rep = payload.get("rep")
        if not isinstance(answers, list) or not isinstance(transcript, list) or not isinstance(source, Mapping):
            raise UnreadablePayloadError("answers and transcript must be lists and source a mapping")
        if rep is not None and not isinstance(rep, Mapping):
            raise UnreadablePayloadError("rep must be a mapping")
        return cls(
            name=_text(payload.get("name")),
            company=_text(payload.get("company")),
            email=_text(payload.get("email")),
            email_is_freemail=bool(payload.get("email_is_freemail")),
            phone=_text(payload.get("phone")),
            answers=answers_from_json(answers),
            source=dict(source),
            transcript_url=_text(payload.get("transcript_url")),
            console_url=_text(payload.get("console_url")),
            rep=dict(rep) if rep else None,
            lead_id=payload.get("lead_id"),
            score=payload.get("score"),
            stage=_text(payload.get("stage")),
            temperature=_text(payload.get("temperature")),
            reasons=[str(reason) for reason in payload.get("reasons") or []],
            consent=payload.get("consent"),
            unverified=[str(name) for name in payload.get("unverified") or []],
            earlier_leads=list(payload.get("earlier_leads") or []),
            follow_up_by=_text(payload.get("follow_up_by")),
            request=_text(payload.get("request")),
            transcript=[dict(line) for line in transcript if isinstance(line, Mapping)],
            earlier_lead_id=payload.get("earlier_lead_id"),
            text=str(payload.get("text") or ""),
        )


def lead_summary(
    lead: Lead, transcript_url: str | None, rep: dict[str, Any] | None = None, earlier_leads: list[int] | None = None
) -> LeadSummary:
    """The summary of a stored lead.

    `transcript_url` is a signed link (integrations/leads/transcript_links.py) or None;
    `earlier_leads` are the ids of the person's earlier leads.
    """
    return LeadSummary(
        lead_id=lead.id,
        name=lead.person_name,
        company=lead.company,
        email=lead.email,
        email_is_freemail=bool(lead.email_is_freemail),
        phone=lead.phone,
        score=lead.score,
        stage=lead.stage,
        temperature=lead.temperature,
        answers=answers_from_json(lead.answers),
        reasons=list(lead.reasons or []),
        source=dict(lead.source or {}),
        consent=bool(lead.consent),
        unverified=list(lead.unverified or []),
        earlier_leads=list(earlier_leads or []),
        transcript_url=transcript_url,
        follow_up_by=lead.follow_up_by.isoformat() if lead.follow_up_by else None,
        rep=rep,
    ).with_text()


def unverified_text(summary: LeadSummary) -> str | None:
    """ "UNVERIFIED: phone, name differ from this person's earlier conversations (leads 3, 5)", or None."""
    fields = [FIELD_LABELS.get(name, name) for name in summary.unverified]
    if not fields:
        return None
    earlier = ", ".join(str(lead_id) for lead_id in summary.earlier_leads)
    return f"UNVERIFIED: {', '.join(fields)} differ from this person's earlier conversations (leads {earlier})"


def transcript_line(summary: LeadSummary) -> str:
    return summary.transcript_url or f"scripts/leads show {summary.lead_id}"


def answer_line(answer: Answer) -> str:
    return f'{answer.label}: {answer.category or "not answered"} - "{answer.text or ""}"'


def _contact_line(summary: LeadSummary) -> str:
    if summary.consent is False:
        return "declined consent (no contact details stored)"
    contact = summary.email or "no email"
    if summary.email_is_freemail:
        contact += " (free-mail address)"
    if summary.phone:
        contact += f", {summary.phone}"
    return contact


def _tail(summary: LeadSummary, lines: list[str]) -> list[str]:
    page = summary.source.get("page_url")
    if page:
        lines.append(f"Source page: {page}")
    lines.append(f"Transcript: {transcript_line(summary)}")
    if summary.console_url:
        lines.append(f"Join the chat: {summary.console_url}")
    if summary.follow_up_by:
        lines.append(f"Follow up by: {summary.follow_up_by}")
    if summary.rep:
        lines.append(f"Assigned to: {summary.rep.get('name')} <{summary.rep.get('email')}>")
    return lines


def render_text(summary: LeadSummary) -> str:
    """What a rep reads about a qualified lead: every question's answer, in the dialogue's order."""
    lines = [
        f"{(summary.temperature or 'new').upper()} lead ({summary.stage}, score {summary.score}): "
        f"{summary.name or 'unknown'} at {summary.company or 'unknown company'}",
        f"Contact: {_contact_line(summary)}",
    ]
    warning = unverified_text(summary)
    if warning:
        lines.append(warning)
    elif summary.earlier_leads:
        lines.append("Returning person: earlier leads " + ", ".join(str(i) for i in summary.earlier_leads))
    lines += [answer_line(answer) for answer in summary.answers]
    lines.append("Why: " + "; ".join(summary.reasons))
    return "\n".join(_tail(summary, lines))


def render_handoff_text(summary: LeadSummary) -> str:
    """What a rep reads when a visitor asks for a person: who, how to reach them, what they answered so far."""
    who = summary.name or "name not given"
    lines = [f"{summary.request}: {who}" + (f" at {summary.company}" if summary.company else "")]
    if summary.email or summary.phone:
        lines.append(f"Contact: {_contact_line(summary)}")
    else:
        lines.append("Contact: none yet; answer in the chat while they are still there")
    lines += [f"{answer.label}: {answer.shown}" for answer in summary.answered]
    return "\n".join(_tail(summary, lines))


def returning_summary(summary: LeadSummary, earlier: Lead, rep: dict[str, Any]) -> LeadSummary:
    """The notice to the rep of an earlier lead: the same person (by email) started a new conversation."""
    who = summary.name or "someone"
    lines = [
        f"Returning person: {who} <{summary.email}> (your lead {earlier.id}) is back in a new conversation, "
        f"lead {summary.lead_id} ({summary.stage}, score {summary.score}).",
        unverified_text(summary) or "Contact details match the earlier ones.",
        f"Transcript: {transcript_line(summary)}",
        f"For: {rep['name']} <{rep['email']}>",
    ]
    return replace(summary, earlier_lead_id=earlier.id, rep=rep, text="\n".join(lines))


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """("Maria", "López Díaz") from "Maria López Díaz"; a single word is a first name."""
    parts = (name or "").split()
    if not parts:
        return None, None
    return parts[0], " ".join(parts[1:]) or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
