"""Create `.env` from `.env.example` when missing, and give it a random RASA_TOKEN if it has none."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from dotenv import dotenv_values, set_key

ROOT = Path(__file__).resolve().parent.parent


def ensure_env(path: Path = ROOT / ".env") -> None:
    if not path.exists():
        shutil.copyfile(ROOT / ".env.example", path)
        print(f"created {path.name} from .env.example")
    if not dotenv_values(path).get("RASA_TOKEN"):
        set_key(str(path), "RASA_TOKEN", secrets.token_urlsafe(32), quote_mode="never")
        print(f"wrote a random RASA_TOKEN to {path.name}")


if __name__ == "__main__":
    ensure_env()
