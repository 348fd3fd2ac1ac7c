"""The console address of one conversation, for the "Join the chat" link in hand-off notifications."""

from __future__ import annotations

from urllib.parse import quote

from integrations import settings


def console_link(conversation_id: str) -> str:
    base = settings.value("CONSOLE_URL") or f"http://localhost:{settings.value('WEB_PORT')}/console"
    return f"{base.rstrip('/')}?conversation={quote(conversation_id, safe='')}"
