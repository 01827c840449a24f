"""The company's working-day calendar (CAL-1): official PRC data plus overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.calendar.models import CalendarOverride, SharedTestClock
from poolcrm.calendar.rules import WorkdayCalendar, missing_official_years
from poolcrm.db import reference
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.policy.service import company_today

_CACHE_KEY = "poolcrm.calendar"
_applied_clock_version = 0  # the shared test clock's version this process runs on


def get_calendar(session: Session) -> WorkdayCalendar:
    """The calendar in force — reference data (`db.reference`): overrides are few and rarely change."""
    return reference(session, _CACHE_KEY, lambda: _load_calendar(session))


def _load_calendar(session: Session) -> WorkdayCalendar:
    rows = session.execute(
        select(CalendarOverride.day, CalendarOverride.workday).where(CalendarOverride.active.is_(True))
    )
    return WorkdayCalendar({row.day: row.workday for row in rows})


def set_override(
    session: Session, actor_id: int, day: date, workday: bool, note: str | None
) -> CalendarOverride:
    row = session.get(CalendarOverride, day)
    before = None if row is None or not row.active else {"workday": row.workday, "note": row.note}
    if row is None:
        row = CalendarOverride(
            day=day, workday=workday, note=note, created_by=actor_id, created_at=clock.now()
        )
        session.add(row)
    else:
        row.workday, row.note, row.created_by, row.created_at = workday, note, actor_id, clock.now()
        row.active = True
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="calendar.override",
        object_type="calendar",
        object_id=day.isoformat(),
        before=before,
        after={"workday": workday, "note": note},
        rule="CAL-1",
    )
    return row


def remove_override(session: Session, actor_id: int, day: date) -> None:
    """CAL-1a: withdraw an override; the day follows the official calendar again. The audit entry
    keeps the override as it was (before); the row stays, switched off."""
    row = session.get(CalendarOverride, day)
    if row is None or not row.active:
        raise NotFound("该日期没有调整记录")
    before = {"workday": row.workday, "note": row.note}
    row.active = False
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="calendar.override.remove",
        object_type="calendar",
        object_id=day.isoformat(),
        before=before,
        after=None,
        rule="CAL-1a",
    )


def list_overrides(session: Session) -> list[CalendarOverride]:
    return list(
        session.scalars(
            select(CalendarOverride).where(CalendarOverride.active.is_(True)).order_by(CalendarOverride.day)
        )
    )


def workdays(session: Session, start: date, end: date) -> list[date]:
    if end < start:
        raise InvalidInput({"end": "结束日期不能早于开始日期"})
    if (end - start).days > 3660:
        raise InvalidInput({"end": "日期范围不能超过 10 年"})
    return get_calendar(session).workdays_in(start, end)


def calendar_warnings(session: Session) -> list[int]:
    """CAL-1: the years (this one and next) for which the official calendar has no data yet."""
    year = company_today(session).year
    return missing_official_years(year, year + 1)


def share_test_clock(session: Session) -> datetime:
    """CAL-2 test clock: store this process's clock (just moved or reset) for every other process
    of the database, under a new version; returns now."""
    global _applied_clock_version
    offset, frozen = clock.state()
    row = session.get(SharedTestClock, 1, with_for_update=True)
    if row is None:
        row = SharedTestClock(id=1, version=0)
        session.add(row)
    row.version += 1
    row.offset_us = None if offset is None else offset // timedelta(microseconds=1)
    row.frozen_at = frozen
    row.updated_at = datetime.now(UTC)
    session.flush()
    _applied_clock_version = row.version
    return clock.now()


def follow_test_clock(session: Session) -> None:
    """CAL-2 test clock: take up the shared clock when another process moved it since this one last
    did (before each request, only when the test clock is on). A clock set in this process alone
    (tests, the demo) stands until the shared one changes."""
    global _applied_clock_version
    row = session.get(SharedTestClock, 1)
    if row is None or row.version == _applied_clock_version:
        return
    offset = None if row.offset_us is None else timedelta(microseconds=row.offset_us)
    clock.set_state(offset, row.frozen_at)
    _applied_clock_version = row.version
