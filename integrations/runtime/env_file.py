"""Create `.env` from `.env.example` when missing, and give it random tokens and secrets where they are missing.

RASA_TOKEN, ACTION_SERVER_TOKEN, and TRANSCRIPT_LINK_SECRET (signs the transcript links reps receive).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import dotenv_values, set_key

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("RASA_TOKEN", "ACTION_SERVER_TOKEN", "TRANSCRIPT_LINK_SECRET")


def ensure_env(path: Path = ROOT / ".env") -> None:
    if not path.exists():
        # 0600 from the start: the file gets the tokens below
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as env_file:
            env_file.write((ROOT / ".env.example").read_text())
        print(f"created {path.name} from .env.example")
    values = dotenv_values(path)
    for name in SECRETS:
        if not values.get(name):
            set_key(str(path), name, secrets.token_urlsafe(32), quote_mode="never")
            print(f"wrote a random {name} to {path.name}")
    path.chmod(0o600)  # also an .env from before, and whatever mode set_key's rewrite left


if __name__ == "__main__":
    ensure_env()
