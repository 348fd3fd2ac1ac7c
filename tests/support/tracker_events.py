"""Rasa's SQL tracker store table `events`, created for tests that read transcripts from it."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, create_engine

from bench.report_data import events_table


def make_events_table(url: str) -> Table:
    """Create the `events` table with the columns Rasa 3.6's SQLTrackerStore uses."""
    metadata = MetaData()
    events = events_table(metadata)
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return events
