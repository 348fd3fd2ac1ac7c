"""Rasa's SQL tracker store table `events`, created for tests that read transcripts from it."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine


def make_events_table(url: str) -> Table:
    """Create the `events` table with the columns Rasa 3.6's SQLTrackerStore uses."""
    metadata = MetaData()
    events = Table(
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
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return events
