"""Whole conversations through the REST channel, checked in the tracker, the database and the outbox."""

from __future__ import annotations

from tests.e2e.conftest import Visitor, lead_rows, outbox_entries

SOURCE = {
    "page_url": "https://acme.example/pricing?utm_source=newsletter&utm_campaign=q4",
    "referrer": "https://news.example/",
    "utm_source": "newsletter",
    "utm_campaign": "q4",
}


def contact_details(visitor: Visitor, name: str, email: str, company: str, phone: str = "skip", consent: str = "yes"):
    assert "name" in visitor.texts()
    visitor.say(name)
    assert "email" in visitor.texts()
    visitor.say(email)
    assert "company" in visitor.texts()
    visitor.say(company)
    assert "phone" in visitor.texts()
    visitor.say(phone)
    assert "store these details" in visitor.texts()
    return visitor.say(consent)


def test_sql_lead_by_typing_freely(visitor: Visitor, stack) -> None:
    visitor.say("hi there", metadata=SOURCE)
    visitor.converse(
        "I'd like to book a demo",
        "our SDRs waste hours on junk leads, we need automatic lead scoring from our CRM data",
        "I'm the VP of sales and the budget is mine",
        "we have $40k set aside for this",
        "asap, within the next two weeks",
    )
    replies = contact_details(visitor, "Maria López", "maria.lopez@globex.com", "Globex Inc.", "+1 415 555 2671")
    assert "from our sales team will contact you within 24 hours" in visitor.texts(replies)
    assert "calendar: https://cal.acme.example/" in visitor.texts(replies)
    slots = visitor.slots()
    assert (slots["need"], slots["authority"], slots["budget"], slots["timeline"]) == (
        "defined",
        "decision_maker",
        "allocated",
        "immediate",
    )
    assert (slots["budget_amount"], slots["budget_currency"]) == (40000.0, "USD")
    assert (slots["lead_score"], slots["lead_stage"], slots["lead_temperature"]) == (100.0, "SQL", "hot")
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert (lead.person_name, lead.email, lead.company, lead.phone) == (
        "Maria López",
        "maria.lopez@globex.com",
        "Globex Inc.",
        "+14155552671",
    )
    assert lead.stage == "SQL" and lead.score == 100 and lead.temperature == "hot"
    assert lead.budget_detail == "we have $40k set aside for this"
    assert lead.source["utm_campaign"] == "q4" and lead.source["page_url"] == SOURCE["page_url"]
    assert lead.consent and lead.consent_at is not None
    [notification] = outbox_entries(stack, visitor.id)
    assert notification["kind"] == "sql_lead" and notification["name"] == "Maria López"
    assert "Source page: https://acme.example/pricing" in notification["text"]


def test_mql_lead(visitor: Visitor, stack) -> None:
    visitor.converse(
        "can I talk to sales?",
        "we're looking into options for better pipeline reporting, nothing urgent",
        "I'd have to convince my manager, she makes the call",
        "we'd need to get budget approved first",
        "sometime in the next two or three months",
    )
    replies = contact_details(visitor, "Sam Lee", "sam@initech.io", "Initech")
    assert "free 14-day trial" in visitor.texts(replies)
    slots = visitor.slots()
    assert slots["authority"] == "influencer" and slots["budget"] == "planned" and slots["timeline"] == "quarter"
    assert slots["lead_stage"] == "MQL" and slots["lead_temperature"] == "warm"
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert lead.stage == "MQL" and lead.email == "sam@initech.io"
    assert outbox_entries(stack, visitor.id, expected=0, timeout=1.0) == []


def test_iql_lead(visitor: Visitor, stack) -> None:
    visitor.converse(
        "could you send me your guide to lead scoring?",
        "just curious, reading up on the topic",
        "I'm a student, writing my thesis",
        "no budget at all",
        "no timeline, just learning",
    )
    replies = contact_details(visitor, "Olu Adeyemi", "olu@university.edu", "University of Lagos")
    assert "guide to lead scoring" in visitor.texts(replies)
    slots = visitor.slots()
    assert (slots["lead_stage"], slots["lead_temperature"]) == ("IQL", "cold")
    assert lead_rows(stack, conversation_id=visitor.id)[0].stage == "IQL"


def test_quick_replies_all_the_way(visitor: Visitor, stack) -> None:
    replies = visitor.say("/greet")
    assert [button["title"] for button in replies[0]["buttons"]][:2] == ["Book a demo", "Pricing"]
    visitor.converse(
        "/request_demo", "/need_defined", "/authority_decision_maker", "/budget_planned", "/timeline_quarter"
    )
    contact_details(visitor, "Kim", "kim@hooli.com", "Hooli", "/skip", "/affirm")
    slots = visitor.slots()
    assert slots["need_detail"] == "A specific problem"
    assert slots["lead_score"] == 80.0 and slots["lead_stage"] == "SQL"


def test_phone_skipped(visitor: Visitor, stack) -> None:
    visitor.converse(
        "book a demo please", "/need_defined", "/authority_influencer", "/budget_allocated", "/timeline_immediate"
    )
    visitor.converse("Priya", "priya@acme-corp.com", "Acme Corp")
    replies = visitor.say("I'd rather not give my number")
    assert "stick to email" in visitor.texts(replies)
    visitor.say("yes")
    slots = visitor.slots()
    assert slots["phone"] is None and slots["phone_skipped"] is True
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert lead.phone is None and lead.email == "priya@acme-corp.com"


def test_invalid_email_and_phone_are_explained_and_asked_again(visitor: Visitor, stack) -> None:
    visitor.converse(
        "talk to sales", "/need_defined", "/authority_decision_maker", "/budget_allocated", "/timeline_quarter"
    )
    visitor.say("Lena")
    replies = visitor.say("lena at vandelay")
    assert "doesn't look like a valid email" in visitor.texts(replies)
    assert visitor.slots()["requested_slot"] == "email"
    replies = visitor.say("lena@vandelay")
    assert "doesn't look like a valid email" in visitor.texts(replies)
    visitor.converse("lena@vandelay.com", "Vandelay Industries")
    replies = visitor.say("12345")
    assert "couldn't read" in visitor.texts(replies)
    visitor.converse("+44 20 7946 0958", "yes")
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert (lead.email, lead.phone) == ("lena@vandelay.com", "+442079460958")


def test_name_containing_a_greeting_word_is_taken_as_the_name(visitor: Visitor, stack) -> None:
    visitor.converse("talk to sales", "/need_defined", "/authority_decision_maker", "/budget_allocated")
    visitor.say("/timeline_quarter")
    replies = visitor.say("Maria Hi")
    assert "email" in visitor.texts(replies)
    assert visitor.slots()["person_name"] == "Maria Hi"


def test_side_question_mid_form_resumes_the_same_question(visitor: Visitor, stack) -> None:
    visitor.converse("I want a demo", "/need_defined", "/authority_decision_maker")
    assert visitor.slots()["requested_slot"] == "budget"
    replies = visitor.say("how much does it cost?")
    assert "$49 per user per month" in visitor.texts(replies)
    assert "budget" in replies[-1]["text"].lower()
    replies = visitor.say("which CRMs do you integrate with?")
    assert "Salesforce" in visitor.texts(replies)
    replies = visitor.say("why do you need to know that?")
    assert "rough budget helps" in visitor.texts(replies)
    assert visitor.slots()["requested_slot"] == "budget"
    visitor.say("about 25k euros per year")
    slots = visitor.slots()
    assert (slots["budget"], slots["budget_amount"], slots["budget_currency"], slots["budget_period"]) == (
        "allocated",
        25000.0,
        "EUR",
        "year",
    )
    assert slots["requested_slot"] == "timeline"


def test_no_consent_stores_no_contact_details(visitor: Visitor, stack) -> None:
    visitor.converse(
        "book a demo", "/need_defined", "/authority_decision_maker", "/budget_allocated", "/timeline_immediate"
    )
    replies = contact_details(visitor, "Hans Meier", "hans@meier.de", "Meier AG", "skip", "no, I don't want that")
    assert "won't store your contact details" in visitor.texts(replies)
    slots = visitor.slots()
    assert slots["consent"] is False and slots["email"] is None
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert (lead.person_name, lead.email, lead.company, lead.phone) == (None, None, None, None)
    assert lead.stage == "SQL" and lead.consent is False


def test_why_do_you_need_my_email(visitor: Visitor, stack) -> None:
    visitor.converse("talk to sales", "/need_exploring", "/authority_influencer", "/budget_unknown", "/timeline_later")
    visitor.say("Ana")
    replies = visitor.say("why do you need my email?")
    assert "only use your email to follow up" in visitor.texts(replies)
    assert "email" in replies[-1]["text"]
    assert visitor.slots()["requested_slot"] == "email"


def test_talk_to_a_human_mid_form(visitor: Visitor, stack) -> None:
    visitor.converse("I want a demo", "/need_defined")
    replies = visitor.say("can I just talk to a real person?")
    assert "alerted our team" in visitor.texts(replies)
    assert visitor.slots()["requested_slot"] == "authority"
    [handoff] = outbox_entries(stack, visitor.id)
    assert handoff["kind"] == "handoff"
    assert "can I just talk to a real person?" in [line["text"] for line in handoff["transcript"]]


def test_stop_mid_form(visitor: Visitor, stack) -> None:
    visitor.converse("I want a demo", "/need_defined")
    replies = visitor.say("stop, I want to quit")
    assert "I've stopped" in visitor.texts(replies)
    tracker = visitor.tracker()
    assert not tracker["active_loop"] or tracker["active_loop"].get("name") is None
    assert lead_rows(stack, conversation_id=visitor.id) == []


def test_pricing_first_greets_answers_and_qualifies(visitor: Visitor) -> None:
    replies = visitor.say("what does it cost?")
    text = visitor.texts(replies)
    assert text.startswith("Hi, I'm Ada")
    assert "$49 per user per month" in text
    assert visitor.slots()["requested_slot"] == "need"


def test_early_answer_in_the_first_message_is_not_asked_again(visitor: Visitor) -> None:
    visitor.say("we need to automatically route hot inbound leads to the right account executive")
    slots = visitor.slots()
    assert slots["need"] == "defined"
    assert slots["requested_slot"] == "authority"


def test_several_answers_in_one_message(visitor: Visitor, stack) -> None:
    replies = visitor.say("I'm the CTO at Acme, we need this live next month with a 20k budget")
    assert "What would you like to solve?" in visitor.texts(replies)
    slots = visitor.slots()
    assert (slots["authority"], slots["timeline"], slots["budget"], slots["budget_amount"]) == (
        "decision_maker",
        "immediate",
        "allocated",
        20000.0,
    )
    assert slots["company"] == "Acme"
    visitor.say("we want to automate lead scoring for our SDR team")
    replies = contact_details_without_company(visitor, "Jo Park", "jo.park@acme-robotics.com")
    assert "from our sales team" in visitor.texts(replies)
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert (lead.company, lead.stage, lead.authority_detail) == ("Acme", "SQL", "I'm the CTO at Acme")


def contact_details_without_company(visitor: Visitor, name: str, email: str):
    visitor.say(name)
    visitor.say(email)
    assert "phone" in visitor.texts()
    visitor.say("skip")
    return visitor.say("yes")


def test_correction_mid_form_and_after_the_end(visitor: Visitor, stack) -> None:
    visitor.converse(
        "book a demo", "/need_defined", "/authority_decision_maker", "/budget_allocated", "/timeline_immediate"
    )
    visitor.say("Ines")
    replies = visitor.say("actually our budget is only planned, not approved yet")
    assert "updated your budget" in visitor.texts(replies)
    assert "email" in replies[-1]["text"]
    assert "valid email" not in visitor.texts(replies)
    assert visitor.slots()["budget"] == "planned"
    replies = contact_details_without_company_asked(visitor, "ines@oceanic.io", "Oceanic")
    assert visitor.slots()["lead_stage"] == "SQL"
    replies = visitor.say("sorry, timeline is more like 6 months")
    assert "updated your timeline" in visitor.texts(replies)
    slots = visitor.slots()
    assert (slots["timeline"], slots["lead_stage"], slots["lead_score"]) == ("later", "MQL", 70.0)
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert (lead.timeline, lead.stage, lead.timeline_detail) == (
        "later",
        "MQL",
        "sorry, timeline is more like 6 months",
    )


def contact_details_without_company_asked(visitor: Visitor, email: str, company: str):
    visitor.say(email)
    visitor.say(company)
    visitor.say("skip")
    return visitor.say("yes")
