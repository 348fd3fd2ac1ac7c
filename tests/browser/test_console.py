"""The rep console in headless Chromium beside the visitor's widget, against the real stack.

A visitor asks for a human in the middle of the qualification form; a rep signs in, takes the
conversation over, and they write to each other (delivery times measured both ways); the bot says
nothing meanwhile; the rep hands back and the form asks its open question again. The tracker, the
transcript and the lead store show the rep's part. Plus: no page or API call without a session,
wrong passwords slowed and locked, HTML shown as text on both sides, one rep per conversation, and the
Claim button of a conversation's hot lead.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from integrations.console.auth import LOCK_AFTER, SLOW_AFTER
from integrations.leads.transcripts import load_transcript
from integrations.runtime.stack import ROOT, Stack
from integrations.store.db import transaction
from integrations.store.models import Lead, RepPresence, Takeover
from tests.browser.conftest import REP_PASSWORDS, Chat

IMAGES = ROOT / "docs" / "images"
ROUNDS = 8  # messages each way whose delivery time is measured
WAIT_MS = 20_000


class Rep:
    """The console in its own browser context (its own cookies), used as a rep would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def sign_in(self, username: str, password: str, start: str = "/console") -> None:
        self.page.goto(start)
        expect(self.page).to_have_url(re.compile(r"/console/login(\?conversation=[^&]+)?$"))
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name="Live conversations")).to_be_visible()

    def open_conversation(self, conversation_id: str) -> None:
        row = self.page.locator(f'#conversations button[data-id="{conversation_id}"]')
        expect(row).to_be_visible(timeout=WAIT_MS)
        row.click()
        expect(self.page.locator("#facts")).to_contain_text(conversation_id)

    def lines(self, speaker: str):
        return self.page.locator(f'#transcript li[data-speaker="{speaker}"]')

    def send(self, text: str) -> None:
        self.page.locator("#text").fill(text)
        self.page.locator("#text").press("Enter")


@pytest.fixture()
def rep_page(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.config.web_url, viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


def signed_in(stack: Stack, username: str) -> tuple[requests.Session, str]:
    """A rep's console session through HTTP (the sign-in form, then the CSRF token from the page)."""
    session = requests.Session()
    form = session.get(f"{stack.config.web_url}/console/login", timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text
    data = {"username": username, "password": REP_PASSWORDS[username], "csrf": token.group(1)}
    answer = session.post(f"{stack.config.web_url}/console/login", data=data, allow_redirects=False, timeout=30)
    assert answer.status_code == 303, answer.text
    page = session.get(f"{stack.config.web_url}/console", timeout=10)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf, page.text
    return session, csrf.group(1)


def join_link(stack: Stack, conversation: str) -> str:
    """The "Join the chat" link of the hand-off notification (the local channel's outbox log), as a path."""
    wanted = f"/console?conversation={quote(conversation, safe='')}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log = stack.config.outbox_log.read_text() if stack.config.outbox_log.exists() else ""
        if "Join the chat: " in log and wanted in log:
            return wanted
        time.sleep(0.2)
    raise AssertionError(f"no Join the chat link for {conversation} in {stack.config.outbox_log}")


def nobody_online(stack: Stack) -> None:
    """No rep has the console open (earlier tests' reps are forgotten)."""
    with transaction(stack.config.database_url) as session:
        session.query(RepPresence).delete()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def test_rep_takes_over_mid_form_and_hands_back(page: Page, chat: Chat, rep_page: Page, stack: Stack) -> None:
    page.goto("/pricing.html")
    chat.open()
    expect(chat.bot_messages.first).to_be_attached(timeout=WAIT_MS)
    chat.type("we need lead scoring from our CRM data", "What's your role")
    nobody_online(stack)
    answer = chat.type("can I talk to a human please?", "What's your role")  # the form goes on after the alert
    honest = next(text for text in answer if "Nobody from our sales team is in the chat right now" in text)
    assert "waits in their queue" in honest and "leave your email" in honest and "https://cal.acme.example/" in honest
    conversation = chat.session_id()

    rep = Rep(rep_page)
    rep.sign_in("priya", REP_PASSWORDS["priya"], start=join_link(stack, conversation))  # from the rep's alert
    expect(rep_page.locator("#facts")).to_contain_text(conversation)  # the link opened this conversation
    row = rep_page.locator(f'#conversations button[data-id="{conversation}"]')
    expect(row).to_contain_text("asked for a human", timeout=WAIT_MS)
    expect(rep_page).to_have_title(re.compile(r"^\(\d+\) Rep console$"))  # the title badge of waiting visitors
    rep.open_conversation(conversation)
    expect(rep_page.locator("#facts")).to_contain_text("/pricing.html")
    expect(rep_page.locator("#facts")).to_contain_text("qualification_form")
    expect(rep.lines("visitor").last).to_contain_text("talk to a human")
    rep_page.get_by_role("button", name="Take over").click()
    expect(rep_page.locator("#owner")).to_contain_text("You have this conversation")
    bot_events_before = len(
        [e for e in chat.tracker_events("bot") if not (e.get("metadata") or {}).get("takeover_rep_name")]
    )

    # messages both ways, each timed from the send to the other side showing it
    rep_to_visitor: list[float] = []
    visitor_to_rep: list[float] = []
    for round_ in range(ROUNDS):
        shown = page.locator(".msg.bot.rep").count()
        started = time.monotonic()
        rep.send(f"Hi, Priya here ({round_}) <b>not bold</b>")
        expect(page.locator(".msg.bot.rep")).to_have_count(shown + 1, timeout=WAIT_MS)
        rep_to_visitor.append(time.monotonic() - started)

        seen = rep.lines("visitor").count()
        started = time.monotonic()
        chat.input.fill(f"thanks ({round_}) <i>not italic</i><script>alert(1)</script>")
        chat.input.press("Enter")
        expect(rep.lines("visitor")).to_have_count(seen + 1, timeout=WAIT_MS)
        visitor_to_rep.append(time.monotonic() - started)
    print(
        f"\nrep -> visitor delivery: p95 {p95(rep_to_visitor) * 1000:.0f} ms, median "
        f"{statistics.median(rep_to_visitor) * 1000:.0f} ms; visitor -> rep: p95 {p95(visitor_to_rep) * 1000:.0f} ms, "
        f"median {statistics.median(visitor_to_rep) * 1000:.0f} ms ({ROUNDS} messages each way)"
    )
    assert p95(rep_to_visitor) < 1.0 and p95(visitor_to_rep) < 1.0, (rep_to_visitor, visitor_to_rep)

    # the rep's name in the widget, and HTML shown as text on both sides
    last = page.locator(".msg.bot.rep").last
    expect(last.locator(".who")).to_have_text("Priya Raman")
    expect(last).to_contain_text("<b>not bold</b>")
    assert last.locator("b").count() == 0
    expect(rep.lines("visitor").last).to_contain_text("<i>not italic</i><script>alert(1)</script>")
    assert rep_page.locator("#transcript i, #transcript script").count() == 0
    expect(rep.lines("rep").last).to_contain_text("Priya Raman")
    if IMAGES.is_dir():  # the README's screenshot pair
        page.screenshot(path=str(IMAGES / "takeover-visitor.png"))
        rep_page.screenshot(path=str(IMAGES / "takeover-console.png"))

    # the bot said nothing while the rep had the conversation
    bot_events = [e for e in chat.tracker_events("bot") if not (e.get("metadata") or {}).get("takeover_rep_name")]
    assert len(bot_events) == bot_events_before, bot_events[bot_events_before:]
    assert not page.locator(".msg.bot:not(.rep)", has_text="technical problem").count()

    # hand back: the form asks its open question again, and the next answer goes on with the form
    before = chat.bot_messages.count()
    rep_page.get_by_role("button", name="Hand back to the bot").click()
    expect(chat.bot_messages.nth(before)).to_contain_text("What's your role", timeout=WAIT_MS)
    expect(rep_page.locator("#owner")).to_contain_text("The bot is answering")
    chat.click("I make the decision", "budget")
    chat.click("Yes, budget is set aside", "When would you like")
    chat.click("Within a month", "What's your name?")
    chat.type("Maria Lopez", "business email")
    chat.type("maria.lopez@globex.com", "Which company")
    chat.type("Globex Inc", "phone number")
    chat.click("Skip", "May we store these details")
    chat.click("Yes, that's fine", "calendar")

    # the records: the tracker's transcript (leads show, transcript links, privacy export) and the takeover row
    lines = load_transcript(f"sqlite:///{stack.config.tracker_db}", conversation)
    rep_lines = [line for line in lines if line.speaker == "rep"]
    assert len(rep_lines) == ROUNDS and all(line.label == "rep Priya Raman" for line in rep_lines)
    assert "<b>not bold</b>" in rep_lines[0].text
    with transaction(stack.config.database_url) as session:
        takeover = session.query(Takeover).filter_by(conversation_id=conversation).one()
        assert (takeover.rep, takeover.rep_name) == ("priya", "Priya Raman")
        assert takeover.released_at is not None and takeover.released_at >= takeover.taken_at
        lead = session.query(Lead).filter_by(conversation_id=conversation).one()
        assert lead.need == "defined" and lead.authority == "decision_maker"  # the form went on after hand back
    shown = subprocess.run(
        [str(ROOT / "scripts" / "leads"), "show", str(lead.id)],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Taken over in the rep console (1)" in shown.stdout and "Priya Raman (priya): " in shown.stdout
    assert "rep Priya Raman  Hi, Priya here (0) <b>not bold</b>" in shown.stdout
    assert not rep.errors


def test_two_reps_cannot_both_take_one_conversation(page: Page, chat: Chat, stack: Stack) -> None:
    page.goto("/")
    chat.open()
    expect(chat.bot_messages.first).to_be_attached(timeout=WAIT_MS)
    chat.type("we need lead scoring from our CRM data", "What's your role")
    conversation = chat.session_id()
    priya, priya_csrf = signed_in(stack, "priya")
    lukas, lukas_csrf = signed_in(stack, "lukas")
    assert priya.get(f"{stack.config.web_url}/console/api/conversations", timeout=10).status_code == 200  # online
    chat.type("can I talk to a human please?", "will join this chat in a moment")
    url = f"{stack.config.web_url}/console/api/conversations/{conversation}"
    assert priya.post(f"{url}/take", headers={"X-CSRF-Token": priya_csrf}, timeout=30).status_code == 200
    refused = lukas.post(f"{url}/take", headers={"X-CSRF-Token": lukas_csrf}, timeout=30)
    assert refused.status_code == 409 and refused.json()["holder"]["name"] == "Priya Raman"
    seen = lukas.get(url, timeout=10).json()
    assert seen["holder"]["name"] == "Priya Raman" and seen["paused"] is True
    said = lukas.post(f"{url}/messages", json={"text": "hi"}, headers={"X-CSRF-Token": lukas_csrf}, timeout=30)
    assert said.status_code == 409
    assert lukas.post(f"{url}/release", headers={"X-CSRF-Token": lukas_csrf}, timeout=30).status_code == 409
    assert priya.post(f"{url}/release", headers={"X-CSRF-Token": priya_csrf}, timeout=30).status_code == 200
    assert lukas.post(f"{url}/take", headers={"X-CSRF-Token": lukas_csrf}, timeout=30).status_code == 200
    assert lukas.post(f"{url}/release", headers={"X-CSRF-Token": lukas_csrf}, timeout=30).status_code == 200
    with transaction(stack.config.database_url) as session:
        rows = session.query(Takeover).filter_by(conversation_id=conversation).order_by(Takeover.id).all()
        assert [row.rep for row in rows] == ["priya", "lukas"]


def test_console_refuses_every_page_and_call_without_a_session(stack: Stack) -> None:
    web = stack.config.web_url
    anonymous = requests.Session()
    for path in ("/console", "/console/console.js", "/console/anything"):
        answer = anonymous.get(web + path, allow_redirects=False, timeout=10)
        assert answer.status_code == 303 and answer.headers["Location"] == "/console/login", path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    for path in ("/console/api/conversations", "/console/api/conversations/x"):
        assert anonymous.get(web + path, timeout=10).status_code == 401, path
    for path in ("/console/api/conversations/x/take", "/console/api/conversations/x/messages", "/console/logout"):
        assert anonymous.post(web + path, json={"text": "hi"}, timeout=10).status_code == 401, path
    login = anonymous.get(web + "/console/login", timeout=10)
    assert login.status_code == 200 and "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]
    assert "console_session" not in login.headers.get("Set-Cookie", "")
    # a forged session cookie is no session; a real one without the CSRF header cannot change anything
    forged = requests.Session()
    forged.cookies.set("console_session", "made-up", path="/console")
    assert forged.get(web + "/console/api/conversations", timeout=10).status_code == 401
    session, csrf = signed_in(stack, "priya")
    cookie = next(c for c in session.cookies if c.name == "console_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # plain HTTP here: Secure only over HTTPS
    assert session.post(web + "/console/api/conversations/x/take", timeout=10).status_code == 403
    assert (
        session.post(web + "/console/api/conversations/x/take", headers={"X-CSRF-Token": "no"}, timeout=10).status_code
        == 403
    )
    # the sign-in form needs its own token too (a page on another site cannot sign a rep in)
    stranger = requests.post(
        web + "/console/login", data={"username": "priya", "password": REP_PASSWORDS["priya"]}, timeout=10
    )
    assert stranger.status_code == 403 and "console_session" not in stranger.headers.get("Set-Cookie", "")
    page = session.get(web + "/console", timeout=10)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "SameSite=Strict" in session.get(web + "/console/login", timeout=10).headers["Set-Cookie"]
    out = session.post(web + "/console/logout", headers={"X-CSRF-Token": csrf}, allow_redirects=False, timeout=10)
    assert out.status_code == 303
    assert session.get(web + "/console/api/conversations", timeout=10).status_code == 401


def test_wrong_passwords_are_slowed_then_locked(stack: Stack) -> None:
    web = stack.config.web_url
    session = requests.Session()

    def attempt(password: str) -> tuple[int, float]:
        form = session.get(web + "/console/login", timeout=10)
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        started = time.monotonic()
        answer = session.post(
            web + "/console/login",
            data={"username": "dana", "password": password, "csrf": token},
            allow_redirects=False,
            timeout=30,
        )
        return answer.status_code, time.monotonic() - started

    durations = []
    for _ in range(LOCK_AFTER):
        status, took = attempt("wrong password")
        assert status == 401
        durations.append(took)
    quick = min(durations[:SLOW_AFTER])  # the first few are answered at once (the hash check alone)
    # then each waits longer: 0.5 s more at the SLOW_AFTER-th failure, 1.5 s more at the last one
    assert durations[SLOW_AFTER] >= quick + 0.45 and durations[-1] >= quick + 1.45, durations
    status, _ = attempt(REP_PASSWORDS["dana"])  # locked: even the right password is refused for a while
    assert status == 429


def test_a_rep_claims_the_hot_lead_from_the_console(page: Page, chat: Chat, rep_page: Page, stack: Stack) -> None:
    """The Claim button: the hot lead of a live conversation, claimed by the signed-in rep (docs/console.md)."""
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    import yaml

    from integrations.handoff import store_lead
    from integrations.leads.transcript_links import TranscriptLinks
    from integrations.routing import RoutingPolicy
    from tests.support.leads import lead_record

    page.goto("/")
    chat.open()
    expect(chat.bot_messages.first).to_be_attached(timeout=WAIT_MS)
    chat.type("we need lead scoring from our CRM data", "What's your role")
    conversation = chat.session_id()
    data = yaml.safe_load(Path(stack.config.extra_env["REPS_FILE"]).read_text())
    routing = RoutingPolicy.from_yaml({**data, "reps": [rep for rep in data["reps"] if rep["name"] == "Priya Raman"]})
    record = lead_record(
        conversation_id=conversation, score=95, stage="SQL", temperature="hot", reasons=[], consent=True,
        person_name="Maria", email="maria@globex.com", company="Globex",
    )  # fmt: skip
    links = TranscriptLinks("http://localhost/transcripts/{token}", "secret", timedelta(days=7))
    now = datetime.now(timezone.utc)
    lead_id = store_lead(
        stack.config.database_url, record, links=links, channels=["local_log"], routing=routing, now=now
    ).lead_id

    rep = Rep(rep_page)
    rep.sign_in("priya", REP_PASSWORDS["priya"])
    rep.open_conversation(conversation)
    expect(rep_page.locator("#lead")).to_contain_text(f"Hot lead {lead_id} is waiting to be claimed", timeout=WAIT_MS)
    rep_page.get_by_role("button", name="Claim the lead").click()
    expect(rep_page.locator("#lead")).to_have_text(f"Lead {lead_id} is claimed by Priya Raman.", timeout=WAIT_MS)
    expect(rep_page.get_by_role("button", name="Claim the lead")).to_be_hidden()
    assert rep.errors == [] and rep_page.locator("#error").text_content() == ""
    with transaction(stack.config.database_url) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and (lead.status, lead.assigned_rep) == ("claimed", "Priya Raman")
        assert lead.claimed_at is not None
