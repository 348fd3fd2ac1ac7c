"""The chat widget in headless Chromium against a real stack: Rasa (socketio channel), actions, demo page."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import yaml
from playwright.sync_api import Page, WebSocketRoute, expect

from integrations.rasa.guards import HONEYPOT_FIELD, HONEYPOT_TEXT
from integrations.runtime.stack import ROOT, Stack
from tests.browser.conftest import Chat
from tests.support.leads import lead_rows

IMAGES = ROOT / "docs" / "images"
UTM = {
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "q4-launch",
    "utm_term": "lead scoring",
    "utm_content": "hero-link",
}
REFERRER = "https://news.example.org/issue-42"


def reps() -> dict[str, str]:
    """Rep name -> booking link, from the routing file sales ops edit."""
    data = yaml.safe_load((ROOT / "bot" / "qualification" / "reps.yml").read_text())
    return {rep["name"]: rep.get("booking_link", "") for rep in data["reps"]}


def landing_url() -> str:
    query = "&".join(f"{key}={value.replace(' ', '+')}" for key, value in UTM.items())
    return f"/?{query}"


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""

    def luminance(color: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", color)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def colors(page: Page, selector: str) -> tuple[str, str]:
    """Text colour and the first opaque background colour behind the element."""
    return page.locator(selector).first.evaluate(
        """node => {
            const color = getComputedStyle(node).color;
            for (let el = node; el; el = el.parentElement || (el.getRootNode() && el.getRootNode().host)) {
                const bg = getComputedStyle(el).backgroundColor;
                if (bg && bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return [color, bg];
            }
            return [color, "rgb(255, 255, 255)"];
        }"""
    )


def test_visitor_qualifies_as_sql_with_source_history_and_safe_text(page: Page, chat: Chat, stack: Stack) -> None:
    page.goto(landing_url(), referer=REFERRER)
    chat.open()
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
    expect(chat.reply_button("Book a demo")).to_be_visible()

    chat.click("Book a demo", "What would you like to solve?")
    chat.click("A specific problem", "What's your role")
    chat.click("I make the decision", "Is there a budget")
    chat.click("Yes, budget is set aside", "When would you like")

    # mid-conversation screenshot for the README (the phone's: tests/browser/test_mobile_layout.py)
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "widget-desktop.png"))
    page.set_viewport_size({"width": 360, "height": 740})  # a narrow window mid-conversation: full screen
    box = chat.panel.bounding_box()
    assert box and (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 360, 740), box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(chat.input).to_be_in_viewport()
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(chat.launcher).to_be_visible()

    chat.click("Within a month", "What's your name?")
    chat.type("Maria Lopez", "business email")
    chat.type("maria.lopez@globex.com", "Which company")
    chat.type("Globex Inc", "phone number")
    chat.click("Skip", "May we store these details")
    final = chat.click("Yes, that's fine", "calendar")

    # the final message names the rep and shows the booking link as a link opening a new tab
    rep_name, booking_link = next((name, link) for name, link in reps().items() if any(name in t for t in final))
    link = chat.bot_messages.last.get_by_role("link")
    expect(link).to_have_attribute("href", booking_link)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_text(booking_link)

    # the page URL, referrer and UTM parameters reached the lead row through the socketio channel
    session_id = chat.session_id()
    deadline = time.monotonic() + 10
    while not (rows := lead_rows(stack, conversation_id=session_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(rows) == 1, rows
    lead = rows[0]
    assert (lead.stage, lead.person_name, lead.email, lead.assigned_rep) == (
        "SQL",
        "Maria Lopez",
        "maria.lopez@globex.com",
        rep_name,
    )
    assert {key: lead.source.get(key) for key in UTM} == UTM
    assert lead.source["page_url"].startswith(f"{stack.config.web_url}/?utm_source=newsletter")
    assert lead.source["referrer"] == REFERRER

    # a reload shows the same conversation, and each message once
    texts = chat.page.locator(".msg").all_text_contents()
    page.reload()
    expect(chat.panel).to_be_visible()  # it was open: it stays open
    expect(chat.page.locator(".msg")).to_have_count(len(texts))
    assert chat.page.locator(".msg").all_text_contents() == texts
    expect(chat.bot_messages.last.get_by_role("link")).to_have_attribute("href", booking_link)
    assert chat.session_id() == session_id

    # markup typed by a visitor is shown literally, never run
    for markup in ("<img src=x onerror=alert(1)>", "<script>alert(2)</script>"):
        chat.type(markup, "")
        expect(chat.user_messages.last).to_have_text(f"You: {markup}")
    expect(page.locator(".log img, .log script")).to_have_count(0)
    page.wait_for_timeout(300)
    assert chat.dialogs == []
    user_texts = [event["text"] for event in chat.tracker_events()]
    assert user_texts[-2:] == ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>"]


def test_keyboard_only(page: Page, chat: Chat) -> None:
    page.goto("/")
    for _ in range(20):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.shadowRoot?.activeElement?.classList.contains('launcher')"):
            break
    expect(chat.launcher).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(chat.panel).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    expect(chat.input).to_be_focused()
    expect(chat.page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)

    def type_and_enter() -> None:
        page.keyboard.type("What does Acme do?")
        page.keyboard.press("Enter")

    chat.turn(type_and_enter, "scores and routes")
    expect(chat.user_messages.last).to_have_text("You: What does Acme do?")
    expect(chat.input).to_be_focused()

    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")  # opens again, with the conversation so far
    expect(chat.input).to_be_focused()
    expect(chat.user_messages).to_have_count(1)


def test_contrast_meets_wcag_aa(page: Page, chat: Chat) -> None:
    page.goto("/")
    chat.open()
    chat.click("Book a demo", "What would you like to solve?")
    for selector in (".launcher", ".head h2", ".head p", ".msg.bot", ".msg.user", ".replies button", ".form button"):
        foreground, background = colors(page, selector)
        assert contrast(foreground, background) >= 4.5, (selector, foreground, background)


def test_pricing_page_greets_proactively_and_the_conversation_follows_to_other_pages(page: Page, chat: Chat) -> None:
    page.goto("/pricing.html")
    expect(chat.panel).to_be_hidden()
    # after the configured delay (4 s on the demo pages) the bot opens with pricing, without a click
    teaser = page.locator(".teaser")
    expect(teaser).to_contain_text("Ada", timeout=20_000)
    expect(page.locator(".badge")).to_have_text(re.compile(r"^[1-9]"))
    assert [event["text"] for event in chat.tracker_events()] == ["/ask_pricing"]

    page.locator(".teaser .open").click()
    expect(chat.panel).to_be_visible()
    expect(chat.input).to_be_focused()
    expect(teaser).to_be_hidden()
    expect(page.locator(".badge")).to_be_hidden()
    expect(chat.bot_messages.filter(has_text="$49 per user")).to_have_count(1)
    expect(chat.reply_button("Just exploring options")).to_be_visible()
    chat.click("Just exploring options", "What's your role")
    count = chat.page.locator(".msg").count()

    # another page of the site continues the same conversation; its opener is not sent again
    session_id = chat.session_id()
    page.goto("/")
    expect(chat.panel).to_be_visible()
    expect(chat.page.locator(".msg")).to_have_count(count)
    assert chat.session_id() == session_id
    chat.click("I recommend or evaluate", "Is there a budget")
    assert [event["text"] for event in chat.tracker_events()].count("/greet") == 0


def tracker_rows(stack: Stack, conversation_id: str) -> int:
    """Rows of a conversation in Rasa's tracker store, read from the database itself."""
    with sqlite3.connect(stack.config.tracker_db) as connection:
        return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (conversation_id,)).fetchone()[0]


def focused_name(page: Page) -> str | None:
    return page.evaluate("document.querySelector('#leadbot-widget').shadowRoot.activeElement?.getAttribute('name')")


def test_the_honeypot_is_out_of_reach_for_people(page: Page, chat: Chat) -> None:
    page.goto("/")
    chat.open()
    trap = page.locator(f"input[name={HONEYPOT_FIELD}]")
    expect(trap).to_have_count(1)
    expect(trap).to_have_attribute("aria-hidden", "true")
    expect(trap).to_have_attribute("tabindex", "-1")
    expect(trap).to_have_attribute("autocomplete", "off")
    expect(trap).not_to_be_in_viewport()
    box = trap.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box  # off-screen, yet not display:none (bots skip those)
    # screen readers: it is not in the accessibility tree, the message input is the only text box
    expect(page.get_by_role("textbox")).to_have_count(1)
    expect(page.get_by_role("textbox")).to_have_accessible_name("Your message")
    # keyboard: Tab and Shift+Tab go round the chat without ever landing on it
    for key in ["Tab"] * 10 + ["Shift+Tab"] * 10:
        page.keyboard.press(key)
        assert focused_name(page) != HONEYPOT_FIELD, key
    # a person's messages carry no honeypot value and reach the bot
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
    chat.input.focus()
    chat.type("What does Acme do?", "scores and routes")
    events = chat.tracker_events()
    assert [event["text"] for event in events] == ["/greet", "What does Acme do?"]
    assert all(HONEYPOT_FIELD not in (event.get("metadata") or {}) for event in events)


def test_a_bot_that_fills_the_honeypot_never_reaches_rasa(page: Page, chat: Chat, stack: Stack) -> None:
    """No tracker events, no lead, no rep notified; a WARNING without the bot's text in Rasa's log."""
    page.goto("/")
    page.wait_for_function("!!document.querySelector('#leadbot-widget')")
    # what a form-spamming bot does: fill every field it finds, hidden or not, through the DOM
    page.evaluate(
        """name => {
            const field = document.querySelector('#leadbot-widget').shadowRoot.querySelector(`input[name=${name}]`);
            field.value = 'http://cheap-pills.example';
        }""",
        HONEYPOT_FIELD,
    )
    chat.open()  # sends the opener, which carries the field
    expect(chat.bot_messages.first).to_have_text(f"Ada: {HONEYPOT_TEXT}", timeout=20_000)
    email = "spam.bot@cheap-pills.example"
    for text in ("I'd like to book a demo", "I'm the CEO, budget is approved, we need it now", "Spam Bot", email):
        chat.type(text, HONEYPOT_TEXT)
    # the field is empty again after a reload, but the conversation still carries it
    page.reload()
    expect(chat.panel).to_be_visible()
    chat.type("yes, store my details", HONEYPOT_TEXT)
    assert all(text.endswith(HONEYPOT_TEXT) for text in chat.bot_messages.all_text_contents())

    session_id = chat.session_id()
    time.sleep(1)  # a lead would be stored within the turn; give any stray write a moment
    assert tracker_rows(stack, session_id) == 0
    assert lead_rows(stack, conversation_id=session_id) == []
    assert lead_rows(stack, email=email) == []
    outbox = stack.config.outbox_log
    assert session_id not in (outbox.read_text() if outbox.exists() else "")
    log = (ROOT / "tests" / "reports" / "logs" / "browser" / "rasa.log").read_text(errors="replace")
    assert any("HONEYPOT" in line and session_id in line for line in log.splitlines())
    assert email not in log and "cheap-pills" not in log


class Network:
    """Sits on the widget's socket.io WebSocket so a test can drop it, like a flaky mobile connection."""

    def __init__(self, page: Page) -> None:
        self.down = False
        self.drop_after: str | None = None  # drop the connection right after a frame containing this
        self.live: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        self.stalled: list[WebSocketRoute] = []
        self.connections = 0
        page.route_web_socket(re.compile(r"/socket\.io/"), self.handle)

    def handle(self, ws: WebSocketRoute) -> None:
        if self.down:
            self.stalled.append(ws)  # the browser waits for the server, as on a stalled network
        else:
            self.connect(ws)

    def connect(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.live.append((ws, server))
        self.connections += 1

        def from_page(message: str | bytes) -> None:
            server.send(message)
            if self.drop_after and self.drop_after in str(message):
                self.drop_after = None
                ws.close()
                server.close()

        ws.on_message(from_page)

    def cut(self) -> None:
        self.down = True
        for ws, server in self.live:
            ws.close()
            server.close()
        self.live.clear()

    def restore(self) -> None:
        self.down = False
        for ws in self.stalled:
            self.connect(ws)
        self.stalled.clear()


def test_dropped_connection_loses_and_duplicates_nothing(page: Page, chat: Chat) -> None:
    network = Network(page)
    page.goto("/")
    chat.open()
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)

    # the connection drops after the message left but before the bot answered: the widget sends it
    # again on reconnecting, Rasa handles it once and the widget shows the answer once
    network.drop_after = "What does Acme do?"
    chat.type("What does Acme do?", "scores and routes")
    assert network.drop_after is None and network.connections == 2
    expect(chat.page.locator(".msg", has_text="scores and routes")).to_have_count(1)
    expect(chat.user_messages).to_have_count(1)

    # a message typed while offline waits, and goes out once the connection is back
    network.cut()
    expect(page.locator(".status")).to_contain_text("Reconnecting", timeout=10_000)
    chat.input.fill("Is my data secure?")
    chat.input.press("Enter")
    expect(chat.user_messages).to_have_count(2)
    page.wait_for_timeout(1500)
    expect(chat.bot_messages.filter(has_text="GDPR")).to_have_count(0)
    network.restore()
    expect(chat.page.locator(".msg.bot", has_text="GDPR")).to_have_count(1, timeout=20_000)
    expect(page.locator(".status")).to_have_text("")

    user_texts = [event["text"] for event in chat.tracker_events()]
    assert user_texts == ["/greet", "What does Acme do?", "Is my data secure?"]
    assert network.connections == 3
    chat.errors.clear()  # the dropped connections are logged by Chromium as errors, on purpose here


def test_widget_is_small_and_self_contained() -> None:
    static = Path(ROOT / "integrations" / "web" / "static")
    source = (static / "widget.js").read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "eval(" not in source
    assert (static / "vendor" / "socket.io.min.js").exists()
    assert len(source.encode()) < 30_000
