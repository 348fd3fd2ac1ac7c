"""Signed, expiring transcript links for reps that do not reveal the conversation id.

Knowing a conversation id lets anyone post into that conversation (SECURITY.md), so the links in
rep notifications carry a random reference instead, stored in the lead store (`transcript_links`),
with an expiry time and an HMAC-SHA256 signature made with TRANSCRIPT_LINK_SECRET:

    <TRANSCRIPT_URL with {token} filled in>      token = <ref>.<expires, unix seconds>.<signature>

`verify` checks a token (signature in constant time, then expiry) and `resolve` gives the conversation
it stands for; `transcript_page` is the whole answer of a page that serves the transcript.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.settings import Settings
from integrations.store.db import transaction
from integrations.store.models import TranscriptLink

DEFAULT_LIFETIME = timedelta(days=7)


class InvalidLinkError(Exception):
    """The token is malformed, its signature is wrong, it expired, or its conversation was erased."""


@dataclass(frozen=True)
class TranscriptLinks:
    """How to make links: the secret, the URL template with `{token}`, and how long a link works."""

    secret: str | None
    url_template: str
    lifetime: timedelta = DEFAULT_LIFETIME

    @classmethod
    def from_settings(cls, settings: Settings) -> TranscriptLinks:
        return cls(settings.transcript_link_secret, settings.transcript_url, settings.transcript_link_lifetime)

    def url(self, session: Session, conversation_id: str, now: datetime) -> str | None:
        """A signed link to the conversation's transcript, or None without a secret (nothing to sign with)."""
        if not self.secret:
            return None
        token = sign(self.secret, reference(session, conversation_id, now), now + self.lifetime)
        return self.url_template.replace("{token}", token).replace("{conversation_id}", token)


def reference(session: Session, conversation_id: str, now: datetime) -> str:
    """The conversation's random reference, created on first use."""
    ref = session.scalar(select(TranscriptLink.ref).where(TranscriptLink.conversation_id == conversation_id))
    if ref is None:
        ref = secrets.token_urlsafe(16)
        session.add(TranscriptLink(ref=ref, conversation_id=conversation_id, created_at=now))
        session.flush()
    return ref


def _signature(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, ref: str, expires: datetime) -> str:
    message = f"{ref}.{int(expires.timestamp())}"
    return f"{message}.{_signature(secret, message)}"


def token_of(link: str) -> str:
    """The token of a whole link (its last path segment) or of a bare token."""
    path = urlsplit(link.strip()).path if "://" in link else link.strip()
    return path.rstrip("/").rsplit("/", 1)[-1]


def verify(secret: str, token: str, now: datetime) -> str:
    """The reference of a valid, unexpired token; InvalidLinkError otherwise."""
    parts = token.split(".")
    if not secret or len(parts) != 3 or not parts[1].isdigit():
        raise InvalidLinkError("not a transcript link")
    ref, expires, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{ref}.{expires}")):
        raise InvalidLinkError("the link's signature is wrong")
    if now >= datetime.fromtimestamp(int(expires), timezone.utc):
        raise InvalidLinkError("the link has expired")
    return ref


def resolve(database_url: str, secret: str, token: str, now: datetime) -> str:
    """The conversation id a valid token stands for."""
    ref = verify(secret, token, now)
    with transaction(database_url) as session:
        conversation_id = session.scalar(select(TranscriptLink.conversation_id).where(TranscriptLink.ref == ref))
    if conversation_id is None:
        raise InvalidLinkError("the conversation of this link no longer exists")
    return conversation_id


def transcript_page(database_url: str, tracker_url: str, secret: str, token: str, now: datetime) -> tuple[int, str]:
    """HTTP status and an HTML page with the transcript (visitor text escaped); 404 for any bad link."""
    from integrations.leads.transcripts import TranscriptUnavailableError, load_transcript

    try:
        lines = load_transcript(tracker_url, resolve(database_url, secret, token, now))
    except InvalidLinkError as error:
        return 404, _page("Transcript not available", f"<p>{html.escape(str(error))}</p>")
    except TranscriptUnavailableError:
        return 503, _page("Transcript not available", "<p>The conversation store cannot be read now.</p>")
    rows = "".join(
        f"<p><b>{html.escape(line.label)}</b> "
        f"<small>{line.at:%Y-%m-%d %H:%M:%S} UTC</small><br>{html.escape(line.text)}</p>"
        if line.at
        else f"<p><b>{html.escape(line.label)}</b><br>{html.escape(line.text)}</p>"
        for line in lines
    )
    return 200, _page("Conversation transcript", rows or "<p>No messages.</p>")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
