"""Whole held-out conversations (tests/heldout/conversations) driven through the REST channel of the real stack.

Each visitor is adaptive: after every bot turn the tracker's `requested_slot`, `clarifying` and `active_loop`
say what the bot asks, and the visitor answers that. The driver counts questions asked again after a clear
answer, clarifications, and stops, hand-offs or ends the visitor did not ask for.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from integrations.runtime.stack import Stack
from tests.e2e.conftest import Visitor
from tests.support.heldout_conversations import (
    BANT,
    DEFAULT_IDLE,
    Answer,
    Conversation,
    Interjection,
    load_conversations,
)
from tests.support.heldout_report import Outcome, render, summarize

REPORT = Path("tests/reports/heldout_conversations.json")
MAX_TURNS = 25  # loop guard: visitor messages per conversation
MAX_IDLE = 3  # messages said while the bot asks nothing, before giving up
WORKERS = 4
FORMS = ("qualification_form", "contact_form")
STOP_ACTION, HANDOFF_ACTION, GOODBYE = "action_stop_conversation", "action_human_handoff", "utter_goodbye"

# Floors: just below what today's model measured when the suite was written (2026-12-01, before any tuning:
# stage 0.846 (77/91), BANT slots 0.917 (343/374), 15 questions asked twice, 1 accidental stop, 1 accidental
# hand-off, 0 other ends, contact details 0.976, 0 clarifications). Raised after the global-intent gate
# (stage 0.857, slots 0.928, 14 asked twice, 0 accidental stops or hand-offs), and after one follow-up when
# unsure (bot/actions/clarify.py: stage 0.879, slots 0.944, 0.17 clarifications per conversation). The floors
# leave two conversations of room: on a machine loaded by a second test run, clause parses (2 s timeout)
# were dropped and one more conversation ended in the wrong stage (0.857).
# Issue 14's targets: stage >= 0.97, BANT slots >= 0.97, 0 questions asked twice, 0 conversations ended or
# handed off by mistake, clarifications <= 0.3 per conversation. Its `make test` floors, now in force: stage
# >= 0.95, slots >= 0.95, and no accidental stop. Measured after the stated readings (roles, needs,
# self-corrections, billing periods; 2026-12-02): stage 0.978 (89/91), slots 0.992, 0 or 1 asked twice.
MIN_STAGE_ACCURACY = 0.95
MIN_SLOT_ACCURACY = 0.95
MIN_CONTACT_ACCURACY = 0.96
MAX_ASKED_TWICE = 3
MAX_ACCIDENTAL_STOPS = 0
MAX_ACCIDENTAL_HANDOFFS_AND_ENDS = 0
MAX_CLARIFICATIONS_PER_CONVERSATION = 0.3  # the target


@dataclass(frozen=True)
class Say:
    """One visitor message: its text, the questions it answers, and whether it asks to stop or for a person."""

    text: str
    fills: tuple[str, ...] = ()
    ends: str | None = None
    then_continue: bool = False


class AdaptiveVisitor:
    """Plays one held-out conversation: answers whatever the bot asks, and records what went wrong."""

    def __init__(self, stack: Stack, conversation: Conversation) -> None:
        self.conversation = conversation
        self.visitor = Visitor(stack, f"heldout-{conversation.id}-{time.monotonic_ns() % 10**8}")
        self.outcome = Outcome(conversation)
        self.offered: set[str] = set()  # payloads of the quick replies the bot showed last
        self.session = requests.Session()
        self.answered: set[str] = set()  # questions the visitor has clearly answered
        self.given: Counter = Counter()  # typed answers used per question
        self.allowance = Counter(conversation.expect.may_ask_twice)  # fair repeats left per question
        self.pending = list(conversation.interjections)
        # the conversation's own idle lines, then a plain demo request
        self.idle = list(dict.fromkeys([*conversation.idle, *DEFAULT_IDLE]))
        self.idle_turns = 0
        self.seen_events = 0
        self.was_in_form = False
        self.handed_off = False

    def play(self) -> Outcome:
        started = time.monotonic()
        opening = self.conversation
        message: Say | None = Say(opening.opener, opening.opener_fills, opening.opener_ends)
        while message and self.outcome.turns < MAX_TURNS:
            tracker = self.send(message.text)
            self.answered.update(message.fills)
            if self.observe(tracker, message):
                break
            message = self.next_message(tracker)
        else:
            if message:
                self.outcome.unfinished_reason = f"loop guard: {MAX_TURNS} visitor turns"
        self.outcome.slots = self.tracker()["slots"]
        if self.outcome.end == "unfinished" and self.outcome.slots.get("lead_stage"):
            self.outcome.end = "completed"
        self.outcome.seconds = time.monotonic() - started
        return self.outcome

    # --- talking -----------------------------------------------------------------------------------------
    def send(self, text: str) -> dict[str, Any]:
        self.outcome.turns += 1
        try:
            replies = self.visitor.say(text)
        except AssertionError:
            replies = []
            self.outcome.silent.append(text)
        self.offered = {button.get("payload") for reply in replies for button in reply.get("buttons") or []}
        tracker = self.tracker()
        slots = tracker["slots"]
        self.outcome.transcript.append(
            {
                "visitor": text,
                "bot": [reply.get("text", "") for reply in replies],
                "requested_slot": slots.get("requested_slot"),
                "clarifying": slots.get("clarifying"),
                **{question: slots.get(question) for question in BANT},
            }
        )
        return tracker

    def tracker(self) -> dict[str, Any]:
        config = self.visitor.stack.config
        response = self.session.get(
            f"{config.rasa_url}/conversations/{self.visitor.id}/tracker",
            params={"token": config.rasa_token, "include_events": "ALL"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    # --- what happened -----------------------------------------------------------------------------------
    def observe(self, tracker: dict[str, Any], message: Say) -> bool:
        """Record stops, hand-offs and ends caused by `message`; True when the visitor leaves."""
        text, ends = message.text, message.ends
        events = tracker.get("events") or []
        actions = {event.get("name") for event in events[self.seen_events :] if event.get("event") == "action"}
        self.seen_events = len(events)
        in_form = active_form(tracker) is not None
        left_form, self.was_in_form = self.was_in_form and not in_form, in_form
        if STOP_ACTION in actions:
            if ends == "stop":
                self.outcome.end = "stopped"
            else:
                self.outcome.accidental.append(("stopped", text))
            return True
        if ends == "stop":
            self.outcome.missed_ends.append(text)
            return True
        if HANDOFF_ACTION in actions:
            if ends == "handoff":
                self.handed_off = True
                if not message.then_continue:
                    self.outcome.end = "handed_off"
                    return True
            else:
                self.outcome.accidental.append(("handed off", text))
        elif ends == "handoff":
            self.outcome.missed_ends.append(text)
        finished = bool(tracker["slots"].get("lead_stage"))
        if left_form and not finished:
            self.outcome.accidental.append(("ended", text))
        elif GOODBYE in actions and not finished and not in_form:
            self.outcome.accidental.append(("ended", text))
            return True
        return False

    # --- what to say next --------------------------------------------------------------------------------
    def next_message(self, tracker: dict[str, Any]) -> Say | None:
        slots = tracker["slots"]
        question = slots.get("requested_slot") if active_form(tracker) else None
        if question is None and slots.get("lead_stage"):
            return self.interjection("end") or None
        if question is None:
            return self.idle_message()
        if question not in self.conversation.answers:
            self.outcome.unfinished_reason = f"asked an unknown question {question!r}"
            return None
        if slots.get("clarifying") == question:
            self.outcome.clarifications[question] += 1
            return Say(self.conversation.clarification_reply(question, self.offered), (question,))
        if question in self.answered:
            self.count_repeat(question)
        return self.interjection(question) or self.answer(question)

    def interjection(self, when: str) -> Say | None:
        item: Interjection | None = next((item for item in self.pending if item.when == when), None)
        if item is None:
            return None
        self.pending.remove(item)
        return Say(item.say, item.fills, item.ends, item.then_continue)

    def answer(self, question: str) -> Say:
        """The next scripted answer; once they run out, a BANT question gets the expected quick reply."""
        answers: tuple[Answer, ...] = self.conversation.answers[question]
        index = self.given[question]
        self.given[question] += 1
        if index < len(answers):
            answer = answers[index]
            return Say(answer.say, () if answer.unclear else answer.fills)
        expected = self.conversation.expect.slots.get(question)
        if question in BANT and expected:
            return Say(f"/{question}_{expected}", (question,))
        return Say(answers[-1].say, (question,))

    def count_repeat(self, question: str) -> None:
        """A question asked again after a clear answer; one repeat is fair when the file allows it."""
        if self.allowance[question]:
            self.allowance[question] -= 1
        else:
            self.outcome.asked_twice[question] += 1

    def idle_message(self) -> Say | None:
        self.idle_turns += 1
        if self.idle_turns > MAX_IDLE:
            self.outcome.unfinished_reason = "the bot stopped asking questions"
            return None
        return Say(self.idle.pop(0) if len(self.idle) > 1 else self.idle[0])


def active_form(tracker: dict[str, Any]) -> str | None:
    name = (tracker.get("active_loop") or {}).get("name")
    return name if name in FORMS else None


def play_all(stack: Stack, conversations: list[Conversation]) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda conversation: AdaptiveVisitor(stack, conversation).play(), conversations))


def test_heldout_conversations(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    conversations = load_conversations()
    started = time.monotonic()
    outcomes = play_all(stack, conversations)
    summary = summarize(outcomes, time.monotonic() - started)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    with capsys.disabled():
        print("\n" + render(summary))
    assert len(conversations) >= 80
    assert summary["stage_accuracy"] >= MIN_STAGE_ACCURACY
    assert summary["slot_accuracy"] >= MIN_SLOT_ACCURACY
    assert summary["asked_twice"] <= MAX_ASKED_TWICE
    assert summary["accidental_stops"] <= MAX_ACCIDENTAL_STOPS
    assert summary["accidental_handoffs"] + summary["accidental_ends"] <= MAX_ACCIDENTAL_HANDOFFS_AND_ENDS
    assert summary["missed_deliberate_ends"] == 0, "a visitor who asked to stop or for a person was not served"
    assert summary["contact_accuracy"] >= MIN_CONTACT_ACCURACY
    assert summary["clarifications_per_conversation"] <= MAX_CLARIFICATIONS_PER_CONVERSATION
