"""GOV-5 pure rules: periods from 1 January, reminders at a period's start and near its end."""

from __future__ import annotations

from datetime import date

import pytest

from poolcrm.quality.rules import Period, reminder_phase, verification_period


@pytest.mark.parametrize(
    ("day", "months", "start", "end"),
    [
        (date(2026, 12, 3), 3, date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 1, 1), 3, date(2026, 1, 1), date(2026, 3, 31)),
        (date(2028, 2, 29), 1, date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 7, 15), 6, date(2026, 7, 1), date(2026, 12, 31)),
        (date(2026, 5, 31), 4, date(2026, 5, 1), date(2026, 8, 31)),
        (date(2026, 5, 31), 12, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_gov5_periods_run_from_1_january_in_steps_of_the_policy_months(day, months, start, end):
    assert verification_period(day, months) == Period(start, end)


def test_gov5_a_period_must_divide_the_year():
    with pytest.raises(ValueError):
        verification_period(date(2026, 1, 1), 5)


def test_gov5_reminders_in_the_first_week_and_from_n_days_before_the_end():
    q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
    assert reminder_phase(date(2026, 10, 1), q4, 14) == "start"
    assert reminder_phase(date(2026, 10, 7), q4, 14) == "start"
    assert reminder_phase(date(2026, 10, 8), q4, 14) is None
    assert reminder_phase(date(2026, 12, 17), q4, 14) is None
    assert reminder_phase(date(2026, 12, 18), q4, 14) == "end"
    assert reminder_phase(date(2026, 12, 31), q4, 14) == "end"
