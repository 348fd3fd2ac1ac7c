"""Free 30-minute slots of a rep: working hours in their time zone, bookings, and an ICS free/busy feed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from integrations.booking.freebusy import FreeBusyFeeds
from integrations.booking.hours import CalendarSettingsError, WorkingHours
from integrations.booking.slots import BookingPolicy, free_slots
from integrations.routing import Rep, RoutingPolicy
from tests.support.calendar_feed import calendar_feed, ics

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
DANA = Rep("Dana", "dana@x.io", timezone="Europe/Berlin")
NO_NOTICE = BookingPolicy(min_notice_minutes=0)


def local(slots: list[datetime], zone: ZoneInfo = BERLIN) -> list[str]:
    return [slot.astimezone(zone).strftime("%a %d %H:%M") for slot in slots]


def test_slots_are_half_hours_of_the_working_day_in_the_reps_zone() -> None:
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
    slots = free_slots(DANA, now=now, policy=NO_NOTICE, until=datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    assert local(slots)[:3] == ["Mon 02 09:00", "Mon 02 09:30", "Mon 02 10:00"]
    assert local(slots)[-1] == "Mon 02 16:30"
    assert len(slots) == 16
    assert all(slot.tzinfo == UTC and slot.minute in (0, 30) for slot in slots)


def test_notice_weekends_and_a_split_day() -> None:
    rep = Rep("Ana", "ana@x.io", timezone="America/New_York", working_hours={"fri": ["09:00-12:00", "13:30-15:00"]})
    now = datetime(2026, 3, 6, 15, 10, tzinfo=UTC)  # Friday 10:10 in New York
    slots = free_slots(rep, now=now, policy=BookingPolicy(min_notice_minutes=60), limit=8)
    assert local(slots, NEW_YORK) == [
        "Fri 06 11:30",
        "Fri 06 13:30",
        "Fri 06 14:00",
        "Fri 06 14:30",
        "Fri 13 09:00",  # no weekend, and the next Friday after the US change (8 March)
        "Fri 13 09:30",
        "Fri 13 10:00",
        "Fri 13 10:30",
    ]
    assert slots[4] == datetime(2026, 3, 13, 13, 0, tzinfo=UTC)  # EDT: UTC-4 now, was UTC-5
    assert slots[0] == datetime(2026, 3, 6, 16, 30, tzinfo=UTC)


def test_daylight_saving_week_keeps_local_hours_and_moves_utc() -> None:
    now = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)  # Thursday; Europe changes on Sunday 29 March
    slots = free_slots(DANA, now=now, policy=NO_NOTICE, until=datetime(2026, 3, 31, tzinfo=UTC))
    mornings = [slot for slot in slots if slot.astimezone(BERLIN).strftime("%H:%M") == "09:00"]
    assert local(mornings) == ["Fri 27 09:00", "Mon 30 09:00"]
    assert [m.astimezone(UTC).hour for m in mornings] == [8, 7]  # CET (UTC+1), then CEST (UTC+2)
    # a visitor in New York (already on summer time since 8 March) sees the gap between them shrink by an hour
    assert local(mornings, NEW_YORK) == ["Fri 27 04:00", "Mon 30 03:00"]
    assert len([s for s in slots if s.astimezone(BERLIN).day == 30]) == 16  # the day after still has 8 hours


def test_autumn_change_and_a_rep_working_across_the_repeated_hour() -> None:
    night = Rep("Noor", "noor@x.io", timezone="Europe/Berlin", working_hours={"sun": ["01:30-03:30"]})
    now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)  # Sunday 25 October 03:00 CEST becomes 02:00 CET
    slots = free_slots(night, now=now, policy=NO_NOTICE, until=datetime(2026, 10, 26, tzinfo=UTC))
    assert slots[0] == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 CEST
    assert slots[-1] == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00 CET: the wall-clock span is 3 real hours
    assert len(slots) == 6


def test_booked_starts_are_not_offered() -> None:
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    booked = [datetime(2026, 3, 2, 8, 0), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]  # naive = UTC (SQLite)
    slots = free_slots(DANA, now=now, policy=NO_NOTICE, booked=booked, limit=3)
    assert local(slots) == ["Mon 02 09:30", "Mon 02 10:30", "Mon 02 11:00"]


def test_bad_calendar_settings_are_named() -> None:
    with pytest.raises(CalendarSettingsError, match="Europe/Atlantis"):
        WorkingHours.parse("Europe/Atlantis", None)
    with pytest.raises(CalendarSettingsError, match="17:00-09:00"):
        WorkingHours.parse("UTC", {"mon": ["17:00-09:00"]})
    with pytest.raises(CalendarSettingsError, match="funday"):
        WorkingHours.parse("UTC", {"funday": ["09:00-10:00"]})


def test_booking_section_of_reps_yml_is_read_and_clamped() -> None:
    policy = RoutingPolicy.from_yaml(
        {
            "reps": [{"name": "Dana", "email": "Dana@x.io", "timezone": "Europe/Berlin", "freebusy_url": "http://f"}],
            "fallback": {"name": "Team", "email": "team@x.io"},
            "booking": {"offer": 12, "min_notice_minutes": 30},
        }
    )
    assert BookingPolicy.from_mapping(policy.booking) == BookingPolicy(min_notice_minutes=30, offer=6)
    assert policy.rep_by_email("dana@X.io").timezone == "Europe/Berlin"


FEED = ics(
    # every Monday 10:00-11:30 Berlin time (a weekly meeting), from before the summer-time change
    """BEGIN:VEVENT
    UID:weekly@x
    DTSTAMP:20260101T000000Z
    DTSTART;TZID=Europe/Berlin:20260223T100000
    DTEND;TZID=Europe/Berlin:20260223T113000
    RRULE:FREQ=WEEKLY;BYDAY=MO
    EXDATE;TZID=Europe/Berlin:20260309T100000
    SUMMARY:Team meeting
    END:VEVENT""",
    # all of Tuesday 3 March (an off-site)
    """BEGIN:VEVENT
    UID:offsite@x
    DTSTAMP:20260101T000000Z
    DTSTART;VALUE=DATE:20260303
    DTEND;VALUE=DATE:20260304
    SUMMARY:Off-site
    END:VEVENT""",
    # marked free (transparent) and a cancelled one: neither blocks anything
    """BEGIN:VEVENT
    UID:free@x
    DTSTAMP:20260101T000000Z
    DTSTART:20260302T130000Z
    DTEND:20260302T140000Z
    TRANSP:TRANSPARENT
    END:VEVENT""",
    """BEGIN:VEVENT
    UID:cancelled@x
    DTSTAMP:20260101T000000Z
    DTSTART:20260302T140000Z
    DTEND:20260302T150000Z
    STATUS:CANCELLED
    END:VEVENT""",
    # a free/busy block: Monday 2 March 15:00-15:30 UTC
    """BEGIN:VFREEBUSY
    UID:fb@x
    DTSTAMP:20260101T000000Z
    FREEBUSY:20260302T150000Z/PT30M
    END:VFREEBUSY""",
)


def test_feed_busy_times_recurring_and_all_day_events_are_not_offered() -> None:
    with calendar_feed(FEED) as feed:
        rep = Rep("Dana", "dana@x.io", timezone="Europe/Berlin", freebusy_url=feed.url)
        feeds = FreeBusyFeeds()
        now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
        slots = free_slots(rep, now=now, policy=NO_NOTICE, feeds=feeds, until=datetime(2026, 3, 5, tzinfo=UTC))
        monday = [s for s in local(slots) if s.startswith("Mon 02")]
        assert "Mon 02 09:30" in monday and "Mon 02 11:30" in monday
        assert not {"Mon 02 10:00", "Mon 02 10:30", "Mon 02 11:00"} & set(monday)  # the weekly meeting
        assert "Mon 02 16:00" not in monday  # the free/busy block (15:00 UTC)
        assert {"Mon 02 14:00", "Mon 02 15:00"} <= set(monday)  # transparent and cancelled events
        assert not [s for s in local(slots) if s.startswith("Tue 03")]  # the all-day event
        assert local(slots)[len(monday)] == "Wed 04 09:00"

        # after the change to summer time the meeting is still at 10:00 Berlin time; 9 March is excluded
        month = BookingPolicy(min_notice_minutes=0, days_ahead=31)
        later = free_slots(
            rep, now=now + timedelta(minutes=5), after=datetime(2026, 3, 8, tzinfo=UTC), policy=month, feeds=feeds
        )
        local_later = set(local(later))
        assert "Mon 09 10:00" in local_later
        assert not {"Mon 30 10:00", "Mon 30 11:00"} & local_later
        assert {"Mon 30 09:30", "Mon 30 11:30"} <= local_later
        assert feed.requests == 1  # cached: 5 minutes later


def test_feed_cache_expires_on_the_injected_clock() -> None:
    with calendar_feed(FEED) as feed:
        rep = Rep("Dana", "dana@x.io", timezone="Europe/Berlin", freebusy_url=feed.url)
        feeds = FreeBusyFeeds(cache_seconds=600)
        now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
        for moment in (now, now + timedelta(minutes=9), now + timedelta(minutes=11)):
            free_slots(rep, now=moment, policy=NO_NOTICE, feeds=feeds, limit=1)
        assert feed.requests == 2


@pytest.mark.parametrize("problem", ["down", "error", "nonsense"])
def test_a_feed_that_fails_falls_back_to_working_hours_and_is_logged(
    problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    with calendar_feed(b"<html>not a calendar</html>" if problem == "nonsense" else FEED) as feed:
        feed.status = 503 if problem == "error" else 200
        url = feed.url
        if problem == "down":
            url = url.replace(url.split(":")[2].split("/")[0], "9")  # nothing listens on port 9
        rep = Rep("Dana", "dana@x.io", timezone="Europe/Berlin", freebusy_url=url)
        now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
        with caplog.at_level(logging.WARNING, logger="integrations.booking.freebusy"):
            slots = free_slots(rep, now=now, policy=NO_NOTICE, feeds=FreeBusyFeeds(), limit=4)
    assert local(slots) == ["Mon 02 09:00", "Mon 02 09:30", "Mon 02 10:00", "Mon 02 10:30"]
    assert any(
        "offering working hours" in record.getMessage() and url in record.getMessage() for record in caplog.records
    )
