"""In-process schedule: every minute the minute-steps (SVC-4 breaches as they happen), and once a
day, shortly after midnight in the company's zone, the daily job (on PostgreSQL advisory locks make
sure only one node runs each)."""

from __future__ import annotations

import logging
import threading
import time

from poolcrm.db import Database
from poolcrm.errors import Conflict
from poolcrm.jobs.service import last_run_date, run_daily, run_minute_steps
from poolcrm.policy.service import company_today

log = logging.getLogger("poolcrm.jobs")


class Scheduler:
    def __init__(self, db: Database, interval_seconds: float = 60.0) -> None:
        self.db = db
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="poolcrm-scheduler", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> None:
        try:
            run_minute_steps(self.db)
        except Exception:  # a failed scan must not keep the daily job from running
            log.exception("minute steps failed")
        with self.db.transaction(write=False) as session:
            today = company_today(session)
            last = last_run_date(session)
        if last is None or last < today:
            # said in the log: a benchmark or an import started just then competes with this run
            log.info("daily job for %s starting (last run: %s)", today, last or "never")
            started = time.monotonic()
            try:
                run_daily(self.db, today)
            except Conflict:
                log.info("daily job running elsewhere")
                return
            log.info("daily job for %s done in %.1f s", today, time.monotonic() - started)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # the schedule must survive a failed run; the next tick retries
                log.exception("daily job failed")


def start_scheduler(db: Database) -> Scheduler:
    return Scheduler(db).start()
