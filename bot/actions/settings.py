"""Settings of the action server, read from the environment (and `.env` via python-dotenv)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    database_url: str
    outbox_log: Path
    default_phone_region: str
    transcript_url: str
    rasa_url: str
    rasa_token: str | None
    reps_file: Path
    lead_spool: Path

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        return cls(
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'leads.db'}"),
            outbox_log=Path(os.environ.get("OUTBOX_LOG", PROJECT_ROOT / "var" / "outbox.log")),
            default_phone_region=os.environ.get("DEFAULT_PHONE_REGION", "US"),
            transcript_url=os.environ.get(
                "TRANSCRIPT_URL",
                f"http://localhost:{os.environ.get('RASA_PORT', '5005')}/conversations/{{conversation_id}}/story",
            ),
            rasa_url=os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"),
            rasa_token=os.environ.get("RASA_TOKEN") or None,
            reps_file=Path(os.environ.get("REPS_FILE", PROJECT_ROOT / "bot" / "qualification" / "reps.yml")),
            lead_spool=Path(os.environ.get("LEAD_SPOOL", PROJECT_ROOT / "var" / "lead-spool.jsonl")),
        )
