"""Settings of the action server, read from the environment (and `.env` via python-dotenv)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

from integrations.handoff_limits import HandoffLimits
from integrations.leads.transcript_links import TranscriptLinks
from integrations.leads.transcripts import tracker_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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
    tracker_db_url: str
    transcript_link_secret: str | None
    transcript_link_days: float
    handoff_limits: HandoffLimits

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        return cls(
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'leads.db'}"),
            outbox_log=Path(os.environ.get("OUTBOX_LOG", PROJECT_ROOT / "var" / "outbox.log")),
            default_phone_region=os.environ.get("DEFAULT_PHONE_REGION", "US"),
            transcript_url=os.environ.get(
                "TRANSCRIPT_URL", f"http://localhost:{os.environ.get('WEB_PORT', '8080')}/transcripts/{{token}}"
            ),
            rasa_url=os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"),
            rasa_token=os.environ.get("RASA_TOKEN") or None,
            reps_file=Path(os.environ.get("REPS_FILE", PROJECT_ROOT / "bot" / "qualification" / "reps.yml")),
            lead_spool=Path(os.environ.get("LEAD_SPOOL", PROJECT_ROOT / "var" / "lead-spool.jsonl")),
            tracker_db_url=tracker_url(),
            transcript_link_secret=os.environ.get("TRANSCRIPT_LINK_SECRET") or None,
            transcript_link_days=_number("TRANSCRIPT_LINK_DAYS", 7),
            handoff_limits=HandoffLimits(
                conversation_minutes=_number("HANDOFF_CONVERSATION_MINUTES", 10),
                per_client_per_hour=int(_number("HANDOFF_PER_CLIENT_PER_HOUR", 3)),
                per_hour=int(_number("HANDOFF_PER_HOUR", 60)),
            ),
        )

    @property
    def transcript_links(self) -> TranscriptLinks:
        return TranscriptLinks(
            self.transcript_link_secret, self.transcript_url, timedelta(days=self.transcript_link_days)
        )


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be above 0, not {raw!r}")
    return value
