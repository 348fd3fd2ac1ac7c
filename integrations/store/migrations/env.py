"""Alembic environment: the database URL comes from the caller or DATABASE_URL."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from integrations.store.db import engine_for
from integrations.store.models import Base

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    return config.attributes.get("database_url") or os.environ["DATABASE_URL"]


def run_migrations() -> None:
    # The store's own engine: a new SQLite file leaves here private and in WAL mode, so processes that
    # open it together later never race to switch the journal.
    with engine_for(database_url()).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
