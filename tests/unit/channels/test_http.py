"""Shared HTTP handling: Retry-After, timeouts from the environment, and network failures as retryable errors."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.http import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    new_session,
    parse_retry_after,
    post,
    raise_for_answer,
    timeout_from_env,
)
from tests.unit.channels.fakes import DROP, GARBAGE, SLOW_SECONDS, TIMEOUT, Reply

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("999999", MAX_RETRY_AFTER_SECONDS),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Thu, 26 Nov 2026 12:00:30 GMT", 30.0),
        (format_datetime(NOW - timedelta(minutes=5), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, DEFAULT_TIMEOUT_SECONDS), ("0.5", 0.5), ("12", 12.0), ("abc", DEFAULT_TIMEOUT_SECONDS), ("-1", 5.0)],
)
def test_timeouts_come_from_the_environment(value: str | None, expected: float) -> None:
    env = {} if value is None else {"CHANNEL_TIMEOUT_SECONDS": value}
    assert timeout_from_env(env) == (expected, expected)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_connection_is_retryable_and_does_not_leak_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret-token"
    with pytest.raises(DeliveryError) as caught:
        post(new_session(), url, service="slack", timeout=TIMEOUT, json={})
    assert not caught.value.permanent
    assert "secret-token" not in str(caught.value)
    assert "slack: connection" in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "not a url", "http://"])
def test_unusable_url_is_permanent(url: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        post(new_session(), url, service="webhook", timeout=TIMEOUT, json={})
    assert caught.value.permanent


def answer_ok(_request) -> Reply:
    return Reply(200, "ok")


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        (Reply(200, "late", delay=SLOW_SECONDS), "timed out answering after 0.5 s"),
        (DROP, "RemoteDisconnected"),
        (GARBAGE, "connection"),
    ],
)
def test_slow_dropped_and_garbled_answers_are_retryable(fake, behaviour, words: str) -> None:
    service = fake(answer_ok).then(behaviour)
    session = new_session()
    with pytest.raises(DeliveryError) as caught:
        post(session, service.base_url + "/hook", service="test", timeout=TIMEOUT, json={})
    assert not caught.value.permanent
    assert words in str(caught.value)
    # the same session recovers on the next try
    response = post(session, service.base_url + "/hook", service="test", timeout=TIMEOUT, json={})
    assert response.text == "ok"


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (404, True), (408, False), (429, False), (500, False)]
)
def test_status_codes(fake, status: int, permanent: bool) -> None:
    service = fake(answer_ok).then(Reply(status, '{"message": "went   wrong\\n here"}', {"Retry-After": "3"}))
    response = post(new_session(), service.base_url, service="test", timeout=TIMEOUT, json={})
    with pytest.raises(DeliveryError) as caught:
        raise_for_answer(response, "test")
    assert caught.value.permanent is permanent
    assert str(caught.value) == f"test: HTTP {status} went wrong here"
    assert caught.value.retry_after == (None if permanent else 3.0)


def test_a_redirect_is_not_followed(fake) -> None:
    service = fake(answer_ok).then(Reply(302, "", {"Location": "/elsewhere"}))
    response = post(new_session(), service.base_url + "/hook", service="test", timeout=TIMEOUT, json={})
    with pytest.raises(DeliveryError, match="unexpected redirect") as caught:
        raise_for_answer(response, "test")
    assert caught.value.permanent
    assert [request.path for request in service.requests] == ["/hook"]
