"""A real stack with the demo page, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from playwright.sync_api import Browser, Locator, Page, expect

from integrations.console.accounts import hash_password
from integrations.rasa.origins import demo_origins
from integrations.runtime.stack import ROOT, Stack
from tests.support.ports import port
from tests.support.stacks import isolated_config, running_stack

TURN_TIMEOUT_MS = 20_000
# Another company's site embedding the widget: a second origin, listed in ALLOWED_ORIGINS, and one that is not
SITE_HOST = "127.0.0.2"
SITE_ORIGIN = f"http://{SITE_HOST}:{port(18082)}"
UNLISTED_ORIGIN = f"http://{SITE_HOST}:{port(18083)}"


# rep console accounts (tests/browser/test_console.py) in a copy of the routing file: username -> password
REP_PASSWORDS = {"priya": "priya-console-password", "lukas": "lukas-console-password", "dana": "dana-console-pass"}
REP_OF = {"priya": "Priya Raman", "lukas": "Lukas Brenner", "dana": "Dana Whitfield"}


def reps_with_console_accounts(state: Path) -> Path:
    """bot/qualification/reps.yml with console accounts (hashes made as `leads rep-password` makes them)."""
    data = yaml.safe_load((ROOT / "bot" / "qualification" / "reps.yml").read_text())
    for rep in data["reps"]:
        for username, name in REP_OF.items():
            if rep["name"] == name:
                rep["console"] = {"username": username, "password_hash": hash_password(REP_PASSWORDS[username])}
    path = state / "reps.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("browser-stack")
    reps = reps_with_console_accounts(state)
    config = isolated_config(state, port(16005), port(16055), port(18081), {"REPS_FILE": str(reps)})
    config.cors_origins = (*demo_origins(config.web_port), SITE_ORIGIN)  # ALLOWED_ORIGINS
    with running_stack(config, "browser", web=True) as running:
        yield running


@dataclass
class Sites:
    allowed: str  # a page on SITE_ORIGIN with the widget, the chat served from the stack's origin
    unlisted: str  # the same page on UNLISTED_ORIGIN


def site_page(stack: Stack) -> bytes:
    """A company's page with the snippet of docs/widget.md: config, then widget.js from the chat's host."""
    rasa = f"http://localhost:{stack.config.rasa_port}"  # the Rasa server as browsers reach it
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Globex - our own site</title></head>
<body><main><h1>Globex: a site on another origin</h1><p>The chat below comes from the assistant's host.</p></main>
<script>window.LEADBOT_CONFIG = {{ serverUrl: "{rasa}", greetingDelay: 0 }};</script>
<script src="{stack.config.web_url}/widget.js" async></script>
</body></html>
""".encode()


@pytest.fixture(scope="session")
def sites(stack: Stack) -> Iterator[Sites]:
    """Two tiny static servers on 127.0.0.2 serving the company page: one origin listed, one not."""
    body = site_page(stack)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    servers = []
    for origin in (SITE_ORIGIN, UNLISTED_ORIGIN):
        server = ThreadingHTTPServer((SITE_HOST, int(origin.rsplit(":", 1)[1])), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield Sites(allowed=SITE_ORIGIN, unlisted=UNLISTED_ORIGIN)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


class Chat:
    """The widget on one page, used the way a visitor would."""

    def __init__(self, page: Page, stack: Stack) -> None:
        self.page = page
        self.stack = stack
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    # parts of the widget (Playwright's CSS locators reach into its open shadow root)
    @property
    def launcher(self) -> Locator:
        return self.page.locator(".launcher")

    @property
    def panel(self) -> Locator:
        return self.page.get_by_role("dialog", name="Chat with Ada")

    @property
    def input(self) -> Locator:
        return self.page.get_by_role("textbox", name="Your message")

    @property
    def bot_messages(self) -> Locator:
        return self.page.locator(".msg.bot")

    @property
    def user_messages(self) -> Locator:
        return self.page.locator(".msg.user")

    @property
    def typing(self) -> Locator:
        return self.page.locator(".typing")

    def reply_button(self, title: str) -> Locator:
        return self.page.locator(".replies button", has_text=title)

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def turn(self, action: Callable[[], Any], expected: str) -> list[str]:
        """Do something, wait for the bot's whole answer, check it says `expected`; the new bot texts."""
        before = self.bot_messages.count()
        action()
        expect(self.bot_messages.nth(before)).to_be_attached(timeout=TURN_TIMEOUT_MS)
        expect(self.typing).to_be_hidden(timeout=TURN_TIMEOUT_MS)
        texts = [text.removeprefix("Ada: ") for text in self.bot_messages.all_text_contents()[before:]]
        assert any(expected in text for text in texts), f"expected {expected!r} in {texts}"
        return texts

    def click(self, title: str, expected: str) -> list[str]:
        return self.turn(lambda: self.reply_button(title).click(), expected)

    def type(self, text: str, expected: str) -> list[str]:
        def send() -> None:
            self.input.fill(text)
            self.input.press("Enter")

        return self.turn(send, expected)

    def session_id(self) -> str:
        return self.page.evaluate("JSON.parse(localStorage.getItem('leadbot:conversation')).session")

    def tracker_events(self, kind: str = "user") -> list[dict[str, Any]]:
        response = requests.get(
            f"{self.stack.config.rasa_url}/conversations/{self.session_id()}/tracker",
            params={"token": self.stack.config.rasa_token},
            timeout=30,
        )
        response.raise_for_status()
        return [event for event in response.json()["events"] if event["event"] == kind]


@pytest.fixture()
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.config.web_url, viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture()
def chat(page: Page, stack: Stack) -> Iterator[Chat]:
    chat = Chat(page, stack)
    yield chat
    assert not chat.dialogs, f"a dialog opened: {chat.dialogs}"
    assert not chat.errors, f"errors in the page: {chat.errors}"
