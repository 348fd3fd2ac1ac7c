"""Generated conversations with known drop-off and known variant effects, for `leads report`'s tests and benchmark.

Each conversation is written as Rasa 3.6's SQLTrackerStore writes it (table `events`: sender_id, type_name,
timestamp, intent_name, action_name and the event's JSON in `data`, the same keys Rasa's `Event.as_dict`
gives), and the ones that reached a stage get a lead row and, when hot, a delivered notification in a
migrated lead store. The generator tallies what it wrote (`Truth`), so a test can compare the report with it.

Visitors who leave during the contact form typed their name and email into the tracker (as real ones do
before the consent question); the report must show none of it.

Imports only SQLAlchemy and the project's integrations (no pytest): the benchmark and the tests share it.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from statistics import median
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

from integrations.variants import Variant, assign

QUESTIONS = ("need", "authority", "budget", "timeline")
CATEGORIES = {
    "need": ("defined", "exploring", "none"),
    "authority": ("decision_maker", "influencer", "researcher"),
    "budget": ("allocated", "planned", "none", "unknown"),
    "timeline": ("immediate", "quarter", "later", "none"),
}
PAGES = ("https://acme.example/pricing", "https://acme.example/", "https://acme.example/blog/lead-scoring")
UTM = ((None, None), ("newsletter", "q4"), ("google", "brand"), ("linkedin", "abm"))
PII_NAME = "Zelda Quixote-Private"
PII_EMAIL = "zelda.private@secret-corp.example"
PII_PHONE = "+14155550199"
PII_WORDS = "my secret project codename is Bluebird"


@dataclass(frozen=True)
class Profile:
    """What visitors do: the chance of each step, per question, and how a variant changes the budget drop-off."""

    first_message: float = 0.8
    drop: dict[str, float] = field(
        default_factory=lambda: {"need": 0.1, "authority": 0.15, "budget": 0.2, "timeline": 0.05}
    )
    clarify: dict[str, float] = field(
        default_factory=lambda: {"need": 0.05, "authority": 0.2, "budget": 0.1, "timeline": 0.05}
    )
    side: dict[str, float] = field(
        default_factory=lambda: {"need": 0.1, "authority": 0.02, "budget": 0.15, "timeline": 0.02}
    )
    reask: dict[str, float] = field(
        default_factory=lambda: {"need": 0.03, "authority": 0.0, "budget": 0.05, "timeline": 0.0}
    )
    early: dict[str, float] = field(
        default_factory=lambda: {"need": 0.2, "authority": 0.0, "budget": 0.05, "timeline": 0.1}
    )
    # budget variants: name -> (share, drop-off chance replacing drop["budget"])
    budget_variants: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"direct": (50, 0.3), "soft": (50, 0.1)}
    )
    leave_contact: float = 0.2
    consent: float = 0.85


@dataclass
class Truth:
    conversations: int = 0
    opened: int = 0
    first_message: int = 0
    saw: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    answered_early: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    clarified: Counter[str] = field(default_factory=Counter)
    interrupted: Counter[str] = field(default_factory=Counter)
    re_asked: Counter[str] = field(default_factory=Counter)
    waits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    contact_started: int = 0
    consent: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    leads: int = 0
    stages_by_page: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    stages_by_week: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    notify_waits: list[float] = field(default_factory=list)
    variant_saw: Counter[str] = field(default_factory=Counter)
    variant_answered: Counter[str] = field(default_factory=Counter)
    variant_assigned: Counter[str] = field(default_factory=Counter)
    variant_sql: Counter[str] = field(default_factory=Counter)
    senders: list[str] = field(default_factory=list)
    started: list[float] = field(default_factory=list)

    def median_wait(self, question: str) -> float | None:
        return round(median(self.waits[question]), 1) if self.waits[question] else None


def budget_variants(profile: Profile) -> list[Variant]:
    return [Variant(name, share) for name, (share, _) in profile.budget_variants.items()]


def events_table(metadata: MetaData) -> Table:
    """Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent)."""
    return Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255), nullable=False, index=True),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )


class _Writer:
    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.rows: list[dict[str, Any]] = []

    def add(
        self, kind: str, at: float, data: dict[str, Any], intent: str | None = None, action: str | None = None
    ) -> None:
        body = {"event": kind, "timestamp": at, "metadata": {}, **data}
        self.rows.append(
            {
                "sender_id": self.sender,
                "type_name": kind,
                "timestamp": at,
                "intent_name": intent,
                "action_name": action,
                "data": json.dumps(body),
            }
        )

    def user(self, at: float, text: str, intent: str, metadata: dict[str, Any] | None = None) -> None:
        parse = {"intent": {"name": intent, "confidence": 0.97}, "entities": [], "text": text}
        data = {"text": text, "parse_data": parse, "input_channel": "socketio", "message_id": f"m{at}"}
        self.add("user", at, {**data, "metadata": metadata or {}}, intent=intent)

    def bot(self, at: float, text: str) -> None:
        self.add("bot", at, {"text": text, "data": {}})

    def action(self, at: float, name: str) -> None:
        self.add("action", at, {"name": name, "policy": "RulePolicy", "confidence": 1.0}, action=name)

    def slot(self, at: float, name: str, value: Any) -> None:
        self.add("slot", at, {"name": name, "value": value})


def _stage(answers: dict[str, str]) -> str:
    points = {
        "allocated": 30, "planned": 15, "decision_maker": 25, "influencer": 15, "defined": 25, "exploring": 10,
        "immediate": 20, "quarter": 15, "later": 5,
    }  # fmt: skip
    score = sum(points.get(answers.get(question, ""), 0) for question in QUESTIONS)
    if score >= 75 and answers.get("need") == "defined" and answers.get("timeline") in ("immediate", "quarter"):
        return "SQL"
    return "MQL" if score >= 40 else "IQL"


def generate(
    tracker_url: str,
    store_url: str | None,
    count: int,
    *,
    seed: int = 19,
    start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc),
    spread: timedelta = timedelta(days=21),
    profile: Profile | None = None,
    batch: int = 2000,
) -> Truth:
    """Write `count` conversations (and their leads) and return what was written."""
    profile = profile or Profile()
    rng = random.Random(seed)
    truth = Truth()
    variants = budget_variants(profile)
    metadata = MetaData()
    events = events_table(metadata)
    tracker = create_engine(tracker_url)
    metadata.create_all(tracker)
    store = create_engine(store_url) if store_url else None
    pending: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    try:
        for index in range(count):
            writer = _Writer(f"gen-{seed}-{index:07d}-{rng.getrandbits(32):08x}")
            lead = _conversation(writer, rng, profile, variants, truth, start + spread * (index / max(count, 1)))
            pending += writer.rows
            if lead:
                leads.append(lead)
            if len(pending) >= batch * 20:
                _flush(tracker, events, pending)
        _flush(tracker, events, pending)
        if store is not None:
            _store_leads(store, leads, truth)
    finally:
        tracker.dispose()
        if store is not None:
            store.dispose()
    return truth


def _flush(engine: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(table), rows)
        rows.clear()


def _conversation(
    w: _Writer, rng: random.Random, profile: Profile, variants: list[Variant], truth: Truth, begin: datetime
) -> dict[str, Any] | None:
    truth.conversations += 1
    truth.senders.append(w.sender)
    t = begin.timestamp()
    truth.started.append(t)
    page = rng.choice(PAGES)
    utm_source, utm_campaign = rng.choice(UTM)
    source: dict[str, Any] = {
        "page_url": page + (f"?utm_source={utm_source}&utm_campaign={utm_campaign}" if utm_source else "")
    }
    if utm_source:
        source |= {"utm_source": utm_source, "utm_campaign": utm_campaign}
    w.action(t, "action_session_start")
    w.add("session_started", t, {})
    w.action(t, "action_listen")
    w.user(t + 0.1, "/greet", "greet", source)
    truth.opened += 1
    w.action(t + 0.2, "action_greet_if_first")
    w.bot(t + 0.2, "Hi, I'm Ada")
    w.action(t + 0.3, "action_listen")
    if rng.random() >= profile.first_message:
        return None
    truth.first_message += 1
    t += rng.uniform(3, 30)
    answers: dict[str, str] = {}
    opener_fills = [q for q in QUESTIONS if rng.random() < profile.early[q]]
    w.user(t, "we need a demo " + PII_WORDS, "request_demo")
    for question in opener_fills:
        answers[question] = rng.choice(CATEGORIES[question])
        w.slot(t + 0.05, question, answers[question])
        truth.answered[question] += 1
        truth.answered_early[question] += 1
    w.add("active_loop", t + 0.1, {"name": "qualification_form"})
    variant = assign(w.sender, "budget", variants).name
    assigned = False
    for question in QUESTIONS:
        if question in answers:
            continue
        t += 1
        drop = profile.drop[question]
        if question == "budget":
            w.slot(t, "dialogue_variants", {"budget": variant})
            truth.variant_assigned[variant] += 1
            assigned = True
            drop = profile.budget_variants[variant][1]
            truth.variant_saw[variant] += 1
        w.slot(t, "requested_slot", question)
        w.action(t, f"action_ask_{question}")
        w.bot(t, f"ask {question}")
        w.action(t, "action_listen")
        truth.saw[question] += 1
        asked = t
        if rng.random() < profile.side[question]:
            t += rng.uniform(2, 20)
            w.user(t, "how much does it cost?", "ask_pricing")
            w.bot(t + 0.1, "pricing answer")
            w.action(t + 0.1, f"action_ask_{question}")
            truth.interrupted[question] += 1
        if rng.random() < profile.reask[question]:
            t += rng.uniform(2, 20)
            w.user(t, "hmm " + PII_WORDS, "out_of_scope")
            w.action(t + 0.1, f"action_ask_{question}")
            truth.re_asked[question] += 1
        if rng.random() < profile.clarify[question]:
            t += rng.uniform(2, 20)
            w.user(t, "well maybe", "dont_know")
            w.slot(t + 0.1, "clarifying", question)
            w.action(t + 0.1, f"action_ask_{question}")
            truth.clarified[question] += 1
        if rng.random() < drop:
            truth.dropped[question] += 1
            return None
        t += rng.uniform(2, 60)
        answers[question] = rng.choice(CATEGORIES[question])
        w.user(t, f"{question} answer " + PII_WORDS, f"{question}_{answers[question]}")
        w.slot(t + 0.1, question, answers[question])
        w.slot(t + 0.1, f"{question}_detail", f"{question} answer " + PII_WORDS)
        w.slot(t + 0.1, "clarifying", None)
        truth.answered[question] += 1
        truth.waits[question].append(t + 0.1 - asked)
        if question == "budget":
            truth.variant_answered[variant] += 1
    w.slot(t + 0.2, "requested_slot", None)
    w.add("active_loop", t + 0.2, {"name": None})
    t += 1
    w.action(t, "action_begin_contact")
    w.add("active_loop", t, {"name": "contact_form"})
    w.slot(t, "requested_slot", "person_name")
    truth.contact_started += 1
    t += rng.uniform(3, 20)
    w.user(t, PII_NAME, "inform")
    w.slot(t, "person_name", PII_NAME)
    w.slot(t, "requested_slot", "email")
    t += rng.uniform(3, 20)
    w.user(t, PII_EMAIL, "inform")
    w.slot(t, "email", PII_EMAIL)
    w.slot(t, "requested_slot", "phone")
    if rng.random() < profile.leave_contact:
        return None
    t += rng.uniform(3, 20)
    w.user(t, PII_PHONE, "inform")
    w.slot(t, "phone", PII_PHONE)
    w.slot(t, "requested_slot", "consent")
    t += rng.uniform(1, 10)
    consent = rng.random() < profile.consent
    w.user(t, "/affirm" if consent else "/deny", "affirm" if consent else "deny")
    w.slot(t, "consent", consent)
    truth.consent += int(consent)
    w.slot(t + 0.1, "requested_slot", None)
    stage = _stage(answers)
    w.action(t + 0.2, "action_qualify_lead")
    w.slot(t + 0.2, "lead_stage", stage)
    truth.stages[stage] += 1
    if stage == "SQL" and assigned:
        truth.variant_sql[variant] += 1
    created = datetime.fromtimestamp(t + 0.2, timezone.utc)
    return {"conversation_id": w.sender, "created": created, "stage": stage, "source": source, "answers": answers,
            "consent": consent, "notify_after": rng.uniform(1, 30)}  # fmt: skip


def _store_leads(engine: Any, leads: list[dict[str, Any]], truth: Truth) -> None:
    from integrations.store.models import Lead, Notification

    lead_rows, notifications = [], []
    for number, lead in enumerate(leads, start=1):
        created = lead["created"]
        lead_rows.append(
            {
                "id": number,
                "conversation_id": lead["conversation_id"],
                "created_at": created,
                "updated_at": created,
                "consent": lead["consent"],
                "person_name": PII_NAME if lead["consent"] else None,
                "email": PII_EMAIL if lead["consent"] else None,
                "score": 0,
                "stage": lead["stage"],
                "temperature": {"SQL": "hot", "MQL": "warm", "IQL": "cold"}[lead["stage"]],
                "reasons": [],
                "source": lead["source"],
                "status": "new",
                **{question: lead["answers"].get(question) for question in QUESTIONS},
            }
        )
        truth.leads += 1
        page = lead["source"]["page_url"].split("?")[0].removeprefix("https://")
        truth.stages_by_page[page][lead["stage"]] += 1
        year, week, _ = created.isocalendar()
        truth.stages_by_week[f"{year}-W{week:02d}"][lead["stage"]] += 1
        if lead["stage"] == "SQL":
            delivered = created + timedelta(seconds=lead["notify_after"])
            truth.notify_waits.append((delivered - created).total_seconds())
            notifications.append(
                {
                    "lead_id": number,
                    "conversation_id": lead["conversation_id"],
                    "kind": "sql_lead",
                    "channel": "local",
                    "idempotency_key": f"sql_lead:local:{lead['conversation_id']}",
                    "payload": {},
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": created,
                    "created_at": created,
                    "delivered_at": delivered,
                }
            )
    with engine.begin() as connection:
        for start in range(0, len(lead_rows), 5000):
            connection.execute(insert(Lead), lead_rows[start : start + 5000])
        for start in range(0, len(notifications), 5000):
            connection.execute(insert(Notification), notifications[start : start + 5000])
