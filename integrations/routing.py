"""Give each hot lead to a rep: eligible reps by segment, round-robin with the turn kept in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import phonenumbers
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from integrations.store.models import RoutingCounter
from integrations.yaml_files import load_yaml

EU_REGIONS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB CH NO IS".split()
)
NA_REGIONS = frozenset({"US", "CA"})


@dataclass(frozen=True)
class Rep:
    name: str
    email: str
    slack: str | None = None
    booking_link: str | None = None
    active: bool = True
    segments: Mapping[str, list[str]] = field(default_factory=dict)
    # the rep console (integrations/console/accounts.py): sign-in
    console: Mapping[str, str] | None = None
    # calendar (docs/booking.md): the rep's IANA time zone, weekly working hours in it
    # ({"mon": ["09:00-12:00", "13:00-17:00"], ...}; unset: Monday to Friday 09:00-17:00) and an
    # optional free/busy feed (an ICS address) whose busy times are never offered
    timezone: str = "UTC"
    working_hours: Mapping[str, list[str]] | None = None
    freebusy_url: str | None = None

    def covers(self, lead: Mapping[str, str | None]) -> bool:
        for key, allowed in self.segments.items():
            if lead.get(key) not in allowed:
                return False
        return True

    def as_payload(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "slack": self.slack, "booking_link": self.booking_link}


def manager_slack_webhook(speed_to_lead: Mapping[str, Any]) -> str | None:
    """`speed_to_lead: {manager: {slack_webhook: ...}}` of reps.yml: the manager's own Slack incoming webhook."""
    manager = speed_to_lead.get("manager")
    url = manager.get("slack_webhook") if isinstance(manager, Mapping) else None
    return url.strip() or None if isinstance(url, str) else None


@dataclass(frozen=True)
class RoutingPolicy:
    reps: list[Rep]
    fallback: Rep
    assign_stages: frozenset[str]
    booking: Mapping[str, Any] = field(default_factory=dict)  # the `booking:` section (integrations/booking)
    speed_to_lead: Mapping[str, Any] = field(default_factory=dict)  # integrations/speed_to_lead.py

    @classmethod
    def from_yaml(cls, data: Mapping[str, Any]) -> RoutingPolicy:
        reps = [Rep(**{**rep, "segments": rep.get("segments") or {}}) for rep in data.get("reps") or []]
        return cls(
            reps,
            Rep(**data["fallback"]),
            frozenset(data.get("assign_stages") or ["SQL"]),
            dict(data.get("booking") or {}),
            dict(data.get("speed_to_lead") or {}),
        )

    def rep_by_email(self, email: str | None) -> Rep | None:
        for rep in [*self.reps, self.fallback]:
            if email and rep.email.casefold() == email.casefold():
                return rep
        return None

    def eligible(self, lead: Mapping[str, str | None]) -> list[Rep]:
        return [rep for rep in self.reps if rep.active and rep.covers(lead)]


def lead_segments(phone: str | None, email: str | None, company_size: str | None = None) -> dict[str, str | None]:
    """What routing knows about a lead: its region (from the phone number's country) and company size."""
    region = None
    if phone:
        try:
            country = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            country = None
        region = "EU" if country in EU_REGIONS else "NA" if country in NA_REGIONS else country
    return {"region": region, "company_size": company_size}


def assign_rep(session: Session, policy: RoutingPolicy, lead: Mapping[str, str | None]) -> Rep:
    """Next rep in turn among the eligible ones; the fallback when none is eligible.

    The counter row of this group of reps is incremented with one UPDATE, which the database
    serialises, so concurrent action servers never hand out the same turn twice.
    """
    eligible = policy.eligible(lead)
    if not eligible:
        return policy.fallback
    pool = "|".join(sorted(rep.name for rep in eligible))
    turn = _next_turn(session, pool)
    return sorted(eligible, key=lambda rep: rep.name)[turn % len(eligible)]


def _next_turn(session: Session, pool: str) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(RoutingCounter).values(pool=pool, turns=0).on_conflict_do_nothing())
    statement = (
        update(RoutingCounter)
        .where(RoutingCounter.pool == pool)
        .values(turns=RoutingCounter.turns + 1)
        .returning(RoutingCounter.turns)
    )
    return int(session.execute(statement).scalar_one()) - 1


def load_policy(path: Path) -> RoutingPolicy:
    return RoutingPolicy.from_yaml(load_yaml(path))
