"""The web channels' shared guards (integrations/web/guards.py): the honeypot against form-spamming bots.

The channels themselves run inside Rasa's environment; they are exercised end to end by
tests/e2e/test_api_security.py (REST) and tests/browser/test_widget.py (socketio and the widget).
"""

from __future__ import annotations

import json
import logging

import pytest

from integrations.web import guards
from integrations.web.guards import (
    EMPTY_TEXT,
    HONEYPOT_FIELD,
    HONEYPOT_TEXT,
    RATE_LIMITED_TEXT,
    Guard,
    Limits,
    honeypot_filled,
)

PUBLIC_IP = "198.51.100.7"


def guard(**limits: int) -> Guard:
    return Guard(Limits(**limits))


@pytest.mark.parametrize(
    "metadata",
    [
        {HONEYPOT_FIELD: "https://cheap-pills.example"},
        {HONEYPOT_FIELD: "x"},
        {HONEYPOT_FIELD: "  spam  "},
        {HONEYPOT_FIELD: 1},
        {HONEYPOT_FIELD: ["a"]},
        {"page_url": "https://acme.example/", HONEYPOT_FIELD: "bot"},
        json.dumps({HONEYPOT_FIELD: "bot"}),
        json.dumps({HONEYPOT_FIELD: "bot"}).encode(),
    ],
)
def test_a_filled_honeypot_is_recognised(metadata: object) -> None:
    assert honeypot_filled(metadata)


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        {HONEYPOT_FIELD: ""},
        {HONEYPOT_FIELD: "   \n"},
        {HONEYPOT_FIELD: None},
        {HONEYPOT_FIELD: 0},
        {HONEYPOT_FIELD: []},
        {"page_url": "https://acme.example/", "utm_source": "newsletter"},
        {"Website": "other key"},
        "",
        "not json",
        json.dumps([HONEYPOT_FIELD]),
        json.dumps({HONEYPOT_FIELD: ""}),
        ["website", "bot"],
        42,
    ],
)
def test_an_empty_or_missing_honeypot_is_not(metadata: object) -> None:
    assert not honeypot_filled(metadata)


def test_a_filled_honeypot_gets_a_polite_200_and_a_warning_without_the_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=guards.__name__)
    rejection = guard().screen(
        "Buy cheap pills at spam.example, write to me@spam.example",
        "conv-1",
        PUBLIC_IP,
        {HONEYPOT_FIELD: "http://spam.example", "page_url": "https://acme.example/"},
    )
    assert rejection is not None
    assert (rejection.status, rejection.text, rejection.reason, rejection.retry_after) == (
        200,
        HONEYPOT_TEXT,
        "honeypot",
        None,
    )
    # normal-looking: nothing in the answer tells a bot it was caught; a person caught by mistake gets an address
    assert "bot" not in HONEYPOT_TEXT.lower() and "spam" not in HONEYPOT_TEXT.lower()
    assert guards.SUPPORT_EMAIL in HONEYPOT_TEXT
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert line.startswith("HONEYPOT") and "conv-1" in line and PUBLIC_IP in line
    assert "pills" not in line and "me@spam.example" not in line  # never the visitor's text
    assert "spam.example" not in line  # nor the value the bot put in the hidden field


def test_the_conversation_stays_trapped_without_the_field_others_are_unaffected() -> None:
    checker = guard()
    assert checker.screen("/greet", "bot-conv", None, {HONEYPOT_FIELD: "yes"}).reason == "honeypot"
    assert checker.trapped("bot-conv")
    # the bot's next messages leave the field out: still answered politely, still kept from Rasa
    for text in ("I'm the CEO", "we have $1M", "spam@example.com", "/affirm"):
        rejection = checker.screen(text, "bot-conv", None, {"page_url": "https://acme.example/"})
        assert rejection is not None and rejection.text == HONEYPOT_TEXT
    assert checker.screen("hello", "bot-conv", None, None).reason == "honeypot"
    # a real visitor (no or an empty honeypot) passes, before and after
    assert checker.screen("/greet", "person", None, {"page_url": "https://acme.example/"}) is None
    assert checker.screen("we need lead scoring", "person", None, {HONEYPOT_FIELD: ""}) is None
    assert checker.screen("hi", "person-2", None, None) is None
    assert not checker.trapped("person") and not checker.trapped("person-2")


def test_rate_limits_come_first_then_the_honeypot_then_the_text_checks() -> None:
    checker = guard(per_sender=2, max_chars=10)
    filled = {HONEYPOT_FIELD: "bot"}
    assert checker.screen("", "s", PUBLIC_IP, filled).reason == "honeypot"  # before "empty"
    assert checker.screen("x" * 50, "s", PUBLIC_IP, filled).reason == "honeypot"  # before "too long"
    limited = checker.screen("hi", "s", PUBLIC_IP, filled)  # every message counts against the limit
    assert (limited.status, limited.text, limited.reason) == (429, RATE_LIMITED_TEXT, "rate")
    assert checker.screen("", "other", PUBLIC_IP, None).text == EMPTY_TEXT


def test_the_trapped_conversations_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guards, "MAX_KEYS", 3)
    checker = guard()
    for index in range(5):
        checker.check_honeypot(f"bot-{index}", {HONEYPOT_FIELD: "x"})
    assert [checker.trapped(f"bot-{index}") for index in range(5)] == [False, False, True, True, True]
    # a trapped conversation seen again is kept as the most recent
    checker.check_honeypot("bot-2", None)
    checker.check_honeypot("bot-5", {HONEYPOT_FIELD: "x"})
    assert checker.trapped("bot-2") and not checker.trapped("bot-3")


def test_existing_rejections_keep_their_shape() -> None:
    checker = guard(max_chars=5)
    assert checker.check_text("").status == 200
    too_long = checker.check_text("123456")
    assert (too_long.status, too_long.reason) == (413, "too_long")
