"""Fuzzing (hypothesis): the parsers never raise, and the action server never answers 500.

The pure functions get random unicode, control characters and huge strings; the action
server (started once for the module on 127.0.0.1) gets random trackers whose slots hold
values of wrong types, for every custom action.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.actions.amounts import parse_budget_amount
from bot.actions.contact import check_email, check_phone, clean_company, clean_name
from bot.actions.durations import days_until
from bot.actions.understanding import categorize, question_names
from integrations.runtime.stack import ROOT, Stack, StackConfig
from integrations.store.migrate import upgrade
from tests.support.ports import port

DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
INTENTS = [intent if isinstance(intent, str) else next(iter(intent)) for intent in DOMAIN["intents"]]
ACTIONS_PORT = port(15695)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

# Text with everything a visitor (or an attacker) could type: any code point, control
# characters, right-to-left marks, emoji, and sometimes a very long run.
texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet=st.sampled_from("\x00\x07\x1b\u200f\u202e\ufeff\r\n\t@+$€£¥.,-0123456789kmKM ")),
    # up to 5000 characters, past the channels' 2000-character limit
    st.builds(lambda unit, count: unit * count, st.text(min_size=1, max_size=5), st.integers(1, 1000)),
    st.sampled_from(["50k", "$10,000-20,000 a year", "+1 415 555 2671", "a@b.co", "next quarter", "أحمد 🚀"]),
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), texts
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=8,
)
intent_names = st.one_of(st.sampled_from(INTENTS), st.text(max_size=20))
intents = st.fixed_dictionaries({"name": intent_names, "confidence": st.floats(0, 1)})
parse_dicts = st.fixed_dictionaries(
    {"text": texts, "intent": intents, "intent_ranking": st.lists(intents, max_size=8)},
    optional={"entities": st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=4), max_size=3)},
)


@FUZZ
@given(texts)
def test_contact_validators_never_raise(text: str) -> None:
    check_email(text)
    check_phone(text)
    clean_name(text)
    clean_company(text)


@FUZZ
@given(texts)
def test_budget_parser_never_raises(text: str) -> None:
    parse_budget_amount(text)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts, st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)))
def test_days_until_never_raises(text: str, today: date) -> None:
    days_until(text, today)


@FUZZ
@given(
    st.sampled_from(question_names()),
    parse_dicts,
    st.booleans(),
    st.dictionaries(st.sampled_from(question_names()), st.none() | st.text(max_size=20)),
)
def test_categorize_never_raises(slot: str, message: dict[str, Any], asked: bool, answered: dict) -> None:
    categorize(slot, message, asked, answered)


# ---- the action server's /webhook


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("fuzz-actions")
    config = StackConfig(
        actions_port=ACTIONS_PORT,
        database_url=f"sqlite:///{state / 'leads.db'}",
        outbox_log=state / "outbox.log",
        state_dir=state,
    )
    upgrade(config.database_url)
    server = Stack(config, log_dir=Path("tests/reports/logs/fuzz-actions"), web=False)
    server.start_actions()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{config.actions_url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(config.actions_url)
            time.sleep(0.3)
        yield config.actions_url
    finally:
        server.stop()


slot_values = st.fixed_dictionaries({name: json_values for name in DOMAIN["slots"]})
trackers = st.fixed_dictionaries(
    {
        "slots": slot_values,
        "latest_message": parse_dicts,
        "requested_slot": st.none() | st.sampled_from(list(DOMAIN["slots"])) | st.text(max_size=10),
        "active_loop": st.none() | st.sampled_from([*DOMAIN["forms"], "unknown_form"]),
        "metadata": st.dictionaries(st.text(max_size=15), json_values, max_size=5),
    }
)


def webhook_body(action: str, sample: dict[str, Any]) -> dict[str, Any]:
    """What Rasa would send for `action`, with the sampled (often ill-typed) tracker."""
    slots = {**sample["slots"], "requested_slot": sample["requested_slot"]}
    loop = {"name": sample["active_loop"]} if sample["active_loop"] else {}
    message = sample["latest_message"]
    return {
        "next_action": action,
        "sender_id": "fuzz",
        "version": "3.6.21",
        "domain": DOMAIN,
        "tracker": {
            "sender_id": "fuzz",
            "slots": slots,
            "latest_message": message,
            "events": [
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": message["text"], "parse_data": message, "metadata": sample["metadata"]},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": loop,
            "latest_action_name": "action_listen",
        },
    }


ACTIONS = [
    "validate_qualification_form",
    "validate_contact_form",
    "action_validate_slot_mappings",
    "action_qualify_lead",
    "action_explain_why",
    "action_human_handoff",
    "action_stop_conversation",
    "action_open_qualification",
    "action_begin_contact",
    "action_greet_if_first",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_action_server_never_answers_500(action_server: str, action: str) -> None:
    @FUZZ
    @given(trackers)
    def check(sample: dict[str, Any]) -> None:
        response = requests.post(f"{action_server}/webhook", json=webhook_body(action, sample), timeout=60)
        assert response.status_code < 500, f"{action} answered {response.status_code}: {response.text[:300]}"

    check()
