"""Files that hold secrets or personal data are readable by their owner only (0600, directories 0700).

`.env` and `var/endpoints.yml` hold tokens; the SQLite databases, the outbox log, the lead spool
and the logs hold visitors' messages and contact details. The default umask made them 0644, so
any local account could read them. Every process of the stack also runs with umask 077
(integrations/runtime/stack.py), which covers files created by code that is not ours (Rasa's tracker store).

Imports only the standard library.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing directory is made 0700 too."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty as 0600 if it is missing (its directory 0700), else make it 0600."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    path.chmod(FILE_MODE)
    return path


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path`, which is 0600 before any byte is written."""
    private_file(path)
    path.write_text(text)
    return path


def replace_private(path: Path, text: str) -> Path:
    """Replace `path` with `text` atomically (a 0600 temporary file, fsynced, then renamed over it).

    For rewriting the JSON-lines files (the lead spool, the outbox log on erasure): the new file is
    as private as the old one whatever the umask of the process that rewrites it.
    """
    temporary = private_file(path.with_name(path.name + ".tmp"))
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return path
