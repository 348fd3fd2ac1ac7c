"""A Redis lock store whose every change to a conversation's lock is atomic.

Rasa 3.6's RedisLockStore reads a conversation's ticket lock, changes it in Python and writes it
back (rasa issue #9213). With two Rasa servers, two messages of one conversation can both read
the same lock, both write, and one ticket is lost: both messages are processed at once, or a
waiting message finds its lock deleted and fails with a LockError. This class keeps Rasa's ticket
lock (first come, first served; tickets expire after TICKET_LOCK_LIFETIME seconds, so a server
that dies holding one cannot block a conversation for ever) and runs each read-modify-write in a
Redis transaction (WATCH / MULTI / EXEC, retried when another server changed the lock meanwhile).

endpoints.yml:

    lock_store:
      type: integrations.rasa.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
      key_prefix: leadbot

Runs inside Rasa's environment: imports only rasa, redis and the standard library.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A lock nobody touches for this long is removed by Redis (its tickets expired long before).
KEY_EXPIRY_SECONDS = max(int(LOCK_LIFETIME) * 2, 120)
_SETTINGS = ("port", "db", "username", "password", "use_ssl", "key_prefix", "socket_timeout")


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's ticket lock in Redis, with atomic updates so several Rasa servers can share it."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **settings: Any) -> None:
        if endpoint_config is not None:
            settings = {key: value for key, value in endpoint_config.kwargs.items() if key in _SETTINGS} | settings
            settings.setdefault("host", endpoint_config.url or "localhost")
        super().__init__(**settings)

    def _change_atomically(
        self, conversation_id: str, change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]
    ) -> T:
        """Apply `change` to the stored lock in one Redis transaction.

        `change` gets the current lock (or None) and returns (lock to store or None to delete it,
        result). It runs again when another server changed the lock in the meantime.
        """
        key = self.key_prefix + conversation_id
        outcome: list[T] = []

        def attempt(pipe: Any) -> None:
            outcome.clear()
            raw = pipe.get(key)
            new_lock, result = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
            pipe.multi()
            if new_lock is not None:
                pipe.set(key, new_lock.dumps(), ex=KEY_EXPIRY_SECONDS)
            elif raw is not None:
                pipe.delete(key)
            outcome.append(result)

        self.red.transaction(attempt, key)
        return outcome[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Take the next ticket for the conversation, creating its lock if there is none."""

        def take_ticket(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change_atomically(conversation_id, take_ticket)
        except Exception as error:  # Rasa expects a LockError from here
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (those of a server that died while holding or waiting)."""

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change_atomically(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the lock stays for whoever waits."""

        def remove_ticket(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change_atomically(conversation_id, remove_ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the whole lock if nobody waits, in one step.

        Rasa does these as two steps, so a ticket issued in between by another server was
        deleted with the lock and its message failed.
        """

        def remove_ticket_and_idle_lock(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change_atomically(conversation_id, remove_ticket_and_idle_lock)
