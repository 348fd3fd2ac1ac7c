"""What the lead store adds to `leads report`: each lead's stage, source and hand-off times.

Read with plain SQL over the columns that exist: the claim and first-contact times and the bookings table
come with the booking and speed-to-lead work, and the report says "not recorded" while they are absent.
No contact detail is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, inspect, text

CLAIMED_COLUMNS = ("claimed_at",)
CONTACTED_COLUMNS = ("first_contact_at", "first_contacted_at", "contacted_at")
BOOKING_TABLES = ("bookings",)


@dataclass(frozen=True)
class LeadRow:
    conversation_id: str
    created_at: datetime
    stage: str
    page: str
    utm_source: str
    utm_campaign: str
    variants: dict[str, str]
    notified_at: datetime | None
    claimed_at: datetime | None
    contacted_at: datetime | None
    booked: bool | None  # None: bookings are not recorded in this store


@dataclass(frozen=True)
class LeadColumns:
    claimed: str | None
    contacted: str | None
    variants: bool
    bookings: tuple[str, str] | None  # (table, column naming the lead: lead_id or conversation_id)


def lead_columns(engine: Engine) -> LeadColumns:
    inspector = inspect(engine)
    columns = {column["name"] for column in inspector.get_columns("leads")}
    bookings = None
    tables = set(inspector.get_table_names())
    for table in BOOKING_TABLES:
        if table in tables:
            names = {column["name"] for column in inspector.get_columns(table)}
            key = next((name for name in ("lead_id", "conversation_id") if name in names), None)
            bookings = (table, key) if key else None
    return LeadColumns(
        claimed=next((name for name in CLAIMED_COLUMNS if name in columns), None),
        contacted=next((name for name in CONTACTED_COLUMNS if name in columns), None),
        variants="dialogue_variants" in columns,
        bookings=bookings,
    )


def read_leads(engine: Engine, since: datetime | None, until: datetime | None) -> tuple[list[LeadRow], LeadColumns]:
    found = lead_columns(engine)
    extra = [
        f"l.{found.claimed}" if found.claimed else "NULL",
        f"l.{found.contacted}" if found.contacted else "NULL",
        "l.dialogue_variants" if found.variants else "NULL",
    ]
    notified = (
        "(SELECT min(n.delivered_at) FROM notifications n WHERE n.lead_id = l.id AND n.kind = 'sql_lead' "
        "AND n.status = 'sent')"
    )
    booked = "NULL"
    if found.bookings:
        table, key = found.bookings
        target = "l.id" if key == "lead_id" else "l.conversation_id"
        booked = f"(SELECT count(*) FROM {table} b WHERE b.{key} = {target})"
    sql = (
        f"SELECT l.conversation_id, l.created_at, l.stage, l.source, {notified}, {', '.join(extra)}, {booked} "
        "FROM leads l"
    )
    where, params = [], {}
    if since is not None:
        where.append("l.created_at >= :since")
        params["since"] = since
    if until is not None:
        where.append("l.created_at < :until")
        params["until"] = until
    if where:
        sql += " WHERE " + " AND ".join(where)
    with engine.connect() as connection:
        rows = [_row(row) for row in _execute(connection, sql, params)]
    return rows, found


def _execute(connection: Connection, sql: str, params: dict[str, Any]):
    return connection.execution_options(stream_results=True, yield_per=20_000).execute(text(sql), params)


def _row(row: Any) -> LeadRow:
    conversation_id, created, stage, source, notified, claimed, contacted, variants, booked = row
    source = _json(source)
    source = source if isinstance(source, dict) else {}
    variants = _json(variants)
    return LeadRow(
        conversation_id=conversation_id,
        created_at=_time(created) or datetime.fromtimestamp(0, timezone.utc),
        stage=str(stage),
        page=page_of(source.get("page_url")),
        utm_source=str(source.get("utm_source") or "(none)")[:200],
        utm_campaign=str(source.get("utm_campaign") or "(none)")[:200],
        variants={str(k): str(v) for k, v in variants.items()} if isinstance(variants, dict) else {},
        notified_at=_time(notified),
        claimed_at=_time(claimed),
        contacted_at=_time(contacted),
        booked=None if booked is None else int(booked) > 0,
    )


def page_of(url: Any) -> str:
    """The page without its query and fragment (UTM parameters are their own columns)."""
    if not url:
        return "(unknown)"
    parts = urlsplit(str(url)[:2000])
    return (f"{parts.netloc}{parts.path}" or str(url))[:300]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _time(value: Any) -> datetime | None:
    """SQLite gives naive datetimes or text, PostgreSQL aware ones: all in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None
