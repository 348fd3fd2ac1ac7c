"""Bookings in the lead store: one booking per rep and slot, even when visitors race for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from integrations.booking.slots import BookingPolicy
from integrations.booking.store import (
    BookingNotFoundError,
    Calendar,
    SlotTakenError,
    Visitor,
    book,
    cancel,
    offer,
    reschedule,
)
from integrations.routing import Rep
from integrations.store.db import transaction
from integrations.store.models import Booking

UTC = timezone.utc
DANA = Rep("Dana", "Dana@x.io", timezone="Europe/Berlin")
CALENDAR = Calendar(BookingPolicy(min_notice_minutes=60, offer=4))
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin: first slot 09:00 (08:00 UTC)
NINE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def visitor(n: int = 1) -> Visitor:
    return Visitor(f"conv-{n}", name=f"Visitor {n}", email=f"v{n}@y.io", timezone="America/New_York")


def test_offer_book_and_the_second_visitor_gets_the_next_slots(database_url: str) -> None:
    assert offer(database_url, DANA, CALENDAR, now=NOW)[0] == NINE
    booking = book(database_url, DANA, NINE, CALENDAR, visitor(1), now=NOW)
    assert (booking.rep_email, booking.start_at, booking.end_at - booking.start_at) == (
        "dana@x.io",
        NINE,
        timedelta(minutes=30),
    )
    with pytest.raises(SlotTakenError) as taken:
        book(database_url, DANA, NINE, CALENDAR, visitor(2), now=NOW)
    assert taken.value.alternatives == [NINE + timedelta(minutes=30 * n) for n in range(1, 5)]
    assert NINE not in offer(database_url, DANA, CALENDAR, now=NOW)


def test_a_slot_that_is_not_free_is_refused(database_url: str) -> None:
    for start in (
        datetime(2026, 3, 2, 7, 0, tzinfo=UTC),  # inside the notice
        datetime(2026, 3, 2, 8, 10, tzinfo=UTC),  # not on a slot boundary
        datetime(2026, 3, 7, 10, 0, tzinfo=UTC),  # Saturday
    ):
        with pytest.raises(SlotTakenError):
            book(database_url, DANA, start, CALENDAR, visitor(), now=NOW)
    with transaction(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 0


def test_cancel_frees_the_slot_and_reschedule_moves_it(database_url: str) -> None:
    first = book(database_url, DANA, NINE, CALENDAR, visitor(1), now=NOW)
    cancelled = cancel(database_url, first.id, now=NOW)
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 1)
    with pytest.raises(BookingNotFoundError):
        cancel(database_url, first.id, now=NOW)
    second = book(database_url, DANA, NINE, CALENDAR, visitor(2), now=NOW)
    third = book(database_url, DANA, NINE + timedelta(hours=1), CALENDAR, visitor(3), now=NOW)
    with pytest.raises(SlotTakenError):
        reschedule(database_url, second.id, DANA, third.start_at, CALENDAR, now=NOW)
    moved = reschedule(database_url, second.id, DANA, NINE + timedelta(hours=2), CALENDAR, now=NOW)
    assert (moved.start_at, moved.sequence) == (NINE + timedelta(hours=2), 1)
    assert NINE in offer(database_url, DANA, CALENDAR, now=NOW)


def race(url: str, visitors: int) -> tuple[list[Booking], list[SlotTakenError]]:
    barrier = threading.Barrier(visitors)

    def one(n: int) -> Booking | SlotTakenError:
        barrier.wait(10)
        try:
            return book(url, DANA, NINE, CALENDAR, visitor(n), now=NOW)
        except SlotTakenError as error:
            return error

    with ThreadPoolExecutor(visitors) as pool:
        results = list(pool.map(one, range(visitors)))
    booked = [r for r in results if isinstance(r, Booking)]
    taken = [r for r in results if isinstance(r, SlotTakenError)]
    return booked, taken


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_concurrent_bookings_of_one_slot_give_one_booking(database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("database_url" if database == "sqlite" else "postgres_url")
    for _ in range(3):  # three rounds: a race that one round happens to avoid is still caught
        with transaction(url) as session:
            for row in session.scalars(select(Booking)):
                row.status = "cancelled"
        booked, taken = race(url, 8)
        assert len(booked) == 1 and len(taken) == 7
        assert all(error.alternatives[0] == NINE + timedelta(minutes=30) for error in taken)
    with transaction(url) as session:
        rows = session.scalars(select(Booking).where(Booking.status == "booked")).all()
    assert [(row.start_at.replace(tzinfo=UTC), row.rep_email) for row in rows] == [(NINE, "dana@x.io")]


def test_migration_0007_goes_down_and_up_on_both_databases(database_url: str, postgres_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from integrations.store.db import engine_for
    from integrations.store.migrate import alembic_config

    for url in (database_url, postgres_url):
        command.downgrade(alembic_config(url), "0006")
        assert "bookings" not in inspect(engine_for(url)).get_table_names()
        command.upgrade(alembic_config(url), "head")
        indexes = {index["name"]: index for index in inspect(engine_for(url)).get_indexes("bookings")}
        assert indexes["uq_bookings_rep_start_booked"]["unique"]
