"""What one held-out conversation produced, how it compares with its expectation, and the suite's report."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.support.heldout_conversations import BANT, CONTACT, Conversation

MISTAKE_KINDS = (
    "wrong category",
    "wrong stage",
    "asked twice",
    "stopped by mistake",
    "handed off by mistake",
    "ended by mistake",
    "deliberate end missed",
    "wrong contact detail",
    "unfinished",
    "silent turn",
)


@dataclass
class Outcome:
    """What the driver saw in one conversation."""

    conversation: Conversation
    slots: dict[str, Any] = field(default_factory=dict)
    end: str = "unfinished"  # completed | stopped | handed_off | unfinished
    turns: int = 0
    asked_twice: Counter = field(default_factory=Counter)  # question -> times asked again after a clear answer
    clarifications: Counter = field(default_factory=Counter)
    accidental: list[tuple[str, str]] = field(default_factory=list)  # (stopped|handed off|ended, visitor text)
    missed_ends: list[str] = field(default_factory=list)  # deliberate stop/hand-off requests not honoured
    silent: list[str] = field(default_factory=list)  # visitor messages the bot answered with nothing
    unfinished_reason: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def mistakes(self) -> list[tuple[str, str]]:
        """(kind, one-line reason) for every way this conversation differs from what was expected."""
        expect = self.conversation.expect
        found: list[tuple[str, str]] = []
        for question in BANT:
            if question in expect.slots and self.slots.get(question) != expect.slots[question]:
                wanted = expect.slots[question]
                found.append(("wrong category", f"{question}: expected {wanted}, got {self.got(question)}"))
        if "lead_stage" in expect.slots and self.slots.get("lead_stage") != expect.slots["lead_stage"]:
            found.append(("wrong stage", f"stage: expected {expect.slots['lead_stage']}, got {self.got('lead_stage')}"))
        for question, times in sorted(self.asked_twice.items()):
            found.append(("asked twice", f"{question} asked again after it was answered ({times}x)"))
        kinds = {"stopped": "stopped by mistake", "handed off": "handed off by mistake", "ended": "ended by mistake"}
        for what, text in self.accidental:
            found.append((kinds[what], f"{what} on {text!r}"))
        for text in self.missed_ends:
            found.append(("deliberate end missed", f"no {expect.end.replace('_', ' ')} on {text!r}"))
        for question in CONTACT if expect.end == "completed" else ():
            if self.slots.get(question) != expect.contact.get(question):
                wanted, got = expect.contact.get(question), self.slots.get(question)
                found.append(("wrong contact detail", f"{question}: expected {wanted!r}, got {got!r}"))
        if self.end != expect.end and not self.accidental:
            reason = f" ({self.unfinished_reason})" if self.unfinished_reason else ""
            found.append(("unfinished", f"ended {self.end}, expected {expect.end}{reason}"))
        found += [("silent turn", f"the bot said nothing to {text!r}") for text in self.silent]
        return found

    def got(self, slot: str) -> str:
        return str(self.slots.get(slot))


@dataclass
class Tally:
    total: int = 0
    correct: int = 0
    confusion: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, expected: str, got: Any) -> None:
        self.total += 1
        self.correct += expected == got
        self.confusion[expected][str(got)] += 1

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0


def summarize(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    """The suite's figures, as written to tests/reports/heldout_conversations.json."""
    slots = {question: Tally() for question in BANT}
    stage, temperature, contact = Tally(), Tally(), Tally()
    for outcome in outcomes:
        expect = outcome.conversation.expect
        for question in BANT:
            if question in expect.slots:
                slots[question].add(expect.slots[question], outcome.slots.get(question))
        if "lead_stage" in expect.slots:
            stage.add(expect.slots["lead_stage"], outcome.slots.get("lead_stage"))
            temperature.add(expect.slots["lead_temperature"], outcome.slots.get("lead_temperature"))
        if expect.end == "completed":
            for question in CONTACT:
                contact.add(str(expect.contact.get(question)), str(outcome.slots.get(question)))
    bant_total = sum(tally.total for tally in slots.values())
    bant_correct = sum(tally.correct for tally in slots.values())
    failing = [outcome for outcome in outcomes if outcome.mistakes()]
    by_kind: dict[str, list[str]] = {kind: [] for kind in MISTAKE_KINDS}
    for outcome in failing:
        for kind, reason in outcome.mistakes():
            by_kind[kind].append(f"{outcome.conversation.id}: {reason}")
    return {
        "conversations": len(outcomes),
        "kinds": dict(Counter(outcome.conversation.kind for outcome in outcomes)),
        "seconds": round(seconds, 1),
        "turns": sum(outcome.turns for outcome in outcomes),
        "stage_accuracy": stage.accuracy,
        "stage_count": stage.total,
        "temperature_accuracy": temperature.accuracy,
        "slot_accuracy": bant_correct / bant_total if bant_total else 1.0,
        "slot_count": bant_total,
        "per_slot": {question: tally.accuracy for question, tally in slots.items()},
        "per_slot_counts": {question: [tally.correct, tally.total] for question, tally in slots.items()},
        "contact_accuracy": contact.accuracy,
        "asked_twice": sum(sum(outcome.asked_twice.values()) for outcome in outcomes),
        "asked_twice_by_question": dict(sum((outcome.asked_twice for outcome in outcomes), Counter())),
        "accidental_stops": _accidental(outcomes, "stopped"),
        "accidental_handoffs": _accidental(outcomes, "handed off"),
        "accidental_ends": _accidental(outcomes, "ended"),
        "missed_deliberate_ends": sum(len(outcome.missed_ends) for outcome in outcomes),
        "clarifications": sum(sum(outcome.clarifications.values()) for outcome in outcomes),
        "clarifications_per_conversation": _per_conversation(outcomes),
        "confusion": {
            **{question: _matrix(tally) for question, tally in slots.items()},
            "lead_stage": _matrix(stage),
        },
        "failing": {outcome.conversation.id: [reason for _, reason in outcome.mistakes()] for outcome in failing},
        "failing_by_kind": {kind: reasons for kind, reasons in by_kind.items() if reasons},
        "transcripts": {outcome.conversation.id: outcome.transcript for outcome in failing},
    }


def _accidental(outcomes: list[Outcome], what: str) -> int:
    return sum(1 for outcome in outcomes for kind, _ in outcome.accidental if kind == what)


def _per_conversation(outcomes: list[Outcome]) -> float:
    return sum(sum(outcome.clarifications.values()) for outcome in outcomes) / len(outcomes) if outcomes else 0.0


def _matrix(tally: Tally) -> dict[str, dict[str, int]]:
    return {expected: dict(row) for expected, row in sorted(tally.confusion.items())}


def render(summary: dict[str, Any]) -> str:
    """The report printed by the test."""
    lines = [
        "Held-out conversations (tests/heldout/conversations, never used for training)",
        f"  {summary['conversations']} conversations {summary['kinds']}, {summary['turns']} visitor turns,"
        f" {summary['seconds']} s",
        "",
        f"  stage accuracy        {summary['stage_accuracy']:6.1%}  (of {summary['stage_count']})",
        f"  temperature accuracy  {summary['temperature_accuracy']:6.1%}",
        f"  BANT slot accuracy    {summary['slot_accuracy']:6.1%}  (of {summary['slot_count']})",
    ]
    for question, (correct, total) in summary["per_slot_counts"].items():
        lines.append(f"    {question:<10}          {summary['per_slot'][question]:6.1%}  ({correct}/{total})")
    lines += [
        f"  contact details       {summary['contact_accuracy']:6.1%}",
        f"  asked twice           {summary['asked_twice']}  {summary['asked_twice_by_question']}",
        f"  stopped by mistake    {summary['accidental_stops']}",
        f"  handed off by mistake {summary['accidental_handoffs']}",
        f"  ended by mistake      {summary['accidental_ends']}",
        f"  deliberate ends missed {summary['missed_deliberate_ends']}",
        f"  clarifications        {summary['clarifications']}"
        f"  ({summary['clarifications_per_conversation']:.2f} per conversation)",
    ]
    for name, matrix in summary["confusion"].items():
        lines += ["", f"Confusion matrix: {name} (expected x got)", _table(matrix)]
    lines += ["", f"Failing conversations ({len(summary['failing'])}):"]
    lines += [f"  {name}: {'; '.join(reasons)}" for name, reasons in summary["failing"].items()]
    lines += ["", "Mistakes by kind:"]
    for kind, reasons in summary["failing_by_kind"].items():
        lines.append(f"  {kind} ({len(reasons)})")
        lines += [f"    {reason}" for reason in reasons]
    return "\n".join(lines)


def _table(matrix: dict[str, dict[str, int]]) -> str:
    labels = sorted(set(matrix) | {got for row in matrix.values() for got in row})
    width = max([len(label) for label in labels] + [8]) + 2
    lines = ["expected \\ got".ljust(width + 2) + "".join(label.rjust(width) for label in labels)]
    for expected, row in matrix.items():
        lines.append(expected.ljust(width + 2) + "".join(str(row.get(label, 0)).rjust(width) for label in labels))
    return "\n".join(lines)
