"""GOV-5 pure rules: the verification period a day falls in, and when its reminders go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CONTACT_FIELDS = ("contact_name", "contact_position", "phone", "mobile", "email")
"""What a rep verifies or corrects: the customer's contact details (CUS-1)."""

START_REMINDER_DAYS = 7
"""The period's first reminder goes out on the first run within this many days of its start (a
missed run still reminds; the dedupe key keeps it to one)."""


@dataclass(frozen=True)
class Period:
    """One verification period: `start` and `end` are company-calendar days, both included."""

    start: date
    end: date

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} ~ {self.end.isoformat()}"


def verification_period(day: date, months: int) -> Period:
    """GOV-5: periods of `months` months from 1 January (3: the calendar quarters)."""
    if months < 1 or 12 % months:
        raise ValueError("the period must divide the year")
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    next_month = first_month + months
    after = date(day.year + 1, 1, 1) if next_month > 12 else date(day.year, next_month, 1)
    return Period(start, after - timedelta(days=1))


def reminder_phase(day: date, period: Period, remind_days: int) -> str | None:
    """GOV-5: "start" in the period's first week, "end" from `remind_days` before its last day;
    otherwise no reminder. (A period shorter than both windows reminds at its start only.)"""
    if period.start <= day < period.start + timedelta(days=START_REMINDER_DAYS):
        return "start"
    if period.end - timedelta(days=remind_days - 1) <= day <= period.end:
        return "end"
    return None
