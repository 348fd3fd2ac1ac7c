"""Read lead rows straight from a running stack's lead database, for tests."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from integrations.store.models import Lead


class _Config(Protocol):
    database_url: str


class RunningStack(Protocol):
    """A Stack or a ProductionStack: anything whose config names the lead database."""

    @property
    def config(self) -> _Config: ...


def lead_rows(stack: RunningStack, **filters: Any) -> list[Lead]:
    """The leads whose columns equal `filters` (e.g. conversation_id=..., email=...)."""
    engine = create_engine(stack.config.database_url)
    try:
        with Session(engine) as session:
            query = select(Lead)
            for key, value in filters.items():
                query = query.where(getattr(Lead, key) == value)
            return list(session.scalars(query))
    finally:
        engine.dispose()
