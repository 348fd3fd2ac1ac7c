"""Hammer one conversation's lock from several processes; print what mutual exclusion let through.

Runs with Rasa's interpreter (it imports the lock stores):
    .venvs/rasa/bin/python tests/production/lock_stress.py CLASS --processes 4 --tasks 5 --rounds 20

Each of `processes` processes runs `tasks` concurrent asyncio tasks (as one Rasa server handles
several messages at once); each task, `rounds` times, takes the conversation's lock and, inside
it, increments a Redis counter by reading it, sleeping briefly and writing it back. With a
correct lock the counter ends at processes x tasks x rounds and no LockError is raised. Prints
one JSON line: {"expected", "counted", "lock_errors", "seconds"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
import uuid

import redis
from rasa.core.lock_store import LockError, RedisLockStore

from integrations.rasa.lock_store import AtomicRedisLockStore

STORES = {"rasa": RedisLockStore, "atomic": AtomicRedisLockStore}


def make_store(name: str, db: int) -> RedisLockStore:
    return STORES[name](host="127.0.0.1", port=6379, db=db, key_prefix="stress")


async def hammer(store: RedisLockStore, conversation: str, counter: str, rounds: int) -> int:
    """Increment the counter under the lock `rounds` times; return how many LockErrors were raised."""
    red = redis.Redis(host="127.0.0.1", port=6379, db=store.red.connection_pool.connection_kwargs["db"])
    errors = 0
    for _ in range(rounds):
        try:
            async with store.lock(conversation, wait_time_in_seconds=0.005):
                value = int(red.get(counter) or 0)
                await asyncio.sleep(0.002)
                red.set(counter, value + 1)
        except LockError:
            errors += 1
    return errors


def one_process(name: str, db: int, conversation: str, counter: str, tasks: int, rounds: int, queue) -> None:
    async def run_tasks() -> int:
        store = make_store(name, db)
        results = await asyncio.gather(*(hammer(store, conversation, counter, rounds) for _ in range(tasks)))
        return sum(results)

    queue.put(asyncio.run(run_tasks()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", choices=sorted(STORES))
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", type=int, default=14)
    args = parser.parse_args()
    conversation, counter = f"stress-{uuid.uuid4().hex}", f"counter-{uuid.uuid4().hex}"
    queue: multiprocessing.Queue = multiprocessing.Queue()
    started = time.monotonic()
    workers = [
        multiprocessing.Process(
            target=one_process, args=(args.store, args.db, conversation, counter, args.tasks, args.rounds, queue)
        )
        for _ in range(args.processes)
    ]
    for worker in workers:
        worker.start()
    lock_errors = sum(queue.get(timeout=300) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    red = redis.Redis(host="127.0.0.1", port=6379, db=args.db)
    counted = int(red.get(counter) or 0)
    red.delete(counter)
    print(
        json.dumps(
            {
                "store": args.store,
                "expected": args.processes * args.tasks * args.rounds,
                "counted": counted,
                "lock_errors": lock_errors,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
