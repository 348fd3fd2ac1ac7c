"""Tables of the lead store: people, their leads (one per conversation), and outbound notifications (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Person(Base):
    """Everyone who gave an email with consent; the contact details of their first conversation.

    Each conversation's lead keeps what that visitor typed; a lead whose details differ from these
    is flagged unverified (Lead.unverified) and never changes them.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalised: stripped, case-folded
    person_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lead(Base):
    """One conversation's answers and contact details, exactly as that visitor gave them."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # contact details: only stored with consent
    person_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    email_is_freemail: Mapped[bool | None]
    company: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_text: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    # contact fields that differ from the person's earlier ones (e.g. ["phone"]): not verified
    unverified: Mapped[list[str] | None] = mapped_column(JSON)

    # every qualification question's answer, in the order the dialogue asks them:
    # [{"question", "label", "category", "text", "details"?}] (integrations/answers.py)
    answers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # BANT again as columns of their own, for queries: category and the visitor's own words
    need: Mapped[str | None] = mapped_column(String(32))
    need_detail: Mapped[str | None] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(32))
    authority_detail: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[str | None] = mapped_column(String(32))
    budget_detail: Mapped[str | None] = mapped_column(Text)
    budget_amount: Mapped[float | None] = mapped_column(Float)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    budget_period: Mapped[str | None] = mapped_column(String(16))
    timeline: Mapped[str | None] = mapped_column(String(32))
    timeline_detail: Mapped[str | None] = mapped_column(Text)

    # outcome
    score: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(8), index=True)
    temperature: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON)

    # where the visitor came from (page URL, referrer, UTM parameters)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # question -> variant name of the wording variants the visitor was asked (integrations/variants.py)
    dialogue_variants: Mapped[dict[str, str] | None] = mapped_column(JSON)

    assigned_rep: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    follow_up_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # speed-to-lead (integrations/speed_to_lead.py): a hot lead's first-touch deadline, when a rep
    # claimed it and first contacted the visitor, and how often it was escalated for want of a claim
    first_touch_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_contacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalations: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    """One message to deliver to one channel; written in the same transaction as its lead."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_notifications_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # "sql_lead", "handoff", ...
    channel: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RoutingCounter(Base):
    """How many leads a group of eligible reps has received: the round-robin turn."""

    __tablename__ = "routing_counters"

    pool: Mapped[str] = mapped_column(String(1000), primary_key=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)


class HandoffRequest(Base):
    """One "talk to a human" that reached the reps: the history the hand-off limits count."""

    __tablename__ = "handoff_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    client: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class TranscriptLink(Base):
    """A random reference that stands for a conversation in the transcript links reps receive."""

    __tablename__ = "transcript_links"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScheduledJob(Base):
    """When a periodic job (the retention purge) last ran, shared by every dispatcher process."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Takeover(Base):
    """A rep who took a live conversation over from the bot, and when they handed it back.

    At most one takeover of a conversation is open (`released_at` NULL) at a time: the partial
    unique index makes a second rep's take fail in the database, whichever process tries it.
    """

    __tablename__ = "takeovers"
    __table_args__ = (
        Index(
            "one_open_takeover_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    rep: Mapped[str] = mapped_column(String(100))  # the username in reps.yml
    rep_name: Mapped[str] = mapped_column(String(200))  # as the visitor saw it
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RepPresence(Base):
    """When a rep's console last asked the server for news: a rep seen recently counts as online."""

    __tablename__ = "rep_presence"

    rep: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Booking(Base):
    """A meeting a visitor booked with a rep in the chat (integrations/booking).

    At most one booked (not cancelled) meeting per rep and start time: a partial unique index the
    database enforces, so two visitors or two action servers choosing one slot give one booking.
    Times are stored in UTC.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "uq_bookings_rep_start_booked",
            "rep_email",
            "start_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_email: Mapped[str] = mapped_column(String(320))  # case-folded
    rep_name: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="booked", index=True)  # booked, cancelled
    # erasing or purging the lead (integrations/leads/selection.py) deletes its bookings with it
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    visitor_name: Mapped[str | None] = mapped_column(String(200))
    visitor_email: Mapped[str | None] = mapped_column(String(320))
    visitor_timezone: Mapped[str | None] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE: +1 per reschedule or cancel
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
