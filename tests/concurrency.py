"""Run service calls at the same moment in threads, each in its own transaction (the concurrency
tests of pools and inbound): PostgreSQL row locks, SQLite serialised writers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.db import Database
from poolcrm.errors import AppError


def run_all(database: Database, fns: Sequence[Callable[[Session], Any]]) -> list[Any]:
    """Start every `fn(session)` together; each outcome is what it returned ("ok" for None) or the
    rule (else code) of the refusal it raised."""
    barrier = threading.Barrier(len(fns))
    outcomes: list[Any] = []
    lock = threading.Lock()

    def worker(fn: Callable[[Session], Any]) -> None:
        barrier.wait()
        try:
            with database.transaction() as s:
                result = fn(s)
            result = "ok" if result is None else result
        except AppError as exc:
            result = exc.rule or exc.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes
