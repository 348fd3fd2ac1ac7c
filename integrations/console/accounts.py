"""Rep console accounts: the `console:` block of each rep in reps.yml, passwords hashed with Argon2id.

    reps:
      - name: Priya Raman
        ...
        console:
          username: priya
          password_hash: $argon2id$v=19$m=65536,t=3,p=4$...   # from `leads rep-password priya`
        timezone: Europe/London
        hours: {mon: "09:00-17:30", tue: "09:00-17:30"}

The file is read again when it changes, like the routing rules, so adding a rep needs no restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from integrations.routing import Rep, load_policy

_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile
# verified when the username is unknown, so a wrong username takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("no such rep")


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    password_hash: str
    rep: Rep


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def accounts(reps_file: Path) -> dict[str, Account]:
    """Every rep with a console account, by username."""
    found: dict[str, Account] = {}
    for rep in load_policy(reps_file).reps:
        console = rep.console or {}
        username, password_hash = console.get("username"), console.get("password_hash")
        if isinstance(username, str) and isinstance(password_hash, str):
            found[username] = Account(username, rep.name, password_hash, rep)
    return found


def check_password(reps_file: Path, username: str, password: str) -> Account | None:
    """The account when the password is right, else None (in about the same time either way)."""
    account = accounts(reps_file).get(username)
    try:
        _HASHER.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return account
