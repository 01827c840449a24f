"""Working-day arithmetic (CAL-1) as POOL-6, POOL-16 and DSP-1 use it, on the real PRC calendar."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolcrm.calendar.rules import (
    EPOCH,
    WorkdayCalendar,
    has_official_data,
    missing_official_years,
    official_year_range,
)

ONE_DAY = timedelta(days=1)
CAL = WorkdayCalendar({})

dates = st.dates(date(2020, 1, 1), date(2032, 12, 31))
overrides = st.dictionaries(dates, st.booleans(), max_size=30)


def brute_force_between(cal: WorkdayCalendar, a: date, b: date) -> int:
    return sum(cal.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days))


def test_pool6_recycle_date_normal_week():
    assert CAL.first_date_after(date(2026, 11, 2), 5) == date(2026, 11, 10)
    assert CAL.workdays_between(date(2026, 11, 2), date(2026, 11, 9)) == 4
    assert CAL.workdays_between(date(2026, 11, 2), date(2026, 11, 10)) == 5


def test_pool6_recycle_date_over_national_day_2026():
    anchor = date(2026, 9, 30)
    assert CAL.first_date_after(anchor, 5) == date(2026, 10, 14)
    assert CAL.workdays_in(date(2026, 10, 1), date(2026, 10, 13)) == [
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
        date(2026, 10, 12),
        date(2026, 10, 13),
    ]


def test_pool6_nothing_counts_between_adjacent_days():
    assert CAL.workdays_between(date(2026, 11, 2), date(2026, 11, 3)) == 0
    assert CAL.workdays_between(date(2026, 11, 5), date(2026, 11, 2)) == 0
    assert CAL.first_date_after(date(2026, 11, 2), 0) == date(2026, 11, 3)


def test_cal1_make_up_saturday_is_workday():
    assert CAL.is_workday(date(2026, 10, 10))
    assert not CAL.is_workday(date(2026, 10, 5))
    assert not CAL.is_workday(date(2026, 10, 11))


def test_cal1_override_day_off_and_worked_day():
    cal = WorkdayCalendar({date(2026, 11, 4): False, date(2026, 11, 7): True, date(2026, 10, 10): False})
    assert not cal.is_workday(date(2026, 11, 4))
    assert cal.is_workday(date(2026, 11, 7))
    assert not cal.is_workday(date(2026, 10, 10))
    # Wed off, Sat worked: still five working days strictly between Mon 2 and Tue 10.
    assert cal.first_date_after(date(2026, 11, 2), 5) == date(2026, 11, 10)
    assert WorkdayCalendar({date(2026, 11, 4): False}).first_date_after(date(2026, 11, 2), 5) == date(
        2026, 11, 11
    )


def test_cal1_overrides_cannot_be_changed_afterwards():
    source = {date(2026, 11, 4): False}
    cal = WorkdayCalendar(source)
    source[date(2026, 11, 4)] = True
    assert not cal.is_workday(date(2026, 11, 4))
    with pytest.raises(TypeError):
        cal.overrides[date(2026, 11, 4)] = True  # type: ignore[index]


def test_cal1_year_without_official_data_falls_back_to_weekdays():
    assert not has_official_data(2031)
    assert has_official_data(2026)
    first, last = official_year_range()
    assert first <= 2026 <= last < 2031
    assert missing_official_years(2026, 2031) == list(range(last + 1, 2032))
    # 2031-10-01 is a Wednesday: no National Day data, so it is an ordinary working day.
    assert CAL.is_workday(date(2031, 10, 1))
    assert CAL.workdays_in(date(2031, 3, 1), date(2031, 3, 9)) == [date(2031, 3, d) for d in range(3, 8)]
    assert CAL.first_date_after(date(2031, 3, 3), 5) == date(2031, 3, 11)
    assert WorkdayCalendar({date(2031, 3, 8): True}).first_date_after(date(2031, 3, 3), 5) == date(2031, 3, 9)


def test_cal1_add_workdays_forwards_and_backwards():
    assert CAL.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert CAL.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert CAL.add_workdays(date(2026, 11, 9), -5) == date(2026, 11, 2)
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2026, 11, 9), 0)


def test_cal1_ordinal_starts_at_epoch_and_loads_as_a_table():
    assert CAL.workday_ordinal(EPOCH - ONE_DAY) == 0
    rows = CAL.ordinal_table(date(2026, 12, 30), date(2027, 1, 4))
    assert [row[0] for row in rows] == [date(2026, 12, 30) + timedelta(days=i) for i in range(6)]
    assert all(
        ordinal == CAL.workday_ordinal(day) and worked == CAL.is_workday(day) for day, ordinal, worked in rows
    )
    assert [worked for _, _, worked in rows] == [True, True, True, False, False, True]


@settings(max_examples=200, deadline=None)
@given(a=dates, span=st.integers(-3, 120), extra=overrides)
def test_pool6_workdays_between_matches_a_day_by_day_count(a, span, extra):
    cal = WorkdayCalendar(extra)
    b = a + timedelta(days=span)
    assert cal.workdays_between(a, b) == brute_force_between(cal, a, b)


@settings(max_examples=200, deadline=None)
@given(anchor=dates, n=st.integers(1, 15), extra=overrides)
def test_pool6_first_date_after_is_the_earliest_run_that_recycles(anchor, n, extra):
    cal = WorkdayCalendar(extra)
    due = cal.first_date_after(anchor, n)
    assert due > anchor
    assert brute_force_between(cal, anchor, due) >= n
    assert brute_force_between(cal, anchor, due - ONE_DAY) < n


@settings(max_examples=200, deadline=None)
@given(a=dates, b=dates, extra=overrides)
def test_cal1_ordinal_identity_gives_the_pool6_count(a, b, extra):
    cal = WorkdayCalendar(extra)
    assert cal.workdays_between(a, b) == max(0, cal.workday_ordinal(b - ONE_DAY) - cal.workday_ordinal(a))


@settings(max_examples=150, deadline=None)
@given(d=dates, n=st.integers(-20, 20).filter(bool), extra=overrides)
def test_cal1_add_workdays_lands_on_the_nth_working_day(d, n, extra):
    cal = WorkdayCalendar(extra)
    landed = cal.add_workdays(d, n)
    assert cal.is_workday(landed)
    if n > 0:
        assert landed > d and len(cal.workdays_in(d + ONE_DAY, landed)) == n
    else:
        assert landed < d and len(cal.workdays_in(landed, d - ONE_DAY)) == -n


def test_cal1_official_day_note_names_holidays_and_make_up_days():
    from poolcrm.calendar.rules import official_day_note

    assert official_day_note(date(2026, 10, 1)) == ("holiday", "国庆节", "National Day")
    assert official_day_note(date(2026, 2, 14)) == ("makeup", "春节", "Spring Festival")
    assert official_day_note(date(2026, 10, 12)) is None
    assert official_day_note(date(2099, 10, 1)) is None
