"""Record Rasa test stories (tests/stories/) by playing scripted conversations against a running bot.

Run it in the Rasa environment after a deliberate change of the dialogue, review the diff, commit:
    .venvs/rasa/bin/python scripts/record_test_stories.py --url http://127.0.0.1:5005 --tracker-db var/tracker.db
`rasa test` then fails whenever the dialogue policies stop predicting the recorded actions.
Free-text contact answers (names, emails) are recorded without their text, so the stories test
the dialogue flow and the understanding of the BANT answers, not how a name happens to be classified.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from pathlib import Path

import requests
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "stories" / "test_flows.yml"
CONTACT_SLOTS = {"person_name", "email", "company", "phone", "consent"}

CONVERSATIONS = {
    "SQL lead typed freely, with a pricing question mid-form": [
        "I'd like to book a demo",
        "our reps waste hours on bad leads, we need automatic lead scoring",
        "I'm the head of sales and I sign off on tools",
        "how much does it cost?",
        "we have $40k set aside for this",
        "asap, within the next two weeks",
        "Maria Lopez", "maria@globex.com", "Globex Inc.", "+1 415 555 2671", "yes",
    ],
    "MQL lead with quick replies and a skipped phone": [
        "/greet", "/talk_to_sales", "/need_exploring", "/authority_decision_maker", "/budget_planned",
        "/timeline_quarter", "Sam Lee", "sam@initech.io", "Initech", "/skip", "/affirm",
    ],
    "IQL lead asks why, then declines consent": [
        "what's your pricing?",
        "just curious what's out there",
        "I'm a student writing a thesis",
        "why do you ask?",
        "no money at all",
        "no idea honestly",
        "Tom", "tom@example.org", "Freelance", "/skip", "/deny",
    ],
    "Invalid email is asked again": [
        "/request_demo", "/need_defined", "/authority_influencer", "/budget_allocated", "/timeline_immediate",
        "Lena", "lena@vandelay", "lena@vandelay.com", "Vandelay", "/skip", "/affirm",
    ],
    "Talk to a human mid-form, then stop": [
        "/request_demo", "/need_defined", "can I talk to a real person?", "stop, I want to quit",
    ],
    "Several answers in one message, then a correction after the end": [
        "I'm the CTO at Acme, we need this live next month with a 20k budget",
        "we want to automate lead scoring", "Jo Park", "jo@acme.io", "/skip", "/affirm",
        "sorry, timeline is more like 6 months",
    ],
    "Browsing visitor asks FAQs": [
        "hello", "/just_browsing", "what does acme do exactly?", "do you integrate with hubspot?", "thanks", "bye",
    ],
}  # fmt: skip


def play(url: str, conversation_id: str, messages: list[str]) -> None:
    for message in messages:
        response = requests.post(
            f"{url}/webhooks/rest/webhook", json={"sender": conversation_id, "message": message}, timeout=60
        )
        response.raise_for_status()


def clean_steps(steps: list[dict]) -> list[dict]:
    """Drop session metadata and the text of free-text contact answers."""
    cleaned, asking = [], None
    for step in steps:
        if "slot_was_set" in step:
            slots = step["slot_was_set"]
            if any(isinstance(slot, dict) and "session_started_metadata" in slot for slot in slots):
                continue
            for slot in slots:
                if isinstance(slot, dict) and "requested_slot" in slot:
                    asking = slot["requested_slot"]
        if "user" in step and asking in CONTACT_SLOTS and not step["user"].startswith("/"):
            step = {key: value for key, value in step.items() if key != "user"}
        cleaned.append(step)
    return cleaned


async def export(tracker_db: Path, recorded: dict[str, str]) -> list[dict]:
    domain = Domain.load(str(ROOT / "bot" / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tracker_db))
    stories = []
    for name, conversation_id in recorded.items():
        tracker = await store.retrieve_full_tracker(conversation_id)
        story = yaml.safe_load(tracker.export_stories(YAMLStoryWriter(), e2e=True))["stories"][0]
        stories.append({"story": name, "steps": clean_steps(story["steps"])})
    return stories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--tracker-db", type=Path, default=ROOT / "var" / "tracker.db")
    args = parser.parse_args()
    recorded = {}
    for name, messages in CONVERSATIONS.items():
        conversation_id = f"story-{uuid.uuid4().hex[:10]}"
        play(args.url, conversation_id, messages)
        recorded[name] = conversation_id
    stories = asyncio.run(export(args.tracker_db, recorded))
    header = "# Recorded by scripts/record_test_stories.py; `make test-stories` replays them with `rasa test`.\n"
    body = yaml.safe_dump({"version": "3.1", "stories": stories}, sort_keys=False, allow_unicode=True, width=120)
    OUTPUT.write_text(header + body)
    print(f"wrote {len(stories)} stories to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
