"""The real widget in headless Chromium, served and carried by nginx in the production mode."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from integrations.runtime.production import ProductionStack
from tests.browser.conftest import Chat
from tests.support.leads import lead_rows


@pytest.fixture()
def chat(browser: Browser, production: ProductionStack) -> Iterator[Chat]:
    context = browser.new_context(base_url=production.config.public_url, viewport={"width": 1280, "height": 800})
    try:
        chat = Chat(context.new_page(), production.nodes[0])
        yield chat
        assert not chat.errors, f"errors in the page: {chat.errors}"
    finally:
        context.close()


def test_a_visitor_qualifies_through_nginx_and_the_lead_lands_in_postgresql(
    chat: Chat, production: ProductionStack
) -> None:
    chat.page.goto("/")
    chat.open()
    expect(chat.bot_messages.first).to_contain_text("I'm Ada", timeout=20_000)
    chat.click("Book a demo", "What would you like to solve?")
    chat.click("A specific problem", "What's your role")
    chat.click("I make the decision", "Is there a budget")
    chat.click("Yes, budget is set aside", "When would you like")
    chat.click("Within a month", "What's your name?")
    email = f"amara.{uuid.uuid4().hex[:6]}@okafor-freight.io"
    chat.type("Amara Okafor", "business email")
    chat.type(email, "Which company")
    chat.type("Okafor Freight", "phone number")
    chat.click("Skip", "May we store these details")
    chat.click("Yes, that's fine", "will contact you")
    [lead] = lead_rows(production, email=email)
    assert (lead.stage, lead.person_name, lead.company) == ("SQL", "Amara Okafor", "Okafor Freight")
    assert len(chat.tracker_events("user")) >= 10  # the whole conversation is in the shared tracker store
