"""Read a conversation's transcript from Rasa's SQL tracker store (table `events`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from integrations import settings

_QUERY = text(
    "SELECT type_name, timestamp, data FROM events "
    "WHERE sender_id = :sender_id AND type_name IN ('user', 'bot') ORDER BY id"
)


class TranscriptUnavailableError(Exception):
    """The tracker store cannot be read (missing file, no events table, database down)."""


@dataclass(frozen=True)
class Line:
    speaker: str  # "visitor", "bot" or "rep" (a rep who took the conversation over in the console)
    text: str
    at: datetime | None
    buttons: tuple[str, ...] = ()
    rep: str | None = None  # the rep's name, as the visitor saw it

    @property
    def label(self) -> str:
        """Who said it, as transcripts show it: "visitor", "bot" or "rep Priya Raman"."""
        return f"rep {self.rep}" if self.rep else self.speaker


def rep_name(data: dict) -> str | None:
    """The rep who said a `bot` event (integrations/console/rasa_api.py puts it in the metadata)."""
    metadata = data.get("metadata")
    name = metadata.get("takeover_rep_name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else None


def tracker_url() -> str:
    return settings.sqlite_absolute(settings.value("TRACKER_DB_URL"))


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def load_transcript(url: str, sender_id: str) -> list[Line]:
    """The visitor's and the bot's messages of one conversation, in the order they were said."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise TranscriptUnavailableError(f"no tracker store at {path}")  # do not create an empty file
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(_QUERY, {"sender_id": sender_id}).all()
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise TranscriptUnavailableError(f"cannot read the tracker store: {reason}") from error
    finally:
        engine.dispose()
    return _lines(rows)


def lines_from_rows(rows) -> list[Line]:
    """Transcript lines from `events` rows of (type_name, timestamp, data), in their order."""
    return _lines(rows)


def _lines(rows) -> list[Line]:
    lines: list[Line] = []
    buttons: dict[str, str] = {}  # payload -> title of the quick replies the bot last offered
    for type_name, timestamp, raw in rows:
        try:
            data = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        at = datetime.fromtimestamp(timestamp, timezone.utc) if isinstance(timestamp, (int, float)) else None
        message = data.get("text")
        message = message if isinstance(message, str) else ""
        if type_name == "bot" and rep_name(data):
            lines.append(Line("rep", message, at, rep=rep_name(data)))
        elif type_name == "bot":
            offered = (data.get("data") or {}).get("buttons") or []
            offered = [button for button in offered if isinstance(button, dict)]
            buttons = {str(button.get("payload")): str(button.get("title", "")) for button in offered}
            lines.append(Line("bot", message, at, tuple(str(button.get("title", "")) for button in offered)))
        else:
            if message in buttons:  # a click on a quick reply arrives as its payload; show what was clicked
                message = f"{buttons[message]} [quick reply]"
            lines.append(Line("visitor", message, at))
    return lines
