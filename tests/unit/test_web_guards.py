"""The web channels' shared guards (integrations/rasa/guards.py): the honeypot against form-spamming bots,
conversation ids, metadata, Rasa's state-resetting commands and the request size limit.

The channels themselves run inside Rasa's environment; they are exercised end to end by
tests/e2e/test_api_security.py (REST) and tests/browser/test_widget.py (socketio and the widget).
"""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.rasa import guards
from integrations.rasa.guards import (
    COMMAND_TEXT,
    EMPTY_TEXT,
    HONEYPOT_FIELD,
    HONEYPOT_TEXT,
    MAX_VALUE_LENGTH,
    RATE_LIMITED_TEXT,
    SOURCE_KEYS,
    Guard,
    Limits,
    honeypot_filled,
    source_metadata,
    state_command,
    valid_conversation_id,
)
from tests.support.ids import NOT_STRINGS, broken_ids, printable_ids, too_long_ids

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


# ---- conversation ids (the REST `sender`, the socketio `session_id`): what the tracker store can hold

IDS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@IDS
@given(printable_ids())
def test_printable_ids_of_sensible_length_are_kept_as_they_are(value: str) -> None:
    assert valid_conversation_id(value) == value


@IDS
@given(broken_ids())
def test_ids_with_surrogates_nul_or_control_characters_are_refused(value: str) -> None:
    assert valid_conversation_id(value) is None


@IDS
@given(too_long_ids())
def test_ids_over_the_length_limit_are_refused(value: str) -> None:
    assert valid_conversation_id(value) is None


@IDS
@given(NOT_STRINGS | st.none() | st.binary(max_size=20) | st.just(float("nan")))
def test_ids_that_are_not_strings_are_refused(value: object) -> None:
    assert valid_conversation_id(value) is None


@pytest.mark.parametrize("value", ["", " ", "   ", "sur\udc00", "nul\x00", "\ud83d", "a\u202eb", "line\nbreak"])
def test_the_ids_of_the_issue_and_blank_ones_are_refused(value: str) -> None:
    assert valid_conversation_id(value) is None


@pytest.mark.parametrize("value", ["default", "e2e-0123456789ab", "3f2a" * 8, "visitor@acme.example", "Zoë 😀"])
def test_the_ids_clients_use_are_kept(value: str) -> None:
    assert valid_conversation_id(value) == value


# ---- metadata: only the lead's source, truncated, whatever the client sends

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@IDS
@given(st.dictionaries(st.sampled_from([*SOURCE_KEYS, HONEYPOT_FIELD, "x", "evil"]) | st.text(max_size=8), JSON))
def test_metadata_keeps_only_the_source_keys_as_strings(raw: dict) -> None:
    kept = source_metadata(raw)
    assert set(kept) <= set(SOURCE_KEYS)
    assert all(isinstance(value, str) and len(value) <= MAX_VALUE_LENGTH for value in kept.values())
    assert source_metadata(json.dumps(raw)) == kept  # the same from a JSON string (socketio clients send one)


@IDS
@given(JSON.filter(lambda value: not isinstance(value, dict)))
def test_metadata_that_is_not_an_object_counts_as_none(raw: object) -> None:
    assert source_metadata(raw) == {}


def test_a_huge_metadata_is_cut_to_the_source_keys_and_their_limit() -> None:
    raw = {"page_url": "https://acme.example/" + "p" * 5_000_000, "blob": "x" * 5_000_000, "utm_source": 7}
    assert source_metadata(raw) == {"page_url": raw["page_url"][:MAX_VALUE_LENGTH], "utm_source": "7"}


# ---- Rasa's state-resetting intents typed by a visitor; the quick replies' payloads pass


@pytest.mark.parametrize(
    "text",
    [
        "/restart",
        "  /restart  ",
        "/restart{}",
        '/restart{"email": "x@evil.example"}',
        "/restart@0.99",
        "/ restart",
        "/back",
        "/session_start",
        "\t/session_start{}\n",
    ],
)
def test_state_resetting_commands_are_answered_by_the_guard(text: str) -> None:
    assert state_command(text) is not None
    rejection = guard().screen(text, "visitor", PUBLIC_IP)
    assert rejection is not None
    assert (rejection.status, rejection.text, rejection.reason) == (200, COMMAND_TEXT, "command")


@pytest.mark.parametrize(
    "text",
    [
        "/budget_planned",
        "/need_defined",
        "/authority_decision_maker",
        "/timeline_quarter",
        "/affirm",
        "/skip",
        "/greet",
        "/request_demo",
        "/out_of_scope",
        "/restarting",
        "please restart",
        "restart",
        "I want to go back",
        "/Restart",  # Rasa's intent names are case-sensitive: this is no intent of the domain
    ],
)
def test_quick_replies_and_ordinary_text_pass(text: str) -> None:
    assert state_command(text) is None
    assert guard().screen(text, "visitor", PUBLIC_IP) is None


# ---- the request size limit of the REST channel


def test_the_request_size_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits.from_env().max_request_bytes == 65536
    monkeypatch.setenv("MAX_REQUEST_BYTES", "1000")
    assert Limits.from_env().max_request_bytes == 1000
    monkeypatch.setenv("MAX_REQUEST_BYTES", "lots")
    assert Limits.from_env().max_request_bytes == 65536


def test_the_client_key_is_a_stable_keyed_hash_of_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from integrations.rasa.guards import client_key, with_client

    monkeypatch.setenv("RASA_TOKEN", "one-deployment")
    first = client_key("203.0.113.7")
    assert first == client_key("203.0.113.7") and first != client_key("203.0.113.8")
    assert "203.0.113.7" not in first and len(first) == 16
    monkeypatch.setenv("RASA_TOKEN", "another-deployment")
    assert client_key("203.0.113.7") != first
    assert client_key(None) is None
    assert with_client({"page_url": "https://x/"}, "203.0.113.7")["client"] == client_key("203.0.113.7")
    assert with_client({"page_url": "https://x/"}, None) == {"page_url": "https://x/"}
