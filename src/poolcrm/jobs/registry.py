"""Daily steps registered by the domains (recycle, warnings, reminders, bin expiry, members…).

A step is `fn(session, as_of: date) -> dict[str, list]`; its lists are merged into the run's
result (e.g. {"recycled": [...], "warned": [...], "to_public": [...]}). Steps run in `order`;
steps sharing an `order` must not depend on each other: on PostgreSQL they run side by side
(JOB-1a)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.db import Database
from poolcrm.domains import domain_modules

StepFn = Callable[[Session, date], dict[str, list[Any]]]


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    fn: StepFn


_steps: dict[str, Step] = {}
MinuteFn = Callable[[Session], list[Any]]
_minute_steps: dict[str, MinuteFn] = {}
TaskFn = Callable[[Database], list[Any]]
_minute_tasks: dict[str, TaskFn] = {}


def daily_step(name: str, order: int = 100) -> Callable[[StepFn], StepFn]:
    def register(fn: StepFn) -> StepFn:
        _steps[name] = Step(name, order, fn)
        return fn

    return register


def minute_step(name: str) -> Callable[[MinuteFn], MinuteFn]:
    """NOTE-3/SVC-4: a step the in-app scheduler runs every minute (an SLA breach scan): `fn(session)`
    returns what it acted on. It must be cheap when there is nothing to do."""

    def register(fn: MinuteFn) -> MinuteFn:
        _minute_steps[name] = fn
        return fn

    return register


def minute_steps() -> dict[str, MinuteFn]:
    _load_domain_steps()
    return dict(sorted(_minute_steps.items()))


def minute_task(name: str) -> Callable[[TaskFn], TaskFn]:
    """GOV-3: like `minute_step`, for work that must not sit inside one transaction (a backup that
    takes minutes would hold SQLite's write lock): `fn(db)` opens its own short transactions."""

    def register(fn: TaskFn) -> TaskFn:
        _minute_tasks[name] = fn
        return fn

    return register


def minute_tasks() -> dict[str, TaskFn]:
    _load_domain_steps()
    return dict(sorted(_minute_tasks.items()))


def steps() -> list[Step]:
    _load_domain_steps()
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


def _load_domain_steps() -> None:
    domain_modules("jobs")
