"""The held-out conversations of tests/heldout/conversations, read and checked (format in its README)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
CONVERSATIONS = ROOT / "tests" / "heldout" / "conversations"
BANT = ("need", "authority", "budget", "timeline")
CONTACT = ("person_name", "email", "company", "phone", "consent")
QUESTIONS = (*BANT, *CONTACT)
OUTCOME = ("lead_stage", "lead_temperature")
ENDS = ("completed", "stopped", "handed_off")
DELIBERATE = ("stop", "handoff")
DEFAULT_IDLE = ("I'd like to book a demo",)
CONVERSATION_KEYS = {"id", "note", "opener", "opener_fills", "opener_ends", "idle", "answers", "clarify"}
CONVERSATION_KEYS |= {"interjections", "expect"}


@dataclass(frozen=True)
class Answer:
    """One visitor message answering a question: its text, the slots it answers, and whether it is unclear."""

    say: str
    fills: tuple[str, ...]
    unclear: bool = False


@dataclass(frozen=True)
class Interjection:
    """A message said instead of an answer the first time the bot asks `when` (a question, or `end`)."""

    when: str
    say: str
    fills: tuple[str, ...] = ()
    ends: str | None = None
    then_continue: bool = False


@dataclass(frozen=True)
class Expectation:
    slots: dict[str, Any]  # BANT categories and lead_stage / lead_temperature
    contact: dict[str, Any]
    end: str = "completed"
    may_ask_twice: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    id: str
    kind: str  # the file it comes from
    note: str
    opener: str
    opener_fills: tuple[str, ...]
    opener_ends: str | None
    idle: tuple[str, ...]
    answers: dict[str, tuple[Answer, ...]]
    clarify: dict[str, str]
    interjections: tuple[Interjection, ...]
    expect: Expectation
    unclear: frozenset[str] = field(default_factory=frozenset)

    def clarification_reply(self, question: str, offered: set[str] | frozenset[str] = frozenset()) -> str:
        """What the visitor says to a clarifying follow-up: their words if given, else the expected quick
        reply when the follow-up offers it, else their own answer again (as a visitor would retype it)."""
        if question in self.clarify:
            return self.clarify[question]
        expected = self.expect.slots.get(question)
        payload = f"/{question}_{expected}"
        return payload if expected and payload in offered else self.answers[question][-1].say


class FormatError(ValueError):
    pass


def load_conversations(directory: Path = CONVERSATIONS) -> list[Conversation]:
    """Every conversation of every YAML file in `directory`, checked; raises FormatError naming the mistake."""
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in document.get("conversations") or []:
            where = f"{path.name}: {raw.get('id', '?')}"
            try:
                conversations.append(_conversation(raw, path.stem))
            except (KeyError, TypeError, ValueError) as error:
                raise FormatError(f"{where}: {error}") from error
    ids = [conversation.id for conversation in conversations]
    duplicates = sorted({name for name in ids if ids.count(name) > 1})
    if duplicates:
        raise FormatError(f"conversation ids used twice: {', '.join(duplicates)}")
    return conversations


def _conversation(raw: dict[str, Any], kind: str) -> Conversation:
    _only(raw, CONVERSATION_KEYS, "conversation")
    answers = {question: _answers(raw["answers"][question], question) for question in QUESTIONS}
    extra = set(raw["answers"]) - set(QUESTIONS)
    if extra:
        raise ValueError(f"answers to unknown questions: {sorted(extra)}")
    opener_ends = raw.get("opener_ends")
    _check_end(opener_ends)
    return Conversation(
        id=str(raw["id"]),
        kind=kind,
        note=str(raw.get("note", "")),
        opener=str(raw["opener"]),
        opener_fills=_questions(raw.get("opener_fills") or []),
        opener_ends=opener_ends,
        idle=tuple(str(text) for text in raw.get("idle") or DEFAULT_IDLE),
        answers=answers,
        clarify={str(key): str(value) for key, value in (raw.get("clarify") or {}).items()},
        interjections=tuple(_interjection(item) for item in raw.get("interjections") or []),
        expect=_expectation(raw["expect"]),
        unclear=frozenset(question for question, given in answers.items() if any(answer.unclear for answer in given)),
    )


def _only(raw: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"unknown {what} keys: {sorted(unknown)}")


def _questions(names: list[str]) -> tuple[str, ...]:
    unknown = [name for name in names if name not in QUESTIONS]
    if unknown:
        raise ValueError(f"not a question: {unknown}")
    return tuple(names)


def _check_end(ends: str | None) -> None:
    if ends is not None and ends not in DELIBERATE:
        raise ValueError(f"ends must be one of {DELIBERATE}, not {ends!r}")


def _answers(raw: Any, question: str) -> tuple[Answer, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ValueError(f"no answer for {question}")
    return tuple(_answer(item, question) for item in items)


def _answer(raw: Any, question: str) -> Answer:
    if isinstance(raw, str):
        return Answer(say=raw, fills=(question,))
    _only(raw, {"say", "fills", "unclear"}, "answer")
    fills = _questions(raw.get("fills") or [question])
    return Answer(say=str(raw["say"]), fills=fills, unclear=bool(raw.get("unclear")))


def _interjection(raw: dict[str, Any]) -> Interjection:
    _only(raw, {"when", "say", "fills", "ends", "then"}, "interjection")
    when = str(raw["when"])
    if when not in (*QUESTIONS, "end"):
        raise ValueError(f"interjection `when` must be a question or `end`, not {when!r}")
    _check_end(raw.get("ends"))
    then = raw.get("then", "leave")
    if then not in ("leave", "continue"):
        raise ValueError(f"interjection `then` must be leave or continue, not {then!r}")
    return Interjection(
        when=when,
        say=str(raw["say"]),
        fills=_questions(raw.get("fills") or []),
        ends=raw.get("ends"),
        then_continue=then == "continue",
    )


def _expectation(raw: dict[str, Any]) -> Expectation:
    unknown = set(raw) - {*BANT, *OUTCOME, "contact", "end", "may_ask_twice"}
    if unknown:
        raise ValueError(f"unknown expect keys: {sorted(unknown)}")
    end = raw.get("end", "completed")
    if end not in ENDS:
        raise ValueError(f"expect.end must be one of {ENDS}, not {end!r}")
    contact = dict(raw.get("contact") or {})
    if end == "completed" and (set(contact) != set(CONTACT) or not all(key in raw for key in (*BANT, *OUTCOME))):
        raise ValueError("a completed conversation expects all four BANT slots, the stage, temperature and contact")
    return Expectation(
        slots={key: raw[key] for key in (*BANT, *OUTCOME) if key in raw},
        contact=contact,
        end=end,
        may_ask_twice=_questions(raw.get("may_ask_twice") or []),
    )
