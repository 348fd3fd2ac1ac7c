"""HubSpot contacts batch upsert against a local server that checks token, body shape and properties."""

from __future__ import annotations

import pytest

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.hubspot import HubSpotChannel
from tests.unit.channels.fakes import (
    COMPANY_SIZE,
    DROP,
    HUBSPOT_TOKEN,
    SLOW_SECONDS,
    TIMEOUT,
    HubSpot,
    Reply,
    lead_payload,
    notification,
)


@pytest.fixture()
def hubspot(fake):
    crm = HubSpot()
    service = fake(crm)
    return service, crm, HubSpotChannel(HUBSPOT_TOKEN, service.base_url + "/", TIMEOUT)


def test_a_qualified_lead_creates_the_contact_with_its_qualification(hubspot) -> None:
    service, crm, channel = hubspot
    channel.send(notification(channel="hubspot"))
    [request] = service.requests
    assert request.path == "/crm/v3/objects/contacts/batch/upsert"
    [item] = request.json()["inputs"]
    assert (item["idProperty"], item["id"]) == ("email", "maria.lopez@globex.com")
    assert crm.contacts["maria.lopez@globex.com"] == {
        "hs_object_id": "100",
        "email": "maria.lopez@globex.com",
        "firstname": "Maria",
        "lastname": "López",
        "company": "Globex Inc.",
        "phone": "+14155552671",
        "lead_stage": "SQL",
        "lead_score": "100",
        "lead_temperature": "hot",
        "bant_need": 'defined - "our SDRs waste hours on junk leads"',
        "bant_authority": 'decision_maker - "I\'m the VP of sales"',
        "bant_budget": 'allocated - "we have $40k set aside"',
        "bant_timeline": 'immediate - "asap, within two weeks"',
        "lead_source_page": "https://acme.example/pricing?utm_source=newsletter",
        "lead_transcript_url": "http://localhost:5005/conversations/c-1/story",
    }


def test_a_later_handoff_updates_the_same_contact_without_wiping_the_score(hubspot) -> None:
    _, crm, channel = hubspot
    channel.send(notification(channel="hubspot"))
    contact = {"name": "Maria López-Díaz", "email": "maria.lopez@globex.com", "company": None, "phone": None}
    channel.send(notification("handoff", channel="hubspot", **contact))
    assert list(crm.contacts) == ["maria.lopez@globex.com"]
    stored = crm.contacts["maria.lopez@globex.com"]
    assert (stored["lastname"], stored["lead_stage"], stored["lead_score"]) == ("López-Díaz", "SQL", "100")
    assert stored["company"] == "Globex Inc."
    assert stored["bant_need"] == "defined"
    assert stored["lead_transcript_url"].endswith("/c-2/story")


def test_without_an_email_nothing_is_sent(hubspot) -> None:
    service, _, channel = hubspot
    with pytest.raises(DeliveryError, match="no email, nothing to create") as caught:
        channel.send(notification(channel="hubspot", email=None))
    assert caught.value.permanent
    assert service.requests == []


def test_a_bad_token_is_permanent_with_hubspots_message(hubspot) -> None:
    service, _, _ = hubspot
    channel = HubSpotChannel("pat-na1-revoked", service.base_url, TIMEOUT)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="hubspot"))
    assert caught.value.permanent
    assert str(caught.value).startswith("hubspot: HTTP 401 Authentication credentials not found")
    assert "revoked" not in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "permanent", "retry_after"),
    [
        (Reply(403, '{"status":"error","message":"missing scopes","category":"MISSING_SCOPES"}'), True, None),
        (
            Reply(400, '{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR"}'),
            True,
            None,
        ),
        (
            Reply(429, '{"status":"error","message":"You have reached your secondly limit."}', {"Retry-After": "10"}),
            False,
            10.0,
        ),
        (Reply(502, "<html>Bad gateway</html>"), False, None),
    ],
)
def test_hubspot_answers(hubspot, reply: Reply, permanent: bool, retry_after: float | None) -> None:
    service, _, channel = hubspot
    service.then(reply)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="hubspot"))
    assert (caught.value.permanent, caught.value.retry_after) == (permanent, retry_after)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("<html>Welcome to the captive portal</html>", "not JSON"),
        ('{"status": "COMPLETE"}', "no results list"),
        ('{"status": "COMPLETE", "results": {"id": "1"}}', "no results list"),
        ('{"status": "COMP', "not JSON"),
    ],
)
def test_a_malformed_success_is_retried(hubspot, body: str, why: str) -> None:
    service, _, channel = hubspot
    service.then(Reply(200, body, {"Content-Type": "application/json"}))
    with pytest.raises(DeliveryError, match=f"malformed answer to HTTP 200 \\({why}\\)") as caught:
        channel.send(notification(channel="hubspot"))
    assert not caught.value.permanent


def test_a_multi_status_with_only_errors_is_permanent(hubspot) -> None:
    service, _, channel = hubspot
    body = '{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","message":"INVALID_EMAIL"}]}'
    service.then(Reply(207, body, {"Content-Type": "application/json"}))
    with pytest.raises(DeliveryError, match="contact rejected: INVALID_EMAIL") as caught:
        channel.send(notification(channel="hubspot"))
    assert caught.value.permanent


@pytest.mark.parametrize("trouble", [DROP, Reply(200, "{}", delay=SLOW_SECONDS)])
def test_network_trouble_is_retried_then_delivered(hubspot, trouble) -> None:
    service, crm, channel = hubspot
    service.then(trouble)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="hubspot"))
    assert not caught.value.permanent
    channel.send(notification(channel="hubspot"))
    assert list(crm.contacts) == ["maria.lopez@globex.com"]


def test_a_question_a_marketer_added_is_a_property_of_its_own(fake) -> None:
    crm = HubSpot(created_properties=("bant_company_size",))
    service = fake(crm)
    channel = HubSpotChannel(HUBSPOT_TOKEN, service.base_url, TIMEOUT)
    channel.send(notification(channel="hubspot", answers=[*lead_payload()["answers"], COMPANY_SIZE]))
    assert crm.contacts["maria.lopez@globex.com"]["bant_company_size"] == 'large - "201+"'


def test_an_added_question_without_its_property_is_a_dead_letter_naming_it(hubspot) -> None:
    _, crm, channel = hubspot
    with pytest.raises(DeliveryError, match="bant_company_size") as caught:
        channel.send(notification(channel="hubspot", answers=[*lead_payload()["answers"], COMPANY_SIZE]))
    assert caught.value.permanent and crm.contacts == {}
