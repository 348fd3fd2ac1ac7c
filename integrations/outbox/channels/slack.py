"""Slack incoming webhook: a Block Kit message a rep can act on without opening anything else.

Everything the visitor typed is escaped for mrkdwn (&, <, >), so a name such as `<!channel>` or
`<https://evil|click>` shows up as text and can neither ping anyone nor hide a link. Long answers are
clipped to stay inside Block Kit's limits, which Slack enforces by rejecting the whole message.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from integrations.outbox.channels.http import Timeout, delivery_errors, new_session, post, raise_for_answer
from integrations.outbox.summary import LeadSummary
from integrations.store.models import Notification

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10  # per section
MAX_URL = 3000
# How much of the visitor's own words goes into the message; the transcript link has the rest.
MAX_ANSWER = 300
MAX_TRANSCRIPT_LINE = 280
TRANSCRIPT_LINES = 8

TEMPERATURE_ICONS = {"hot": ":fire:", "warm": ":sunny:", "cold": ":snowflake:"}
_USER_ID = re.compile(r"<?@?([UW][A-Z0-9]{2,})>?")
_CHANNEL_ID = re.compile(r"<?#?(C[A-Z0-9]{2,})(?:\|[^>]*)?>?")


MANAGER_CHANNEL = "slack_manager"  # the manager's own incoming webhook (reps.yml speed_to_lead.manager.slack_webhook)


class SlackChannel:
    name = "slack"

    def __init__(self, webhook_url: str, timeout: Timeout) -> None:
        self.webhook_url = webhook_url
        self.timeout = timeout
        self.session = new_session()

    def send(self, notification: Notification) -> None:
        with delivery_errors(self.name):
            message = build_message(notification)
            response = post(self.session, self.webhook_url, service=self.name, timeout=self.timeout, json=message)
            raise_for_answer(response, self.name)


class ManagerSlackChannel(SlackChannel):
    """The same messages, posted to the sales manager's own webhook: escalations (integrations/speed_to_lead.py)."""

    name = MANAGER_CHANNEL


def build_message(notification: Notification) -> dict[str, Any]:
    """The webhook body for one notification: fallback text (for the push notification) plus blocks."""
    if notification.kind == "sql_lead":
        return _lead_message(LeadSummary.from_payload(notification.payload))
    if notification.kind == "handoff":
        return _handoff_message(LeadSummary.from_payload(notification.payload))
    payload = notification.payload or {}
    text = escape(clip(str(payload.get("text") or notification.kind), MAX_ANSWER))
    return {"text": text, "blocks": [_section(text)]}


def escape(text: str) -> str:
    """Slack's three control characters; after this, text cannot form links, mentions or commands."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters (before escaping), so a long answer cannot break the layout."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visitor(value: Any, limit: int = MAX_ANSWER, missing: str = "not given") -> str:
    """Visitor-supplied text, clipped and escaped; `missing` (ours, in italics) when there is none."""
    if value is None or not str(value).strip():
        return f"_{missing}_"
    return escape(clip(str(value), limit))


def mention(rep: dict[str, Any] | None) -> str | None:
    """`<@U123>` for a Slack user ID, `<#C123>` for a channel ID, otherwise the target as plain text."""
    if not rep:
        return None
    target = str(rep.get("slack") or "").strip()
    if not target:
        return escape(clip(str(rep["name"]), 100)) if rep.get("name") else None
    if match := _USER_ID.fullmatch(target):
        return f"<@{match.group(1)}>"
    if match := _CHANNEL_ID.fullmatch(target):
        return f"<#{match.group(1)}>"
    return escape(clip(target, 100))


def _lead_message(lead: LeadSummary) -> dict[str, Any]:
    temperature = lead.temperature or "new"
    icon = TEMPERATURE_ICONS.get(temperature, ":bell:")
    score = lead.score
    title = f"{icon} {temperature.upper()} lead · {lead.stage or '?'} · score {'?' if score is None else score}"
    who = f"*{visitor(lead.name, 100, 'name not given')}* at *{visitor(lead.company, 100)}*"
    rep = mention(lead.rep)
    if rep:
        who += f"\nRep: {rep}"
    email = visitor(lead.email, 200)
    if lead.email and lead.email_is_freemail:
        email += "  :warning: free-mail address"
    answer_fields = []
    for answer in lead.answers:  # every question, in the dialogue's order, with its label
        category = visitor(answer.category, 40, "not answered")
        quote = f"\n“{visitor(answer.text)}”" if answer.text else ""
        answer_fields.append(f"*{visitor(answer.label, 60)}:* {category}{quote}")
    blocks: list[dict[str, Any]] = [
        _header(title),
        _section(who),
        _fields([f"*Email*\n{email}", f"*Phone*\n{visitor(lead.phone, 40)}"]),
    ]
    blocks += [_fields(answer_fields[at : at + MAX_FIELDS]) for at in range(0, len(answer_fields), MAX_FIELDS)]
    reasons = [escape(clip(str(reason), 200)) for reason in lead.reasons]
    if reasons:
        blocks.append(_section(_fit("*Why*\n" + "\n".join(f"• {reason}" for reason in reasons))))
    context = _source_line(lead.source)
    follow_up = _date(lead.follow_up_by)
    if follow_up:
        context.append(f"*Follow up by* {follow_up}")
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(part)} for part in context]})
    blocks.extend(_with_claim(_transcript(lead.transcript_url), lead.lead_id))
    fallback = f"{temperature.upper()} lead: {visitor(lead.name, 100, 'name not given')}"
    return {"text": fallback, "blocks": blocks}


def _handoff_message(request: LeadSummary) -> dict[str, Any]:
    who = f"*{visitor(request.name, 100, 'name not given')}*"
    if request.company:
        who += f" at *{visitor(request.company, 100)}*"
    who += " wants to talk to someone now."
    rep = mention(request.rep)
    if rep:
        who += f"\nRep: {rep}"
    blocks: list[dict[str, Any]] = [_header(":raising_hand: Visitor asked for a human"), _section(who)]
    if request.email or request.phone:
        blocks.append(_fields([f"*Email*\n{visitor(request.email, 200)}", f"*Phone*\n{visitor(request.phone, 40)}"]))
    else:
        blocks.append(_section("_No email or phone yet: answer in the chat while they are still there._"))
    known = [
        f"{visitor(answer.label, 60)}: {visitor(answer.category or answer.text, 40)}" for answer in request.answered
    ]
    if known:
        blocks.append(_section("*Known so far* " + " · ".join(known)))
    lines = _last_lines(request.transcript)
    if lines:
        blocks.append(_section(lines))
    context = _source_line(request.source)
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(part)} for part in context]})
    blocks.extend(_transcript(request.transcript_url, request.console_url))
    fallback = f"Visitor asked for a human: {visitor(request.name, 100, 'name not given')}"
    return {"text": fallback, "blocks": blocks}


def _last_lines(transcript: list[dict[str, Any]]) -> str:
    """The latest messages that fit in one section, oldest first."""
    heading = "*Last messages*"
    picked: list[str] = []
    size = len(heading)
    for line in reversed(transcript[-TRANSCRIPT_LINES:]):
        speaker = "*Visitor:*" if line.get("from") == "visitor" else "_Bot:_"
        rendered = f"{speaker} {visitor(line.get('text'), MAX_TRANSCRIPT_LINE, '(empty)')}"
        if size + len(rendered) + 1 > MAX_SECTION:
            break
        picked.append(rendered)
        size += len(rendered) + 1
    return "\n".join([heading, *reversed(picked)]) if picked else ""


def _source_line(source: dict[str, Any] | None) -> list[str]:
    source = source or {}
    parts = []
    if source.get("page_url"):
        # shown as text, not as a <url|label> link: the page URL comes from the visitor's browser
        parts.append(f"*Source* {visitor(source['page_url'], 300)}")
    campaign = [f"{key}={visitor(source[key], 80)}" for key in ("utm_source", "utm_campaign") if source.get(key)]
    if campaign:
        parts.append(" · ".join(campaign))
    return parts


def _date(value: Any) -> str | None:
    """Slack's date token shows the deadline in the reader's own time zone; the ISO text is the fallback."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return visitor(value, 40)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    fallback = escape(when.isoformat(timespec="minutes"))
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


CLAIM_ACTION = "claim_lead"  # Slack's interactivity request for it: integrations/web/slack_actions.py


def _with_claim(blocks: list[dict[str, Any]], lead_id: Any) -> list[dict[str, Any]]:
    """The transcript button's actions block (or a new one) with a Claim button for the lead."""
    if not isinstance(lead_id, int):
        return blocks
    claim = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Claim"},
        "style": "primary",
        "value": str(lead_id),
        "action_id": CLAIM_ACTION,
    }
    for block in blocks:
        if block["type"] == "actions":
            block["elements"].append(claim)
            return blocks
    return [*blocks, {"type": "actions", "elements": [claim]}]


def _link(url: Any) -> bool:
    return bool(url) and str(url).startswith(("https://", "http://")) and len(str(url)) <= MAX_URL


def _transcript(url: Any, console: Any = None) -> list[dict[str, Any]]:
    """ "Open transcript" and, for a visitor still in the chat, "Join the chat" (the rep console)."""
    buttons = []
    if _link(console):
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Join the chat"},
                "url": str(console),
                "style": "primary",
                "action_id": "join_chat",
            }
        )
    if _link(url):
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open transcript"},
                "url": str(url),
                "action_id": "open_transcript",
            }
        )
    blocks: list[dict[str, Any]] = [{"type": "actions", "elements": buttons}] if buttons else []
    if url and not _link(url):
        blocks.append(_section(f"*Transcript* {visitor(url, 500)}"))
    return blocks


def _header(text: str) -> dict[str, Any]:
    text = text if len(text) <= MAX_HEADER else text[: MAX_HEADER - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text)}}


def _fields(texts: list[str]) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": _fit(text, MAX_FIELD)} for text in texts]}


def _fit(text: str, limit: int = MAX_SECTION) -> str:
    """Last-resort cut that never splits an escape such as &amp; (the parts are already clipped)."""
    if len(text) <= limit:
        return text
    cut = re.sub(r"&[a-z]*$", "", text[: limit - 1])
    return cut + "…"
