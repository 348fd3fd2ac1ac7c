"""Create `.env` from `.env.example` when missing, and give it random tokens and secrets where they are missing.

RASA_TOKEN, ACTION_SERVER_TOKEN, and TRANSCRIPT_LINK_SECRET (signs the transcript links reps receive).
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from dotenv import dotenv_values, set_key

ROOT = Path(__file__).resolve().parent.parent
SECRETS = ("RASA_TOKEN", "ACTION_SERVER_TOKEN", "TRANSCRIPT_LINK_SECRET")


def ensure_env(path: Path = ROOT / ".env") -> None:
    if not path.exists():
        shutil.copyfile(ROOT / ".env.example", path)
        print(f"created {path.name} from .env.example")
    values = dotenv_values(path)
    for name in SECRETS:
        if not values.get(name):
            set_key(str(path), name, secrets.token_urlsafe(32), quote_mode="never")
            print(f"wrote a random {name} to {path.name}")


if __name__ == "__main__":
    ensure_env()
