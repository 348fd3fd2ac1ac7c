"""What each conversation did, read from Rasa's SQL tracker store (table `events`) for `leads report`.

One pass over the events, streamed in the order Rasa wrote them (primary key). SQL does the filtering: only
the visitor's intents, the ask actions and the slots the report counts are read; the JSON of a slot is
picked apart by the database (SQLite's `->`/`->>`, PostgreSQL's `::json`), so the same code serves both.

Nothing a visitor typed is read: a user event gives only its intent, its time and whether it was a
quick-reply payload; slot values are read only for the categories of the questions, `requested_slot`,
`clarifying`, `consent`, `lead_stage` and `dialogue_variants`, never for the contact details.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Float, String, bindparam, text

# The intents of side questions (docs/design.md section 4, README "side questions"): a message with one
# of these while a question is open interrupted it.
SIDE_INTENTS = ("faq", "ask_pricing", "ask_why", "human_handoff", "request_content", "talk_to_sales")
CONTACT_SLOTS = ("person_name", "email", "company", "phone", "consent")
VARIANTS_SLOT = "dialogue_variants"
STREAM_ROWS = 20_000


@dataclass
class QuestionFacts:
    asked_at: float | None = None
    asks: int = 0
    answered_at: float | None = None
    clarified: bool = False
    interruptions: int = 0

    @property
    def saw(self) -> bool:
        return self.asked_at is not None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def re_asked(self) -> bool:
        """Asked more often than once, its one follow-up and once after each side question."""
        return self.asks > 1 + int(self.clarified) + self.interruptions


@dataclass
class Conversation:
    sender_id: str
    started: float
    ended: float
    user_messages: int = 0
    opened_with_payload: bool = False
    contact_started: bool = False
    consent: bool = False
    stage: str | None = None
    variants: dict[str, str] = field(default_factory=dict)
    questions: dict[str, QuestionFacts] = field(default_factory=dict)
    open_question: str | None = None

    @property
    def opened(self) -> bool:
        return self.user_messages > 0

    @property
    def first_message(self) -> bool:
        """The visitor said something themselves (the widget's automatic opener is a payload)."""
        return self.user_messages > (1 if self.opened_with_payload else 0)


def _dialect_sql(engine: Engine) -> tuple[str, str, str]:
    """SQL for a slot's name, a slot's value and a message's text starting with '/'.

    The value comes as SQL text where it is a string (a category, a slot name), as JSON text where it is
    a mapping (`dialogue_variants`), and `consent` as 1/0 (SQLite) or 'true'/'false' (PostgreSQL).
    """
    if engine.dialect.name == "postgresql":
        return (
            "(data::json ->> 'name')",
            "(data::json ->> 'value')",
            "(type_name = 'user' AND substr(data::json ->> 'text', 1, 1) = '/')",
        )
    return (
        "(data ->> '$.name')",
        "(data ->> '$.value')",
        "(type_name = 'user' AND substr(data ->> '$.text', 1, 1) = '/')",
    )


def conversation_spans(
    connection: Connection, since: float | None, until: float | None
) -> dict[str, tuple[float, float]]:
    """Each conversation's first and last event time, for the conversations that started in [since, until)."""
    having, params = [], {}
    if since is not None:
        having.append("min(timestamp) >= :since")
        params["since"] = since
    if until is not None:
        having.append("min(timestamp) < :until")
        params["until"] = until
    sql = "SELECT sender_id, min(timestamp), max(timestamp) FROM events GROUP BY sender_id"
    if having:
        sql += " HAVING " + " AND ".join(having)
    return {row[0]: (float(row[1]), float(row[2])) for row in connection.execute(text(sql), params)}


def opened_with_payload(connection: Connection, payload_sql: str) -> list[str]:
    """Conversations whose first message was a payload (the widget's automatic opener, `/greet`): the text of
    one message per conversation is looked at, only for its first character."""
    sql = (
        f"SELECT sender_id FROM events WHERE {payload_sql} AND id IN "
        "(SELECT min(id) FROM events WHERE type_name = 'user' GROUP BY sender_id)"
    )
    return [row[0] for row in connection.execute(text(sql))]


def read_conversations(
    engine: Engine, questions: list[str], since: float | None, until: float | None
) -> list[Conversation]:
    """Every conversation that started in [since, until), with what the report counts."""
    name_sql, value_sql, payload_sql = _dialect_sql(engine)
    slots = [*questions, "requested_slot", "clarifying", "consent", "lead_stage", VARIANTS_SLOT]
    asks = [f"action_ask_{question}" for question in questions]
    sql = (
        f"SELECT sender_id, type_name, timestamp, intent_name, action_name, "
        f"CASE WHEN type_name = 'slot' THEN {name_sql} END, "
        f"CASE WHEN type_name = 'slot' THEN {value_sql} END "
        "FROM events WHERE (type_name = 'user' "
        "OR (type_name = 'action' AND action_name IN :asks) "
        f"OR (type_name = 'slot' AND {name_sql} IN :slots))"
    )
    binds: list[Any] = [
        bindparam("asks", asks, expanding=True, type_=String()),
        bindparam("slots", slots, expanding=True, type_=String()),
    ]
    if since is not None:
        sql += " AND timestamp >= :since"
        binds.append(bindparam("since", since, type_=Float()))
    sql += " ORDER BY id"
    statement = text(sql).bindparams(*binds)
    with engine.connect() as connection:
        spans = conversation_spans(connection, since, until)
        conversations = {
            sender: Conversation(sender, first, last, questions={question: QuestionFacts() for question in questions})
            for sender, (first, last) in spans.items()
        }
        for sender in opened_with_payload(connection, payload_sql):
            if sender in conversations:
                conversations[sender].opened_with_payload = True
        _apply(conversations, _stream(connection, statement), set(questions))
    return list(conversations.values())


def _stream(connection: Connection, statement: Any) -> Iterator[tuple[Any, ...]]:
    """The rows through the driver's own cursor, in batches: SQLAlchemy's per-row work would double the time
    of a report over millions of events. The values are rendered by SQLAlchemy (quoted for the dialect) and
    the SQL has no `%`, so it runs as is; PostgreSQL streams it through a server-side (named) cursor."""
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    postgres = connection.dialect.name == "postgresql"
    cursor = raw.cursor("leads_report") if postgres else raw.cursor()  # type: ignore[call-arg]
    try:
        if postgres:
            cursor.itersize = STREAM_ROWS  # type: ignore[attr-defined]
        cursor.execute(sql)
        while batch := cursor.fetchmany(STREAM_ROWS):
            yield from batch
    finally:
        cursor.close()


def _apply(conversations: dict[str, Conversation], rows: Iterable[Any], questions: set[str]) -> None:
    side = set(SIDE_INTENTS)
    for sender, kind, timestamp, intent, action, slot, raw_value in rows:
        conversation = conversations.get(sender)
        if conversation is None:
            continue
        if kind == "user":
            conversation.user_messages += 1
            open_question = conversation.open_question
            if open_question is not None and intent in side:
                facts = conversation.questions[open_question]
                if not facts.answered:
                    facts.interruptions += 1
        elif kind == "action":
            facts = conversation.questions[action[len("action_ask_") :]]
            facts.asks += 1
            if facts.asked_at is None and not facts.answered:
                facts.asked_at = timestamp
        else:
            _slot(conversation, slot, raw_value, timestamp, questions)


def _slot(conversation: Conversation, slot: str, value: Any, timestamp: float, questions: set[str]) -> None:
    if slot in questions:
        facts = conversation.questions[slot]
        if value is not None and facts.answered_at is None:
            facts.answered_at = timestamp
    elif slot == "requested_slot":
        conversation.open_question = value if value in questions else None
        if value in questions:
            facts = conversation.questions[value]
            if facts.asked_at is None and not facts.answered:
                facts.asked_at = timestamp
        elif value in CONTACT_SLOTS:
            conversation.contact_started = True
    elif slot == "clarifying" and value in questions:
        conversation.questions[value].clarified = True
    elif slot == "consent":
        conversation.consent = value in (1, "true")  # SQLite gives JSON true as 1, PostgreSQL's ->> as 'true'
    elif slot == "lead_stage":
        conversation.stage = value if isinstance(value, str) else conversation.stage
    elif slot == VARIANTS_SLOT:
        mapping = _json(value)
        if isinstance(mapping, dict):
            conversation.variants = {str(key): str(name) for key, name in mapping.items() if isinstance(name, str)}


def _json(raw: Any) -> Any:
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
