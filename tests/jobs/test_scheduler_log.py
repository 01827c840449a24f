"""Issue 22: the in-process scheduler says in the log when it starts a daily run (catching up a
missed day) and how long it took, so that a benchmark or an import started just then knows what it
competed with."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from poolcrm import clock
from poolcrm.db import Database
from poolcrm.jobs.scheduler import Scheduler


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    clock.set_now(datetime(2026, 11, 12, 2, 0, tzinfo=UTC), frozen=True)
    yield
    clock.reset()


def test_a_daily_run_is_logged_with_its_duration(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # caught here whatever another test in this process did to logging (a library's dictConfig
    # disables the loggers that exist; `logging.disable` silences levels everywhere)
    jobs_log = logging.getLogger("poolcrm.jobs")
    was_disabled, was_silenced = jobs_log.disabled, logging.root.manager.disable
    jobs_log.disabled = False
    logging.disable(logging.NOTSET)
    jobs_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="poolcrm.jobs"):
            Scheduler(database).tick()
            Scheduler(database).tick()  # done for today: nothing more to say
    finally:
        jobs_log.removeHandler(caplog.handler)
        jobs_log.disabled = was_disabled
        logging.disable(was_silenced)
    lines = list(dict.fromkeys(r.getMessage() for r in caplog.records if r.name == "poolcrm.jobs"))
    assert lines[0] == "daily job for 2026-11-12 starting (last run: never)"
    assert re.fullmatch(r"daily job for 2026-11-12 done in \d+\.\d s", lines[1])
    assert len(lines) == 2
