"""Marketer-edited YAML files, reloaded when they change on disk (no restart needed)."""

from __future__ import annotations

import os
from pathlib import Path

from integrations.yaml_files import load_yaml

__all__ = ["load_yaml", "qualification_file"]

QUALIFICATION_DIR = Path(__file__).resolve().parent.parent / "qualification"


def qualification_file(name: str) -> Path:
    """Path of a file in bot/qualification, overridable for tests via QUALIFICATION_DIR."""
    base = Path(os.environ.get("QUALIFICATION_DIR", QUALIFICATION_DIR))
    return base / name
