"""On a phone (360 x 740, touch) the open chat is the whole screen and its input stays above the keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from integrations.runtime.stack import ROOT, Stack
from tests.browser.conftest import Chat

IMAGES = ROOT / "docs" / "images"
WIDTH, HEIGHT = 360, 740
KEYBOARD_HEIGHT = 300  # what an on-screen keyboard takes from the visual viewport


@pytest.fixture()
def phone(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(
        base_url=stack.config.web_url,
        viewport={"width": WIDTH, "height": HEIGHT},
        is_mobile=True,
        has_touch=True,
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def box(locator) -> dict[str, float]:
    bounds = locator.bounding_box()
    assert bounds is not None, locator
    return bounds


def test_the_open_chat_fills_a_phone_screen_and_the_page_behind_is_hidden(phone: Page, stack: Stack) -> None:
    chat = Chat(phone, stack)
    phone.goto("/")
    expect(chat.launcher).to_be_visible()
    phone.evaluate("window.scrollTo(0, 200)")  # a visitor who scrolled down a little
    scrolled = phone.evaluate("window.scrollY")
    chat.launcher.tap()
    expect(chat.panel).to_be_visible()
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
    chat.turn(lambda: chat.reply_button("Book a demo").tap(), "What would you like to solve?")

    # the panel covers the whole viewport; the launcher is gone; the input is on screen
    panel = box(chat.panel)
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, WIDTH, HEIGHT), panel
    expect(chat.launcher).to_be_hidden()
    expect(phone.locator(".teaser")).to_be_hidden()
    field = box(chat.input)
    assert 0 <= field["y"] and field["y"] + field["height"] <= HEIGHT, field
    expect(chat.input).to_be_in_viewport()
    # nothing of the page shows through: the element at each corner and the centre is the widget
    for x, y in ((1, 1), (WIDTH - 2, 1), (1, HEIGHT - 2), (WIDTH - 2, HEIGHT - 2), (WIDTH // 2, HEIGHT // 2)):
        assert phone.evaluate(f"document.elementFromPoint({x}, {y}).id") == "leadbot-widget", (x, y)
    # the page behind does not scroll (scroll lock) and keeps its place
    assert phone.evaluate("getComputedStyle(document.body).overflow") == "hidden"
    phone.mouse.wheel(0, 600)
    phone.wait_for_timeout(200)
    assert phone.evaluate("window.scrollY") == scrolled
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH

    IMAGES.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(IMAGES / "widget-mobile.png"))

    # the on-screen keyboard takes the bottom of the visual viewport: the chat shrinks with it, the
    # input stays just above the keyboard (100dvh alone would leave it behind the keyboard)
    chat.input.tap()
    phone.evaluate(
        """height => {
            Object.defineProperty(window.visualViewport, "height", { configurable: true, get: () => height });
            window.visualViewport.dispatchEvent(new Event("resize"));
        }""",
        HEIGHT - KEYBOARD_HEIGHT,
    )
    above_keyboard = HEIGHT - KEYBOARD_HEIGHT
    expect(chat.panel).to_have_js_property("offsetHeight", above_keyboard)
    field = box(chat.input)
    assert field["y"] >= 0 and field["y"] + field["height"] <= above_keyboard, field
    assert box(phone.locator(".head"))["y"] == 0  # the title and the close button stay on screen too
    phone.evaluate(
        """() => {
            delete window.visualViewport.height;
            window.visualViewport.dispatchEvent(new Event("resize"));
        }"""
    )
    expect(chat.panel).to_have_js_property("offsetHeight", HEIGHT)

    # closed again: the launcher is back and the page scrolls as before
    phone.locator(".close").tap()
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_visible()
    assert phone.evaluate("getComputedStyle(document.body).overflow") != "hidden"
    assert phone.evaluate("window.scrollY") == scrolled
    assert not chat.errors, chat.errors


def test_wider_screens_keep_the_floating_panel(phone: Page, stack: Stack) -> None:
    chat = Chat(phone, stack)
    phone.set_viewport_size({"width": 481, "height": HEIGHT})
    phone.goto("/")
    chat.launcher.tap()
    expect(chat.panel).to_be_visible()
    panel = box(chat.panel)
    assert panel["width"] < 481 and panel["height"] < HEIGHT, panel
    expect(chat.launcher).to_be_visible()
    assert phone.evaluate("getComputedStyle(document.body).overflow") != "hidden"
    # turning the phone to 360 px makes it full screen; back at 481 px it floats again
    phone.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    expect(chat.launcher).to_be_hidden()
    assert box(chat.panel)["width"] == WIDTH
    phone.set_viewport_size({"width": 481, "height": HEIGHT})
    expect(chat.launcher).to_be_visible()
    assert phone.evaluate("getComputedStyle(document.body).overflow") != "hidden"
