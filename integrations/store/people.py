"""People: the leads of one email address linked together, and which contact details are unverified.

A person's contact details are those of their first conversation. A later conversation that gives the
same email keeps its own details on its own lead; the fields that differ from the person's are listed
in `Lead.unverified`, and the person is never changed by it.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from integrations.store.models import Lead, Person

COMPARED_FIELDS = ("person_name", "company", "phone")
_NOT_DIGITS = re.compile(r"\D")


def normalise_email(address: str) -> str:
    return address.strip().casefold()


def _comparable(name: str, value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    if name == "phone":
        return _NOT_DIGITS.sub("", str(value))
    return " ".join(str(value).split()).casefold()


def unverified_fields(person: Person, lead: Lead) -> list[str]:
    """The lead's contact fields that the person did not give before (different, or new)."""
    found = []
    for name in COMPARED_FIELDS:
        given = _comparable(name, getattr(lead, name))
        if given is not None and given != _comparable(name, getattr(person, name)):
            found.append(name)
    return found


def person_for(session: Session, email: str, now: datetime) -> Person:
    """The person with this email, created (race-free on SQLite and PostgreSQL) if new."""
    address = normalise_email(email)
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Person)
        .values(email=address, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["email"])
    )
    return session.scalars(select(Person).where(Person.email == address).with_for_update()).one()


def link(session: Session, lead: Lead, now: datetime) -> None:
    """Link a lead with an email to its person; the person's first lead sets the person's details."""
    previous = lead.person_id
    person = person_for(session, lead.email, now) if lead.email else None
    lead.person_id = person.id if person else None
    session.flush()
    if person is not None:
        first = session.scalar(select(func.min(Lead.id)).where(Lead.person_id == person.id))
        if first == lead.id:
            for name in COMPARED_FIELDS:
                setattr(person, name, getattr(lead, name))
            person.updated_at = now
            lead.unverified = []
        else:
            lead.unverified = unverified_fields(person, lead)
    else:
        lead.unverified = None
    if previous is not None and previous != lead.person_id:
        forget_if_unused(session, [previous])
    session.flush()


def forget_if_unused(session: Session, person_ids: list[int]) -> None:
    """Delete the people of `person_ids` that no lead belongs to any more."""
    if not person_ids:
        return
    used = select(Lead.person_id).where(Lead.person_id.is_not(None))
    session.execute(
        delete(Person)
        .where(Person.id.in_(person_ids), Person.id.not_in(used))
        .execution_options(synchronize_session=False)
    )


def history(session: Session, lead: Lead) -> list[Lead]:
    """The other leads of the lead's person (earlier and later conversations), oldest first."""
    if lead.person_id is None:
        return []
    query = select(Lead).where(Lead.person_id == lead.person_id, Lead.id != lead.id).order_by(Lead.id)
    return list(session.scalars(query))
