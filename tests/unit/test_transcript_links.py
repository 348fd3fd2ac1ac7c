"""Signed, expiring transcript links: no conversation id in them, tampering and expiry refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from integrations.leads.cli import main
from integrations.leads.transcript_links import InvalidLinkError, TranscriptLinks, resolve, token_of, transcript_page
from integrations.store.db import transaction
from tests.support.tracker_events import make_events_table

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SECRET = "test-secret-of-thirty-two-bytes!"
LINKS = TranscriptLinks(SECRET, "https://leads.example/transcripts/{token}", timedelta(days=7))


def tracker_with_one_message(tmp_path: Path, text: str) -> str:
    """A SQLite tracker store holding one visitor message of the conversation the links point to."""
    from sqlalchemy import create_engine

    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    events = make_events_table(tracker)
    engine = create_engine(tracker)
    with engine.begin() as connection:
        data = json.dumps({"text": text})
        row = {"sender_id": "conv-secret-id-42", "type_name": "user", "timestamp": NOW.timestamp(), "data": data}
        connection.execute(events.insert().values(**row))
    engine.dispose()
    return tracker


def make_link(url: str, conversation_id: str = "conv-secret-id-42") -> str:
    with transaction(url) as session:
        link = LINKS.url(session, conversation_id, NOW)
    assert link is not None
    return link


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, database_url: str) -> str:
    if request.param == "sqlite":
        return database_url
    return request.getfixturevalue("postgres_url")


def test_a_link_hides_the_conversation_and_resolves_to_it(store_url: str) -> None:
    link = make_link(store_url)
    assert "conv-secret-id-42" not in link and link.startswith("https://leads.example/transcripts/")
    assert resolve(store_url, SECRET, token_of(link), NOW + timedelta(days=6)) == "conv-secret-id-42"
    assert make_link(store_url).rsplit(".", 2)[0] == link.rsplit(".", 2)[0]  # one reference per conversation


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature
        lambda token: token.replace(".", ".9", 1),  # expiry pushed back
        lambda token: "x" + token,  # another reference
        lambda token: "not-a-token",
    ],
)
def test_a_changed_token_is_refused(database_url: str, change) -> None:
    token = token_of(make_link(database_url))
    with pytest.raises(InvalidLinkError):
        resolve(database_url, SECRET, change(token), NOW)
    with pytest.raises(InvalidLinkError, match="signature"):
        resolve(database_url, "another secret", token, NOW)


def test_an_expired_link_is_refused(database_url: str) -> None:
    token = token_of(make_link(database_url))
    with pytest.raises(InvalidLinkError, match="expired"):
        resolve(database_url, SECRET, token, NOW + timedelta(days=7))


def test_without_a_secret_there_is_no_link(database_url: str) -> None:
    with transaction(database_url) as session:
        assert TranscriptLinks(None, "https://x/{token}").url(session, "c", NOW) is None


def test_the_page_and_the_cli_verifier(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker = tracker_with_one_message(tmp_path, "<b>hi</b>")
    link = make_link(database_url)
    status, page = transcript_page(database_url, tracker, SECRET, token_of(link), NOW)
    assert status == 200 and "&lt;b&gt;hi&lt;/b&gt;" in page and "<b>hi</b>" not in page
    assert transcript_page(database_url, tracker, SECRET, token_of(link) + "x", NOW)[0] == 404

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_DB_URL", tracker)
    monkeypatch.setenv("TRANSCRIPT_LINK_SECRET", SECRET)
    monkeypatch.setattr("integrations.leads.cli._now", lambda: NOW)
    assert main(["transcript", link]) == 0
    assert "<b>hi</b>" in capsys.readouterr().out
    monkeypatch.setattr("integrations.leads.cli._now", lambda: NOW + timedelta(days=8))
    assert main(["transcript", link]) == 1
    assert "expired" in capsys.readouterr().err


def test_the_demo_web_server_serves_the_link(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    """A rep's link opens on the stack's web server; a tampered one is a 404 that shows nothing."""
    import functools
    import threading
    from http.server import ThreadingHTTPServer

    import requests

    from integrations.web.server import STATIC_DIR, DemoPageHandler

    clock.move_to(NOW)
    tracker = tracker_with_one_message(tmp_path, "we need <i>x</i>")
    for name, value in {
        "DATABASE_URL": database_url,
        "TRACKER_DB_URL": tracker,
        "TRANSCRIPT_LINK_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    token = token_of(make_link(database_url))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(DemoPageHandler, directory=str(STATIC_DIR)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/transcripts/"
    try:
        page = requests.get(base + token, timeout=10)
        assert page.status_code == 200 and "we need &lt;i&gt;x&lt;/i&gt;" in page.text
        assert (
            page.headers["Cache-Control"] == "no-store"
            and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        )
        tampered = requests.get(base + token[:-1] + ("A" if token[-1] != "A" else "B"), timeout=10)
        assert tampered.status_code == 404 and "we need" not in tampered.text
    finally:
        server.shutdown()
        server.server_close()
