"""Slack incoming webhook against a local server that validates like hooks.slack.com."""

from __future__ import annotations

import re
from typing import Any

import pytest

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.http import new_session
from integrations.outbox.channels.slack import SlackChannel, build_message
from tests.unit.channels.fakes import (
    COMPANY_SIZE,
    DROP,
    GARBAGE,
    NASTY,
    SLACK_PATH,
    SLOW_SECONDS,
    TIMEOUT,
    Reply,
    lead_payload,
    notification,
    slack_validator,
)


@pytest.fixture()
def slack(fake):
    service = fake(slack_validator)
    return service, SlackChannel(service.base_url + SLACK_PATH, TIMEOUT)


def texts(value: Any) -> list[str]:
    """Every string in a Block Kit message."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    return []


def test_lead_message_has_everything_a_rep_needs(slack) -> None:
    service, channel = slack
    channel.send(notification())
    [request] = service.requests
    message = request.json()
    header = message["blocks"][0]
    assert header["type"] == "header"
    assert header["text"]["text"] == ":fire: HOT lead · SQL · score 100"
    body = "\n".join(texts(message))
    for expected in (
        "*Maria López* at *Globex Inc.*",
        "maria.lopez@globex.com",
        "+14155552671",
        "*Need:* defined\n“our SDRs waste hours on junk leads”",
        "*Authority:* decision_maker\n“I'm the VP of sales”",
        "*Budget:* allocated\n“we have $40k set aside”",
        "*Timeline:* immediate\n“asap, within two weeks”",
        "• stage SQL: score 100 &gt;= 75",
        "https://acme.example/pricing?utm_source=newsletter",
        "utm_source=newsletter",
        "Rep: <@U01DANA0001>",
        "<!date^1795705331^{date_short_pretty} at {time}|2026-11-26T15:02+00:00>",
    ):
        assert expected in body
    assert "free-mail" not in body
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    assert actions["elements"][0]["url"] == "http://localhost:5005/conversations/c-1/story"
    assert message["text"] == "HOT lead: Maria López"


def test_free_mail_is_flagged_and_a_missing_rep_is_fine(slack) -> None:
    service, channel = slack
    item = notification(email="maria@gmail.com", email_is_freemail=True)
    del item.payload["rep"]  # routing is optional: older payloads have no rep
    channel.send(item)
    body = "\n".join(texts(service.requests[0].json()))
    assert "maria@gmail.com  :warning: free-mail address" in body
    assert "Rep:" not in body


@pytest.mark.parametrize(
    ("target", "shown"), [("#sales-leads", "Rep: #sales-leads"), ("<@W0123ABC>", "Rep: <@W0123ABC>")]
)
def test_rep_targets(target: str, shown: str) -> None:
    rep = {"name": "Sales team", "email": "sales@acme.example", "slack": target, "booking_link": None}
    assert shown in "\n".join(texts(build_message(notification(rep=rep))))


def test_visitor_text_cannot_inject_markup_links_or_mentions(slack) -> None:
    service, channel = slack
    answers = lead_payload()["answers"]
    answers[0] = {**answers[0], "text": NASTY, "label": NASTY}
    channel.send(
        notification(
            name=NASTY,
            company=NASTY,
            phone=NASTY,
            answers=answers,
            reasons=[NASTY],
            source={"page_url": NASTY},
            email=NASTY,
        )
    )
    raw = service.requests[0].body.decode("utf-8")
    for dangerous in ("<script>", "<@U123>", "<!channel>", "<https://evil.example|click>"):
        assert dangerous not in raw
    body = "\n".join(texts(service.requests[0].json()))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;@U123&gt; &lt;!channel&gt;" in body
    assert "&amp; more" in body
    # the only <...> tokens left are the ones the channel wrote itself
    tokens = set(re.findall(r"<[^>]*>", body))
    assert {token.split("^")[0] for token in tokens} == {"<@U01DANA0001>", "<!date"}


def test_long_answers_are_clipped_to_what_slack_accepts(slack) -> None:
    service, channel = slack
    answers = [{**item, "text": "& " * 5000, "label": "L" * 500} for item in lead_payload()["answers"]]
    answers += [{"question": f"extra_{index}", "label": f"Extra {index}", "category": "x"} for index in range(12)]
    channel.send(notification(name="N" * 500, answers=answers, reasons=["r" * 5000] * 30))
    assert service.requests[0].json()["blocks"]  # accepted: limits respected


def test_handoff_message_shows_contact_and_the_last_lines(slack) -> None:
    service, channel = slack
    transcript = [{"from": "visitor" if i % 2 else "bot", "text": f"line {i} " + "x" * 400} for i in range(40)]
    transcript.append({"from": "visitor", "text": "I want a human <!here>"})
    channel.send(notification("handoff", transcript=transcript))
    message = service.requests[0].json()
    assert message["blocks"][0]["text"]["text"] == ":raising_hand: Visitor asked for a human"
    body = "\n".join(texts(message))
    assert "*Ana* at *Acme* wants to talk to someone now." in body
    assert "ana@acme.io" in body
    assert "Need: defined" in body
    assert "*Visitor:* I want a human &lt;!here&gt;" in body
    assert "line 39" in body and "line 10" not in body
    assert "<!here>" not in service.requests[0].body.decode()


def test_handoff_has_a_join_the_chat_button_to_the_console(slack) -> None:
    service, channel = slack
    console = "http://localhost:8080/console?conversation=c-2"
    channel.send(notification("handoff", console_url=console, transcript_url="https://chat.example/transcripts/t"))
    buttons = [
        element
        for block in service.requests[0].json()["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert [(button["text"]["text"], button["url"]) for button in buttons] == [
        ("Join the chat", console),
        ("Open transcript", "https://chat.example/transcripts/t"),
    ]
    channel.send(notification("handoff", console_url="javascript:alert(1)"))  # not a web address: no button
    assert "javascript:" not in service.requests[1].body.decode()


def test_handoff_without_contact_says_so(slack) -> None:
    service, channel = slack
    channel.send(notification("handoff", name=None, email=None, company=None, phone=None))
    body = "\n".join(texts(service.requests[0].json()))
    assert "No email or phone yet" in body
    assert "name not given" in body


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, "invalid_payload"), (403, "invalid_token"), (404, "no_service"), (410, "channel_is_archived")],
)
def test_slack_errors_are_permanent(slack, status: int, error: str) -> None:
    service, channel = slack
    service.then(Reply(status, error))
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification())
    assert caught.value.permanent
    assert str(caught.value) == f"slack: HTTP {status} {error}"


def test_unknown_webhook_is_slacks_own_no_service(fake) -> None:
    service = fake(slack_validator)
    with pytest.raises(DeliveryError, match="HTTP 404 no_service") as caught:
        SlackChannel(service.base_url + "/services/T0001/B0002/revoked", TIMEOUT).send(notification())
    assert caught.value.permanent
    assert "revoked" not in str(caught.value)


def test_rate_limit_honours_retry_after(slack) -> None:
    service, channel = slack
    service.then(Reply(429, "rate_limited", {"Retry-After": "30"}))
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification())
    assert (caught.value.permanent, caught.value.retry_after) == (False, 30.0)


@pytest.mark.parametrize(
    "behaviour",
    [
        Reply(500, "internal_error"),
        Reply(503, "", {"Retry-After": "2"}),
        DROP,
        GARBAGE,
        Reply(200, "ok", delay=SLOW_SECONDS),
    ],
)
def test_server_trouble_is_retried_then_delivered(slack, behaviour) -> None:
    service, channel = slack
    service.then(behaviour)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification())
    assert not caught.value.permanent
    channel.send(notification())
    assert len(service.requests) == 2


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}, "invalid_blocks"),
        ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}, "invalid_blocks"),
        ({"blocks": [{"type": "section"}]}, "invalid_blocks"),
        ({"blocks": [{"type": "carousel"}]}, "invalid_blocks"),
        ({"blocks": [{"type": "no_such_block", "text": "x"}]}, "invalid_blocks"),
        ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}]}, "invalid_blocks"),
        (
            {
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}],
                    }
                ]
            },
            "invalid_blocks",
        ),
        ({"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}]}, "invalid_blocks"),
        ({"blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        ({"unfurl_links": False}, "no_text"),
    ],
)
def test_the_fake_rejects_what_slack_rejects(slack, message: dict[str, Any], error: str) -> None:
    """Guards the guard: a channel bug that Slack would refuse must fail these tests too."""
    _, channel = slack
    response = new_session().post(channel.webhook_url, json=message, timeout=TIMEOUT)
    assert (response.status_code, response.text) == (400, error)
    response = new_session().post(channel.webhook_url, data=b"{not json", timeout=TIMEOUT)
    assert (response.status_code, response.text) == (400, "invalid_payload")


def test_every_question_is_shown_in_order_with_its_label(slack) -> None:
    service, channel = slack
    channel.send(notification(answers=[*lead_payload()["answers"], COMPANY_SIZE]))
    channel.send(notification("handoff", answers=[COMPANY_SIZE, {"question": "need", "label": "Need"}]))
    lead, handoff = (request.json() for request in service.requests)
    fields = [field["text"] for block in lead["blocks"] for field in block.get("fields") or []]
    labels = [text.split(":*")[0] for text in fields[2:]]
    assert labels == ["*Need", "*Authority", "*Budget", "*Timeline", "*Company size"]
    assert fields[-1] == "*Company size:* large\n“201+”"
    assert "*Known so far* Company size: large" in "\n".join(texts(handoff))
