"""Let no one in: Rasa's HTTP API refuses callers without the token, CORS lets only the configured origins read
answers, the visitors' channels stay open, and the REST channel's honeypot keeps bots out of the tracker and the
lead store.

One stack for this module, on its own ports (Rasa 15305, actions 15355, demo-page origin 18380), started the way
`make run` starts it (scripts/stack.py: `--auth-token=<random>`, `--cors http://localhost:18380
http://127.0.0.1:18380`).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integrations.web.guards import HONEYPOT_FIELD, HONEYPOT_TEXT
from stack import ROOT, Stack
from tests.e2e.conftest import lead_rows
from tests.support.conversations import SQL_ANSWERS
from tests.support.ports import port
from tests.support.stacks import isolated_config, running_stack

RASA_PORT, ACTIONS_PORT, WEB_PORT = port(15305), port(15355), port(18380)
LOGS = "api-security"
CONVERSATION = "api-security-visitor"
EVIL_ORIGINS = (
    "http://evil.example",
    "null",  # sandboxed iframes, file:// pages
    f"http://localhost:{WEB_PORT}.evil.example",  # a look-alike of the configured origin
    f"http://localhost:{WEB_PORT + 1}",  # same host, another port
    f"https://localhost:{WEB_PORT}",  # another scheme
)
CORS_PATHS = ("/webhooks/rest/webhook", "/socket.io/?EIO=4&transport=polling")


@pytest.fixture(scope="module")
def api_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = isolated_config(tmp_path_factory.mktemp("api-security"), RASA_PORT, ACTIONS_PORT, WEB_PORT)
    with running_stack(config, LOGS) as running:
        yield running


def allowed_origins(stack: Stack) -> tuple[str, str]:
    return f"http://localhost:{stack.config.web_port}", f"http://127.0.0.1:{stack.config.web_port}"


def protected_routes(stack: Stack) -> list[tuple[str, str, Any]]:
    """Every route Rasa 3.6 guards with `requires_auth`: method, path, JSON body."""
    conversation = f"/conversations/{CONVERSATION}"
    return [
        ("GET", "/status", None),
        ("GET", "/domain", None),
        ("GET", f"{conversation}/tracker", None),
        ("GET", f"{conversation}/story", None),
        ("POST", f"{conversation}/messages", {"text": "hello", "sender": "user"}),
        ("POST", f"{conversation}/tracker/events", {"event": "slot", "name": "email", "value": "x@evil.example"}),
        ("PUT", f"{conversation}/tracker/events", [{"event": "action", "name": "action_listen"}]),
        ("POST", f"{conversation}/execute", {"name": "utter_greet"}),
        ("POST", f"{conversation}/trigger_intent", {"name": "greet"}),
        ("POST", f"{conversation}/predict", None),
        ("POST", "/model/parse", {"text": "hello"}),
        ("POST", "/model/predict", []),
        ("POST", "/model/train", {}),
        ("POST", "/model/test/intents", {}),
        ("POST", "/model/test/stories", None),
        ("PUT", "/model", {"model_file": str(stack.config.model)}),
        ("DELETE", "/model", None),
    ]


def call(
    stack: Stack,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    return requests.request(
        method, f"{stack.config.rasa_url}{path}", json=body, params=params, headers=headers, timeout=120
    )


def tracker_event_count(stack: Stack, conversation_id: str) -> int:
    """Rows in Rasa's tracker store for a conversation, read from the database itself (not through the API)."""
    with sqlite3.connect(stack.config.tracker_db) as connection:
        return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (conversation_id,)).fetchone()[0]


def rasa_log(stack: Stack) -> str:
    return (ROOT / "tests" / "reports" / "logs" / LOGS / "rasa.log").read_text(errors="replace")


# ---- the HTTP API: token or nothing


@pytest.mark.parametrize(
    "credentials",
    ["none", "empty", "wrong", "truncated", "extended", "upper-case", "bearer-header", "as-other-parameter"],
)
def test_api_refuses_requests_without_the_right_token(api_stack: Stack, credentials: str) -> None:
    token = api_stack.config.rasa_token
    params: dict[str, str] | None = {
        "none": None,
        "empty": {"token": ""},
        "wrong": {"token": "wrong"},
        "truncated": {"token": token[:-1]},
        "extended": {"token": token + "x"},
        "upper-case": {"token": token.upper() if token.upper() != token else token.lower()},
        "bearer-header": None,
        "as-other-parameter": {"auth_token": token, "api_key": token},
    }[credentials]
    headers = {"Authorization": f"Bearer {token}"} if credentials == "bearer-header" else None
    answered = {}
    for method, path, body in protected_routes(api_stack):
        response = call(api_stack, method, path, body, params, headers)
        answered[f"{method} {path}"] = response.status_code
        if response.status_code in (401, 403):
            assert "events" not in response.text and "slots" not in response.text, response.text
    assert all(status in (401, 403) for status in answered.values()), answered
    # nothing reached the tracker (the events and messages routes were refused), and the model is still loaded
    assert tracker_event_count(api_stack, CONVERSATION) == 0
    assert call(api_stack, "GET", "/status", params={"token": token}).json()["model_file"]


def test_api_answers_with_the_right_token(api_stack: Stack) -> None:
    auth = {"token": api_stack.config.rasa_token}
    conversation = f"/conversations/{CONVERSATION}-ok"

    status = call(api_stack, "GET", "/status", params=auth)
    assert status.status_code == 200 and status.json()["model_file"]

    parsed = call(api_stack, "POST", "/model/parse", {"text": "I'd like to book a demo"}, auth)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"]

    added = call(api_stack, "POST", f"{conversation}/messages", {"text": "hello there", "sender": "user"}, auth)
    assert added.status_code == 200

    tracker = call(api_stack, "GET", f"{conversation}/tracker", params=auth)
    assert tracker.status_code == 200
    assert [event.get("text") for event in tracker.json()["events"] if event["event"] == "user"] == ["hello there"]

    # reloading a model is allowed with the token (204 No Content), and the bot keeps answering
    started = time.monotonic()
    reloaded = call(api_stack, "PUT", "/model", {"model_file": str(api_stack.config.model)}, auth)
    assert reloaded.status_code == 204, reloaded.text
    assert time.monotonic() - started < 120
    assert call(api_stack, "GET", "/status", params=auth).json()["model_file"]
    assert call(api_stack, "POST", "/model/parse", {"text": "hi"}, auth).status_code == 200


def test_the_visitors_channels_stay_open(api_stack: Stack) -> None:
    sender = f"api-open-{uuid.uuid4().hex[:8]}"
    health = call(api_stack, "GET", "/webhooks/rest/")
    assert health.status_code == 200
    answer = call(api_stack, "POST", "/webhooks/rest/webhook", {"sender": sender, "message": "/greet"})
    assert answer.status_code == 200 and answer.json() and answer.json()[0]["recipient_id"] == sender
    handshake = call(api_stack, "GET", "/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert handshake.status_code == 200 and handshake.text.startswith("0{"), handshake.text  # engine.io "open"
    assert tracker_event_count(api_stack, sender) > 0


# ---- CORS: only the configured origins may read answers in a browser


def preflight(stack: Stack, path: str, origin: str) -> requests.Response:
    return call(
        stack,
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


@pytest.mark.parametrize("path", CORS_PATHS)
@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_cors_preflight_from_other_origins_is_refused(api_stack: Stack, path: str, origin: str) -> None:
    response = preflight(api_stack, path, origin)
    allow = response.headers.get("Access-Control-Allow-Origin")
    assert allow is None, (response.status_code, dict(response.headers))
    assert response.headers.get("Access-Control-Allow-Credentials") is None


@pytest.mark.parametrize("path", CORS_PATHS)
def test_cors_preflight_from_the_configured_origins_is_allowed(api_stack: Stack, path: str) -> None:
    for origin in allowed_origins(api_stack):
        response = preflight(api_stack, path, origin)
        assert response.status_code in (200, 204), response.status_code
        assert response.headers.get("Access-Control-Allow-Origin") == origin, dict(response.headers)
        assert "POST" in response.headers.get("Access-Control-Allow-Methods", ""), dict(response.headers)


def test_answers_to_other_origins_carry_no_cors_headers(api_stack: Stack) -> None:
    """A page on another origin can send (as with any form), but its browser may not read the answer."""
    good, _ = allowed_origins(api_stack)
    token = {"token": api_stack.config.rasa_token}
    body = {"sender": f"api-cors-{uuid.uuid4().hex[:8]}", "message": "/greet"}
    requests_to_try = [
        ("POST", "/webhooks/rest/webhook", body, None),
        ("GET", "/socket.io/?EIO=4&transport=polling", None, None),
        ("GET", "/status", None, token),  # even with the token, another site's script cannot read the API
    ]
    for method, path, json_body, params in requests_to_try:
        evil = call(api_stack, method, path, json_body, params, {"Origin": "http://evil.example"})
        assert evil.status_code == 200, (path, evil.status_code)
        assert "Access-Control-Allow-Origin" not in evil.headers, (path, dict(evil.headers))
        allowed = call(api_stack, method, path, json_body, params, {"Origin": good})
        assert allowed.headers.get("Access-Control-Allow-Origin") == good, (path, dict(allowed.headers))


# ---- the REST channel's honeypot (the widget's is tested in tests/browser/test_widget.py)


def say(stack: Stack, sender: str, text: str, metadata: dict[str, Any] | None = None) -> requests.Response:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    return call(stack, "POST", "/webhooks/rest/webhook", body)


def test_rest_honeypot_keeps_a_bot_out_of_the_tracker_and_the_lead_store(api_stack: Stack) -> None:
    sender = f"api-bot-{uuid.uuid4().hex[:8]}"
    first = say(api_stack, sender, "/greet", {HONEYPOT_FIELD: "http://spam.example", "page_url": "https://x/"})
    assert first.status_code == 200
    assert first.json() == [{"recipient_id": sender, "text": HONEYPOT_TEXT}]
    # the rest of a hot lead's conversation, without the field: answered the same way, never reaching Rasa
    email = f"{sender}@spam-bot.example"
    for text in (*SQL_ANSWERS, "Spam Bot", email, "Spam Inc", "/skip", "/affirm"):
        answer = say(api_stack, sender, text)
        assert answer.status_code == 200 and answer.json() == [{"recipient_id": sender, "text": HONEYPOT_TEXT}]
    assert tracker_event_count(api_stack, sender) == 0
    assert lead_rows(api_stack, conversation_id=sender) == []
    assert lead_rows(api_stack, email=email) == []
    outbox = api_stack.config.outbox_log
    assert sender not in (outbox.read_text() if outbox.exists() else "")
    log = rasa_log(api_stack)
    lines = [line for line in log.splitlines() if "HONEYPOT" in line and sender in line]
    assert lines and all("WARNING" in line for line in lines), lines
    assert email not in log and "spam.example" not in log  # neither the visitor's text nor the field's value


def test_rest_visitor_with_an_empty_honeypot_is_served(api_stack: Stack) -> None:
    sender = f"api-person-{uuid.uuid4().hex[:8]}"
    answer = say(api_stack, sender, "/greet", {HONEYPOT_FIELD: "", "page_url": "https://acme.example/"})
    assert answer.status_code == 200
    texts = [reply.get("text") for reply in answer.json()]
    assert texts and HONEYPOT_TEXT not in texts
    assert tracker_event_count(api_stack, sender) > 0
