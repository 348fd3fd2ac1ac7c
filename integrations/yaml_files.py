"""YAML files that people edit while the assistant runs, re-read only when they change on disk."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import yaml

_cache: dict[Path, tuple[float, Any]] = {}
_lock = threading.Lock()


def load_yaml(path: Path) -> Any:
    """Return the parsed file, re-reading it only when its modification time changed."""
    mtime = os.stat(path).st_mtime
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    with _lock:
        _cache[path] = (mtime, data)
    return data
