"""Throw-away databases for tests: bench/postgres.py's, migrated unless told not to, and skipped without a server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy.exc import OperationalError

from bench.postgres import POSTGRES_ADMIN_URL, throwaway_database

__all__ = ["POSTGRES_ADMIN_URL", "temporary_postgres_database"]


@contextmanager
def temporary_postgres_database(
    prefix: str = "leads_test", migrate: bool = True, skip_if_missing: bool = True
) -> Iterator[str]:
    """A throw-away database on the PostgreSQL server at TEST_POSTGRES_URL, migrated unless `migrate` is false.

    Without a server the test is skipped, or fails when `skip_if_missing` is false.
    """
    with ExitStack() as database:
        try:
            url = database.enter_context(throwaway_database(prefix))
        except OperationalError as error:
            if not skip_if_missing:
                raise
            import pytest

            pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error.orig}")
        try:
            if migrate:
                from integrations.store.migrate import upgrade

                upgrade(url)
            yield url
        finally:
            if migrate:  # the project's code cached an engine for it
                from integrations.store.db import engine_for

                engine_for(url).dispose()
