"""The widget on another company's site: a page on a second origin with the chat served from the stack's origin.

The page on SITE_ORIGIN (listed in the stack's ALLOWED_ORIGINS) holds a whole conversation through
the widget, and the lead's source is that page. The same page on UNLISTED_ORIGIN cannot open the
socket at all: not the widget, not socket.io's client on either transport, not a bare WebSocket or
fetch; Rasa's log names the refused origin.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from integrations.runtime.stack import Stack
from tests.browser.conftest import Chat, Sites
from tests.support.leads import lead_rows

# socket.io's client (the widget's vendored copy) on one transport, without retries: "connected:<transport>"
# or "refused:<why>"
PROBE_SOCKET_IO = """async ([serverUrl, ioUrl, transport]) => {
    if (!window.probeIo) {
        await new Promise((loaded, failed) => {
            const tag = document.createElement("script");
            tag.src = ioUrl; tag.onload = loaded; tag.onerror = failed;
            document.head.appendChild(tag);
        });
        window.probeIo = window.io;
    }
    return await new Promise(resolve => {
        const socket = window.probeIo(serverUrl, { transports: [transport], reconnection: false, timeout: 10000 });
        socket.on("connect", () => { resolve("connected:" + socket.io.engine.transport.name); socket.disconnect(); });
        socket.on("connect_error", error => { resolve("refused:" + error.message); socket.disconnect(); });
    });
}"""
# engineio's handshake by hand: a long-polling GET with fetch and a WebSocket, as any script could
PROBE_RAW = """async serverUrl => {
    const query = "/socket.io/?EIO=4&transport=";
    const polling = await fetch(serverUrl + query + "polling").then(
        async answer => "answered:" + answer.status + ":" + (await answer.text()).slice(0, 1),
        () => "blocked");
    const websocket = await new Promise(resolve => {
        const socket = new WebSocket(serverUrl.replace(/^http/, "ws") + query + "websocket");
        socket.onmessage = event => { resolve("open:" + String(event.data).slice(0, 1)); socket.close(); };
        socket.onerror = () => resolve("refused");
    });
    return [polling, websocket];
}"""


@pytest.fixture()
def site_page(browser: Browser, stack: Stack, sites: Sites) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


def rasa_url(stack: Stack) -> str:
    return f"http://localhost:{stack.config.rasa_port}"


def probes(page: Page, stack: Stack) -> dict[str, object]:
    io_url = f"{stack.config.web_url}/vendor/socket.io.min.js"
    return {
        "polling": page.evaluate(PROBE_SOCKET_IO, [rasa_url(stack), io_url, "polling"]),
        "websocket": page.evaluate(PROBE_SOCKET_IO, [rasa_url(stack), io_url, "websocket"]),
        "raw": page.evaluate(PROBE_RAW, rasa_url(stack)),
    }


def test_a_page_on_a_listed_origin_holds_a_whole_conversation(site_page: Page, stack: Stack, sites: Sites) -> None:
    chat = Chat(site_page, stack)
    site_page.goto(f"{sites.allowed}/products?utm_source=partner-site")
    assert site_page.evaluate("location.origin") == sites.allowed
    chat.open()
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
    chat.click("Book a demo", "What would you like to solve?")
    chat.click("A specific problem", "What's your role")
    chat.click("I make the decision", "Is there a budget")
    chat.click("Yes, budget is set aside", "When would you like")
    chat.click("Within a month", "What's your name?")
    chat.type("Hana Novak", "business email")
    chat.type("hana.novak@globex.com", "Which company")
    chat.type("Globex Inc", "phone number")
    chat.click("Skip", "May we store these details")
    chat.click("Yes, that's fine", "calendar")
    # the widget's own socket went over WebSocket, cross-origin (the default transport)
    assert not chat.errors, chat.errors
    assert not chat.dialogs, chat.dialogs

    session_id = chat.session_id()
    deadline = time.monotonic() + 10
    while not (rows := lead_rows(stack, conversation_id=session_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [(row.stage, row.email) for row in rows] == [("SQL", "hana.novak@globex.com")]
    assert rows[0].source["page_url"] == f"{sites.allowed}/products?utm_source=partner-site"
    assert rows[0].source["utm_source"] == "partner-site"

    # both of socket.io's transports work from this origin, and so does engineio's handshake by hand
    assert probes(site_page, stack) == {
        "polling": "connected:polling",
        "websocket": "connected:websocket",
        "raw": ["answered:200:0", "open:0"],
    }


def test_a_page_on_an_unlisted_origin_cannot_open_the_socket(site_page: Page, stack: Stack, sites: Sites) -> None:
    chat = Chat(site_page, stack)
    rasa_log = stack.log_dir / "rasa.log"
    site_page.goto(f"{sites.unlisted}/products")
    assert site_page.evaluate("location.origin") == sites.unlisted
    chat.open()
    expect(site_page.locator(".status")).to_have_text("Can't reach the chat right now. Retrying…", timeout=20_000)
    site_page.wait_for_timeout(3000)  # a few of the widget's retries, WebSocket and polling
    expect(chat.bot_messages).to_have_count(0)
    assert chat.tracker_events() == []  # nothing reached Rasa

    result = probes(site_page, stack)
    assert str(result["polling"]).startswith("refused:"), result
    assert str(result["websocket"]).startswith("refused:"), result
    assert result["raw"] == ["blocked", "refused"], result
    assert f"{sites.unlisted} is not an accepted origin" in rasa_log.read_text()
