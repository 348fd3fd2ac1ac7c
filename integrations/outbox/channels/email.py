"""Email by SMTP (SMTP_URL): the booking invitations, with the .ics as a text/calendar part.

SMTP_URL is `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it) or
`smtps://...` (TLS from the start, port 465 by default). The sender is SMTP_FROM. Only notifications
that carry a message (`to`, `subject`, `body`, optionally `ics` and `method`) are sent; the
invitation part is `text/calendar; method=REQUEST` (or CANCEL) so mail clients offer to accept it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from integrations.outbox.channels.base import DeliveryError
from integrations.store.models import Notification


class EmailChannel:
    name = "email"

    def __init__(self, smtp_url: str, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def send(self, notification: Notification) -> None:
        message = build_email(notification, self.sender)
        try:
            connection: smtplib.SMTP
            if self.tls:
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with connection:
                if not self.tls and connection.has_extn("starttls"):
                    connection.starttls(context=ssl.create_default_context())
                if self.user:
                    connection.login(self.user, self.password or "")
                connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"email: recipients refused: {list(error.recipients)}", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"email: {type(error).__name__}: {error}") from error


def build_email(notification: Notification, sender: str) -> EmailMessage:
    payload = notification.payload or {}
    recipients = [str(address) for address in payload.get("to") or [] if address]
    if not recipients or not payload.get("subject"):
        raise DeliveryError(f"email: notification {notification.id} carries no message", permanent=True)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = str(payload["subject"]).replace("\n", " ")[:200]
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "leadbot")
    message.set_content(str(payload.get("body") or ""))
    if payload.get("ics"):
        method = "CANCEL" if payload.get("method") == "CANCEL" else "REQUEST"
        message.add_alternative(str(payload["ics"]), subtype="calendar", params={"method": method})
        message.add_attachment(
            str(payload["ics"]).encode(), maintype="application", subtype="ics", filename="invite.ics"
        )
    return message
