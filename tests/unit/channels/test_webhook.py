"""Standard Webhooks: signing, `verify`, secrets in the whsec_ form only, and delivery to a receiver that checks
every message with the reference library (`standardwebhooks`) and drops duplicates."""

from __future__ import annotations

import base64
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
import standardwebhooks

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.webhook import (
    NEW_SECRET_COMMAND,
    WebhookChannel,
    WebhookVerificationError,
    encode_event,
    new_secret,
    secret_bytes,
    sign,
    verify,
)
from tests.unit.channels.fakes import (
    DROP,
    SLOW_SECONDS,
    TIMEOUT,
    WEBHOOK_SECRET,
    Reply,
    WebhookReceiver,
    lead_payload,
    notification,
)

# The test vector published with the Standard Webhooks specification.
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def vector_headers(**overrides: str) -> dict[str, str]:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    headers.update(overrides)
    return headers


def test_signature_matches_the_specification_vector() -> None:
    assert sign(WEBHOOK_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    assert verify(WEBHOOK_SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP + 10) == {"test": 2432232314}


def test_verify_accepts_any_of_several_signatures_and_any_header_case() -> None:
    headers = {key.upper(): value for key, value in vector_headers().items()}
    headers["WEBHOOK-SIGNATURE"] = "v1,bm90IGl0 v2,whatever " + VECTOR_SIGNATURE
    assert verify(WEBHOOK_SECRET, headers, VECTOR_BODY.decode(), now=VECTOR_TIMESTAMP)


@pytest.mark.parametrize(
    ("headers", "body", "now", "reason"),
    [
        (vector_headers(), b'{"test": 2432232315}', VECTOR_TIMESTAMP, "no matching signature"),
        (vector_headers(**{"webhook-id": "msg_other"}), VECTOR_BODY, VECTOR_TIMESTAMP, "no matching signature"),
        (
            vector_headers(**{"webhook-signature": "v2," + VECTOR_SIGNATURE[3:]}),
            VECTOR_BODY,
            VECTOR_TIMESTAMP,
            "no match",
        ),
        (vector_headers(), VECTOR_BODY, VECTOR_TIMESTAMP + 301, "too old"),
        (vector_headers(), VECTOR_BODY, VECTOR_TIMESTAMP - 301, "too new"),
        (vector_headers(**{"webhook-timestamp": "yesterday"}), VECTOR_BODY, VECTOR_TIMESTAMP, "not a number"),
        ({"webhook-id": VECTOR_ID}, VECTOR_BODY, VECTOR_TIMESTAMP, "missing"),
    ],
)
def test_verify_rejects(headers: dict[str, str], body: bytes, now: float, reason: str) -> None:
    with pytest.raises(WebhookVerificationError, match=reason):
        verify(WEBHOOK_SECRET, headers, body, now=now)


def test_verify_with_the_wrong_secret_fails() -> None:
    other = "whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode()
    with pytest.raises(WebhookVerificationError):
        verify(other, vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_the_reference_library_agrees_with_the_specification_vector(clock) -> None:
    """The same vector through `standardwebhooks`, so `sign` and the library can be compared at all."""
    clock.move_to(VECTOR_TIMESTAMP)
    assert standardwebhooks.Webhook(WEBHOOK_SECRET).verify(VECTOR_BODY, vector_headers()) == {"test": 2432232314}


def test_our_signature_verifies_with_the_reference_library_and_the_other_way_round() -> None:
    secret = new_secret()
    body = encode_event(notification(channel="webhook"))
    now = int(time.time())
    ours = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": sign(secret, "msg_1", now, body)}
    assert standardwebhooks.Webhook(secret).verify(body, ours)["type"] == "lead.qualified"
    library = standardwebhooks.Webhook(secret).sign("msg_1", datetime.fromtimestamp(now, timezone.utc), body.decode())
    assert library == ours["webhook-signature"]
    assert verify(secret, {**ours, "webhook-signature": library}, body)["data"]["name"] == "Maria López"


def test_whsec_secrets_with_or_without_padding() -> None:
    key = b"\x00\xffkey of twenty-four bytes"
    encoded = base64.b64encode(key).decode()
    assert secret_bytes("whsec_" + encoded) == key
    assert secret_bytes("whsec_" + encoded.rstrip("=")) == key  # the reference library accepts it unpadded too
    assert len(secret_bytes(new_secret())) == 32


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("plain text secret", "must be a Standard Webhooks secret, whsec_ followed by base64"),
        ("dGVzdC1zZWNyZXQtZm9yLXdlYmhvb2tz", "must be a Standard Webhooks secret"),  # base64 without the prefix
        ("whsec_not*base64", "the part after whsec_ is not valid base64"),
        ("whsec_", "the part after whsec_ is empty"),
    ],
)
def test_a_secret_not_in_the_whsec_form_is_refused_saying_how_to_make_one(secret: str, reason: str) -> None:
    """A plain secret used to be taken as it was; no Standard Webhooks library would have verified it."""
    with pytest.raises(ValueError, match=reason) as caught:
        WebhookChannel("http://127.0.0.1/hook", secret, TIMEOUT)
    assert f"make one with: {NEW_SECRET_COMMAND}" in str(caught.value)
    if secret != "whsec_":
        assert secret not in str(caught.value)  # the secret itself is never repeated (it lands in logs)


def test_the_command_in_the_refusal_makes_a_secret_that_works() -> None:
    command = shlex.split(NEW_SECRET_COMMAND)
    assert command[0] == "python3"
    made = subprocess.run([sys.executable, *command[1:]], capture_output=True, text=True, check=True).stdout.strip()
    assert made.startswith("whsec_") and len(secret_bytes(made)) == 32
    body = b'{"type": "lead.qualified"}'
    now = int(time.time())
    headers = {
        "webhook-id": "msg_2",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(made, "msg_2", now, body),
    }
    assert standardwebhooks.Webhook(made).verify(body, headers) == {"type": "lead.qualified"}


@pytest.fixture()
def receiver(fake):
    handler = WebhookReceiver()
    service = fake(handler)
    return service, handler, WebhookChannel(service.base_url + "/hooks/leads", WEBHOOK_SECRET, TIMEOUT)


def test_lead_event_is_signed_and_shaped_like_a_standard_webhook(receiver) -> None:
    service, handler, channel = receiver
    item = notification(channel="webhook")
    before = int(time.time())
    channel.send(item)
    [request] = service.requests
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"] == "sql_lead:lead-7:webhook"
    assert before <= int(request.headers["webhook-timestamp"]) <= time.time()
    event = handler.events["sql_lead:lead-7:webhook"]
    assert event == {"type": "lead.qualified", "timestamp": "2026-11-26T11:02:11Z", "data": lead_payload()}
    assert "Maria López" in request.body.decode("utf-8")  # UTF-8, not \u escapes


def test_handoff_event_type(receiver) -> None:
    _, handler, channel = receiver
    channel.send(notification("handoff", channel="webhook"))
    [event] = handler.events.values()
    assert event["type"] == "lead.handoff"
    assert event["data"]["transcript"][-1] == {"from": "visitor", "text": "can I talk to a person?"}


def test_wrong_secret_is_rejected_by_the_receiver_and_not_retried(receiver) -> None:
    service, handler, _ = receiver
    channel = WebhookChannel(service.base_url + "/hooks/leads", new_secret(), TIMEOUT)
    with pytest.raises(DeliveryError, match="HTTP 401") as caught:
        channel.send(notification(channel="webhook"))
    assert caught.value.permanent
    assert handler.events == {}


@pytest.mark.parametrize(
    ("reply", "permanent", "retry_after"),
    [
        (Reply(400, "bad request"), True, None),
        (Reply(410, "gone"), True, None),
        (Reply(408, "timeout"), False, None),
        (Reply(409, "conflict"), False, None),
        (Reply(429, "slow down", {"Retry-After": "12"}), False, 12.0),
        (Reply(502, "bad gateway"), False, None),
    ],
)
def test_receiver_answers(receiver, reply: Reply, permanent: bool, retry_after: float | None) -> None:
    service, _, channel = receiver
    service.then(reply)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="webhook"))
    assert (caught.value.permanent, caught.value.retry_after) == (permanent, retry_after)


@pytest.mark.parametrize("trouble", [DROP, Reply(204, delay=SLOW_SECONDS)])
def test_a_retry_keeps_the_id_and_is_signed_afresh(receiver, trouble) -> None:
    service, handler, channel = receiver
    service.then(trouble)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="webhook"))
    assert not caught.value.permanent
    channel.send(notification(channel="webhook"))
    first, second = service.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert len(handler.events) == 1  # the receiver saw it once or twice, and keeps it once


def test_an_id_a_header_cannot_carry_is_percent_encoded(receiver) -> None:
    service, handler, channel = receiver
    item = notification("handoff", channel="webhook")
    item.idempotency_key = "handoff:visitante-ñ:12:webhook"
    channel.send(item)
    assert service.requests[0].headers["webhook-id"] == "handoff%3Avisitante-%C3%B1%3A12%3Awebhook"
    assert list(handler.events) == ["handoff%3Avisitante-%C3%B1%3A12%3Awebhook"]
