"""Tables of the lead store: leads and their outbound notifications (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # contact details: only stored with consent
    person_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_is_freemail: Mapped[bool | None]
    company: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_text: Mapped[str | None] = mapped_column(Text)

    # BANT: category and the visitor's own words
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

    assigned_rep: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    follow_up_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
