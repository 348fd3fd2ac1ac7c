"""Apply the lead store's migrations: `python -m integrations.store.migrate [DATABASE_URL]`."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["skip_logging_config"] = True
    return config


def upgrade(database_url: str) -> None:
    """Bring the database at `database_url` to the newest schema (creating a SQLite file if needed)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")


def main() -> None:
    from integrations.settings import Settings

    url = sys.argv[1] if len(sys.argv) > 1 else Settings.from_env().database_url
    upgrade(url)
    print(f"lead store is up to date: {url.split('@')[-1]}")


if __name__ == "__main__":
    main()
