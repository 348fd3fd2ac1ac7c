"""Booking in the widget: the browser's own time zone reaches the offer, a quick reply books the slot,
and the chat shows the confirmed time (the README's screenshots: docs/images/widget-booking-offer.png and
widget-booking.png)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from integrations.runtime.stack import ROOT, Stack
from tests.browser.conftest import Chat

IMAGES = ROOT / "docs" / "images"
ZONE = "Europe/Paris"  # not the stack's DEFAULT_TIMEZONE (UTC): only the browser can have sent it


def test_the_offer_is_in_the_browsers_zone_and_a_quick_reply_books_it(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(
        base_url=stack.config.web_url, viewport={"width": 1280, "height": 800}, timezone_id=ZONE
    )
    try:
        page = context.new_page()
        chat = Chat(page, stack)
        page.goto("/")
        chat.open()
        expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
        chat.click("Book a demo", "What would you like to solve?")
        chat.click("A specific problem", "What's your role")
        chat.click("I make the decision", "Is there a budget")
        chat.click("Yes, budget is set aside", "When would you like")
        chat.click("Within a month", "What's your name?")
        chat.type("Maria Lopez", "business email")
        chat.type("maria.lopez@globex.com", "Which company")
        chat.type("Globex Inc", "phone number")
        chat.click("Skip", "May we store these details")
        chat.click("Yes, that's fine", f"(times in {ZONE})")
        expect(chat.reply_button("Other times")).to_be_visible()
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "widget-booking-offer.png"))
        first = chat.page.locator(".replies button").first
        title = first.inner_text()
        confirmation = chat.turn(first.click, "is booked for")
        assert any(f"is booked for {title} ({ZONE} time)" in text for text in confirmation), confirmation
        page.screenshot(path=str(IMAGES / "widget-booking.png"))

        [first_message, *_] = chat.tracker_events()
        assert first_message["metadata"]["timezone"] == ZONE  # sent by the widget from the browser's Intl
        slots = {
            event["name"]: event["value"]
            for event in chat.tracker_events("slot")
            if event["name"].startswith("meeting")
        }
        start = datetime.fromisoformat(slots["meeting_start"])
        assert start.utcoffset() == start.astimezone(ZoneInfo(ZONE)).utcoffset()
        assert not chat.errors and not chat.dialogs
    finally:
        context.close()
