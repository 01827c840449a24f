"""Working-day arithmetic (CAL-1) behind POOL-6, POOL-16, POOL-17 and DSP-1: pure, no DB, no clock.

A day is a working day per the official PRC calendar (statutory holidays and 调休 make-up days from
the `chinese_calendar` package), with company overrides on top. Years the package has no data for
fall back to Monday–Friday (plus overrides) instead of failing.

Counting is done on a cumulative index, `workday_ordinal`: the number of working days from EPOCH up
to a date. Every count is then a difference of two ordinals, built lazily one year at a time, so a
daily job asking about a million anchors never walks day by day.
"""

from __future__ import annotations

import calendar as _stdcal
from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import accumulate
from types import MappingProxyType

from chinese_calendar import constants as _official

EPOCH = date(2000, 1, 1)
ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@lru_cache(maxsize=1)
def _official_data() -> tuple[Mapping[date, str], Mapping[date, str], tuple[int, int]]:
    """The one place that touches `chinese_calendar` (CAL-1).

    Its `is_workday` raises NotImplementedError outside the years it covers; reading its data
    directly, with the same notion of coverage (first to last year holding a holiday), cannot raise.
    """
    holidays: Mapping[date, str] = _official.holidays
    workdays: Mapping[date, str] = _official.workdays
    years = (min(holidays).year, max(holidays).year)
    return holidays, workdays, years


def official_year_range() -> tuple[int, int]:
    """CAL-1: the first and last year the official PRC calendar data covers."""
    return _official_data()[2]


def has_official_data(year: int) -> bool:
    """CAL-1: whether the official calendar covers `year` (otherwise Monday–Friday applies)."""
    first, last = official_year_range()
    return first <= year <= last


@lru_cache(maxsize=1)
def _holiday_names_zh() -> Mapping[str, str]:
    return MappingProxyType({h.value: h.chinese for h in _official.Holiday})


def official_day_note(d: date) -> tuple[str, str, str] | None:
    """CAL-1: what the official calendar says about `d` when it is special — ("holiday", 中文名,
    English name) for a statutory holiday, ("makeup", …) for a 调休 make-up working day — else None."""
    holidays, workdays, _ = _official_data()
    for kind, table in (("holiday", holidays), ("makeup", workdays)):
        name = table.get(d)
        if name is not None:
            return kind, _holiday_names_zh().get(name, name), name
    return None


def missing_official_years(start_year: int, end_year: int) -> list[int]:
    """CAL-1: the years in [start_year, end_year] without official data, for the admin's warning."""
    return [year for year in range(start_year, end_year + 1) if not has_official_data(year)]


def _days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days if year < 9999 else 365


def _weekday_count(year: int) -> int:
    """Monday–Friday days in `year`, without visiting them."""
    days, first_weekday = _days_in_year(year), date(year, 1, 1).weekday()
    full_weeks, rest = divmod(days, 7)
    return full_weeks * 5 + sum(1 for i in range(rest) if (first_weekday + i) % 7 < _SATURDAY)


@cache
def _default_year(year: int) -> bytes:
    """CAL-1 without overrides: one byte per day of `year` (1 = working day)."""
    start = date(year, 1, 1)
    days = [start + timedelta(days=i) for i in range(_days_in_year(year))]
    if not has_official_data(year):
        return bytes(d.weekday() < _SATURDAY for d in days)
    holidays, workdays, _ = _official_data()
    return bytes(d in workdays or (d.weekday() < _SATURDAY and d not in holidays) for d in days)


class _Year:
    """One year of the index: its first day's ordinal, the ordinal before it, per-day flags, and the
    running count of working days (cumulative[i] = working days from 1 Jan to day i inclusive)."""

    __slots__ = ("start", "base", "flags", "cumulative")

    def __init__(self, start: int, base: int, flags: bytes) -> None:
        self.start = start
        self.base = base
        self.flags = flags
        self.cumulative = list(accumulate(flags))

    @property
    def total(self) -> int:
        return self.cumulative[-1]


class WorkdayCalendar:
    """CAL-1: the working-day calendar in force — official PRC data, or Monday–Friday for years
    without it, then company overrides (True = worked day, False = day off), which always win.

    Immutable after creation; the per-year index is filled in lazily and cached.
    """

    __slots__ = ("_overrides", "_overridden_years", "_years", "_bases")

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: Mapping[date, bool] = MappingProxyType(dict(overrides or {}))
        self._overridden_years = frozenset(d.year for d in self._overrides)
        self._years: dict[int, _Year] = {}
        self._bases: dict[int, int] = {EPOCH.year: 0}

    @property
    def overrides(self) -> Mapping[date, bool]:
        return self._overrides

    def __repr__(self) -> str:
        return f"WorkdayCalendar({len(self._overrides)} overrides)"

    # --- the per-year index -------------------------------------------------------------------

    def _flags(self, year: int) -> bytes:
        flags = _default_year(year)
        if year not in self._overridden_years:
            return flags
        start = date(year, 1, 1).toordinal()
        patched = bytearray(flags)
        for day, worked in self._overrides.items():
            if day.year == year:
                patched[day.toordinal() - start] = worked
        return bytes(patched)

    def _total(self, year: int) -> int:
        cached = self._years.get(year)
        if cached is not None:
            return cached.total
        if year in self._overridden_years or has_official_data(year):
            return sum(self._flags(year))
        return _weekday_count(year)

    def _base(self, year: int) -> int:
        """workday_ordinal(31 Dec of year - 1), filled in from the nearest known year towards EPOCH.
        Writes are idempotent, so concurrent readers at worst repeat work."""
        bases = self._bases
        step = 1 if year > EPOCH.year else -1
        known = year
        while known not in bases:
            known -= step
        while known != year:
            if step == 1:
                bases[known + 1] = bases[known] + self._total(known)
            else:
                bases[known - 1] = bases[known] - self._total(known - 1)
            known += step
        return bases[year]

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = _Year(date(year, 1, 1).toordinal(), self._base(year), self._flags(year))
            self._years[year] = cached
        return cached

    def _first_reaching(self, target: int, year: int) -> date:
        """The earliest date whose ordinal is ≥ target (a working day), searching from `year`."""
        while year > 1 and self._base(year) >= target:
            year -= 1
        while self._base(year) + self._total(year) < target:
            year += 1
        index = self._year(year)
        return date.fromordinal(index.start + bisect_left(index.cumulative, target - index.base))

    # --- the public rules ---------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """CAL-1: override if any, else official data, else Monday–Friday."""
        index = self._year(d.year)
        return bool(index.flags[d.toordinal() - index.start])

    def workday_ordinal(self, d: date) -> int:
        """CAL-1 cumulative index: the working days in [EPOCH, d] (negative before EPOCH), so that
        workdays_between(a, b) == max(0, workday_ordinal(b - 1 day) - workday_ordinal(a)).
        Loaded into a table, it makes POOL-6's count a comparison of two indexed numbers."""
        index = self._year(d.year)
        return index.base + index.cumulative[d.toordinal() - index.start]

    def workdays_between(self, a: date, b: date) -> int:
        """POOL-6 count: working days d with a < d < b (0 when b ≤ a + 1 day)."""
        if b <= a + ONE_DAY:
            return 0
        return self.workday_ordinal(b - ONE_DAY) - self.workday_ordinal(a)

    def first_date_after(self, anchor: date, n: int) -> date:
        """POOL-6/POOL-16: the smallest T > anchor with workdays_between(anchor, T) ≥ n — the date of
        the daily run that recycles a customer with anchor A after n idle working days.
        A = Mon 2026-11-02, n = 5 → Tue 2026-11-10; A = Wed 2026-09-30, n = 5 → Wed 2026-10-14."""
        if n <= 0:
            return anchor + ONE_DAY
        return self._first_reaching(self.workday_ordinal(anchor) + n, anchor.year) + ONE_DAY

    def add_workdays(self, d: date, n: int) -> date:
        """CAL-1: the n-th working day after d (n ≥ 1), or the |n|-th before it (n ≤ -1)."""
        if n == 0:
            raise ValueError("add_workdays needs n != 0")
        if n > 0:
            return self._first_reaching(self.workday_ordinal(d) + n, d.year)
        return self._first_reaching(self.workday_ordinal(d - ONE_DAY) + n + 1, d.year)

    def workdays_in(self, start: date, end: date) -> list[date]:
        """CAL-1: the working days in [start, end], both ends included."""
        return [day for day, _, worked in self.ordinal_table(start, end) if worked]

    def ordinal_table(self, start: date, end: date) -> list[tuple[date, int, bool]]:
        """CAL-1: (date, workday_ordinal, is_workday) for every day in [start, end], to load into a
        table for set-based queries (POOL-6 over all customers)."""
        rows: list[tuple[date, int, bool]] = []
        for year in range(start.year, end.year + 1):
            index = self._year(year)
            first = max(start.toordinal(), index.start) - index.start
            last = min(end.toordinal(), index.start + len(index.flags) - 1) - index.start
            rows.extend(
                (date.fromordinal(index.start + i), index.base + index.cumulative[i], bool(index.flags[i]))
                for i in range(first, last + 1)
            )
        return rows


def add_business_minutes(
    start: datetime, minutes: int, cal: WorkdayCalendar, day_start: time, day_end: time
) -> datetime:
    """CAL-1/SVC-4: the moment `minutes` of working time after `start` (a naive wall-clock time in
    the company's zone), counting only working hours [day_start, day_end) on working days — so a
    clock that starts on the eve of National Day resumes on the first working day after it, make-up
    Saturdays (调休) included. Time outside working hours starts counting at the next opening."""
    if minutes <= 0 or day_end <= day_start:
        return start
    left = timedelta(minutes=minutes)
    moment = start
    for _ in range(3660):  # ten years of days at most: a misconfigured calendar never loops forever
        day = moment.date()
        opens, closes = datetime.combine(day, day_start), datetime.combine(day, day_end)
        if cal.is_workday(day) and moment < closes:
            moment = max(moment, opens)
            if moment + left <= closes:
                return moment + left
            left -= closes - moment
        moment = datetime.combine(day + ONE_DAY, day_start)
    return moment + left


def business_minutes_between(
    start: datetime, end: datetime, cal: WorkdayCalendar, day_start: time, day_end: time
) -> int:
    """CAL-1/SVC-4: working minutes in [start, end) (naive company wall-clock times); negative when
    end is before start — "time left" on a business-hours clock."""
    if end < start:
        return -business_minutes_between(end, start, cal, day_start, day_end)
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if cal.is_workday(day):
            opens = max(start, datetime.combine(day, day_start))
            closes = min(end, datetime.combine(day, day_end))
            if closes > opens:
                total += closes - opens
        day += ONE_DAY
    return int(total.total_seconds() // 60)


def add_months(d: date, months: int) -> date:
    """Calendar-month addition, clamped to the month's last day (2026-01-31 + 1 → 2026-02-28)."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, _stdcal.monthrange(year, month)[1]))
