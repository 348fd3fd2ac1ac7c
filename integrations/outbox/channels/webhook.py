"""Generic JSON webhook signed per the Standard Webhooks specification (https://www.standardwebhooks.com).

The secret is in the Standard Webhooks form, `whsec_` and base64 (the first `make run` writes one into
`.env`); a plain-text secret is refused, because no Standard Webhooks library would derive the same key
from it. Receivers check the messages with any Standard Webhooks library (the tests use the reference
`standardwebhooks` package) or with `verify` below. `webhook-id` is the
notification's idempotency key, identical on every retry, so a receiver can drop duplicates; the timestamp
and signature are fresh on each try, so a retried message is not rejected as stale.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from integrations.outbox.channels.http import Timeout, delivery_errors, new_session, post, raise_for_answer
from integrations.store.models import Notification

EVENT_TYPES = {"sql_lead": "lead.qualified", "handoff": "lead.handoff"}
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300
# 408 timeout, 409 conflict and 429 rate limit mean "try again later"; other 4xx will never succeed.
RETRYABLE_4XX = frozenset({408, 409, 429})


class WebhookVerificationError(Exception):
    """The message is not from the holder of the secret, or is too old or too new to trust."""


# How to make a secret, quoted in every refusal so the fix is one copy and paste away.
NEW_SECRET_COMMAND = (
    "python3 -c 'import base64, secrets; print(\"whsec_\" + base64.b64encode(secrets.token_bytes(32)).decode())'"
)


def new_secret() -> str:
    """A fresh secret in the Standard Webhooks form: whsec_ and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key of a `whsec_<base64>` secret (the Standard Webhooks form); ValueError, saying how to fix it, else.

    A plain-text secret is refused: the Standard Webhooks libraries receivers use base64-decode whatever they
    are given, so a plain secret would sign with a different key than theirs and every delivery would be
    rejected. Missing base64 padding is accepted, as those libraries accept it.
    """
    how = f"; make one with: {NEW_SECRET_COMMAND} (the first `make run` writes one into .env)"
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must be a Standard Webhooks secret, whsec_ followed by base64{how}")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as error:
        raise ValueError(f"the part after whsec_ is not valid base64{how}") from error
    if not key:
        raise ValueError(f"the part after whsec_ is empty{how}")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> Any:
    """For receivers: check signature and timestamp, return the parsed JSON; raise WebhookVerificationError."""
    lowered = {str(key).lower(): value for key, value in headers.items()}
    message_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (message_id and raw_timestamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number of seconds") from None
    now = time.time() if now is None else now
    if timestamp < now - tolerance:
        raise WebhookVerificationError("message timestamp is too old")
    if timestamp > now + tolerance:
        raise WebhookVerificationError("message timestamp is too new")
    body_bytes = body.encode("utf-8") if isinstance(body, str) else body
    expected = sign(secret, message_id, timestamp, body_bytes).removeprefix("v1,")
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return json.loads(body_bytes)
    raise WebhookVerificationError("no matching signature")


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: Timeout) -> None:
        secret_bytes(secret)  # a plain or malformed secret is refused here, before the first lead
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.session = new_session()

    def send(self, notification: Notification) -> None:
        with delivery_errors(self.name):
            body = encode_event(notification)
            message_id = message_id_for(notification)
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(self.secret, message_id, timestamp, body),
            }
            response = post(self.session, self.url, service=self.name, timeout=self.timeout, data=body, headers=headers)
            raise_for_answer(response, self.name, retryable_4xx=RETRYABLE_4XX)


def message_id_for(notification: Notification) -> str:
    """The idempotency key, percent-encoded if it holds anything an HTTP header cannot carry."""
    key = notification.idempotency_key
    if key.isascii() and key.isprintable():
        return key
    return quote(key, safe="")


def encode_event(notification: Notification) -> bytes:
    """The exact bytes that are signed and sent: {type, timestamp, data}."""
    event = {
        "type": EVENT_TYPES.get(notification.kind, f"lead.{notification.kind}"),
        "timestamp": _iso(notification.created_at),
        "data": notification.payload,
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _iso(when: datetime | None) -> str:
    when = when or datetime.now(timezone.utc)
    if when.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
