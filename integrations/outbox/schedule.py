"""Periodic jobs of the dispatcher, run at most once per interval across every dispatcher process.

The time a job last ran is a row of `scheduled_jobs`; a dispatcher takes its turn with one
compare-and-set UPDATE, so two dispatchers never run the same job twice in one interval.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from integrations.store.db import transaction
from integrations.store.models import ScheduledJob

NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


def take_turn(database_url: str, name: str, interval: timedelta, now: datetime) -> bool:
    """True (and the job's time set to `now`) when the job last ran `interval` or more before `now`."""
    with transaction(database_url) as session:
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(ScheduledJob).values(name=name, last_run_at=NEVER).on_conflict_do_nothing())
        stored = session.scalar(select(ScheduledJob.last_run_at).where(ScheduledJob.name == name))
        last = stored.replace(tzinfo=timezone.utc) if stored is not None and stored.tzinfo is None else stored
        if last is not None and now - last < interval:
            return False
        result = session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == name, ScheduledJob.last_run_at == stored)
            .values(last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's CursorResult


def run_if_due(database_url: str, name: str, interval: timedelta, now: datetime, job: Callable[[], object]) -> bool:
    """Run `job` if it is this process's turn; True if it ran."""
    if not take_turn(database_url, name, interval, now):
        return False
    job()
    return True
