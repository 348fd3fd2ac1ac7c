"""Create `.env` from `.env.example` when missing, and give it random tokens and secrets where they are missing.

RASA_TOKEN, ACTION_SERVER_TOKEN, TRANSCRIPT_LINK_SECRET (signs the transcript links reps receive), and
WEBHOOK_SECRET (signs the JSON webhook, in Standard Webhooks' whsec_<base64> form; the webhook is sent only once
WEBHOOK_URL is set too). A WEBHOOK_SECRET already there is never replaced: its receiver holds the same value.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from dotenv import dotenv_values, set_key

from integrations.outbox.channels.webhook import new_secret

ROOT = Path(__file__).resolve().parents[2]


def _token() -> str:
    return secrets.token_urlsafe(32)


def _webhook_secret() -> str:
    return new_secret()


SECRETS: dict[str, Callable[[], str]] = {
    "RASA_TOKEN": _token,
    "ACTION_SERVER_TOKEN": _token,
    "TRANSCRIPT_LINK_SECRET": _token,
    "WEBHOOK_SECRET": _webhook_secret,
}


def ensure_env(path: Path = ROOT / ".env") -> None:
    if not path.exists():
        # 0600 from the start: the file gets the tokens below
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as env_file:
            env_file.write((ROOT / ".env.example").read_text())
        print(f"created {path.name} from .env.example")
    values = dotenv_values(path)
    for name, make in SECRETS.items():
        if not values.get(name):
            set_key(str(path), name, make(), quote_mode="never")
            print(f"wrote a random {name} to {path.name}")
    path.chmod(0o600)  # also an .env from before, and whatever mode set_key's rewrite left


if __name__ == "__main__":
    ensure_env()
