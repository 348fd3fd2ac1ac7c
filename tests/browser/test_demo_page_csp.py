"""The demo page under its Content-Security-Policy: the widget connects, answers, and nothing is blocked.

The `chat` fixture fails the test on any console error, and Chromium reports every CSP violation
as one ("Refused to load/execute/connect ..."), so these turns prove the policy fits the widget.
"""

from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from integrations.runtime.stack import Stack
from tests.browser.conftest import Chat


def test_the_talk_to_us_button_opens_the_chat_under_the_csp(page: Page, chat: Chat, stack: Stack) -> None:
    headers = requests.get(f"{stack.config.web_url}/", timeout=10).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.goto("/")
    page.get_by_role("link", name="Talk to us").click()  # the handler lives in demo-page.js now, not inline
    expect(chat.panel).to_be_visible()
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
    chat.type("What does Acme do?", "scores and routes")
    assert violations == []
    assert page.evaluate("window.LEADBOT_CONFIG.greetingDelay") == 4000  # demo-page.js ran
