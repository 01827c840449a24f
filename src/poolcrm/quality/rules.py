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


# ---------------------------------------------------------------- GOV-4 data quality

DIMENSIONS = {"completeness": "完整性", "accuracy": "准确性", "consistency": "一致性", "timeliness": "及时性"}
GRADE_FIELDS = ("postal_code", "region", "industry", "source", "profile", "contact_position", "mobile")
"""CUS-11: the fields a grade needs besides those registration already requires."""


@dataclass(frozen=True)
class Check:
    """One GOV-4 figure: which customers it counts, under which dimension, and how a row is fixed
    ("edit" the record, "verify" its contacts, write a "followup", "open" it to compare)."""

    key: str
    dimension: str
    label: str
    rule: str
    fix: str
    short: str  # the column heading of the per-rep table


CHECKS = (
    Check("grade_fields", "completeness", "分级所需字段不全", "CUS-11", "edit", "缺字段"),
    Check("bad_contact", "accuracy", "手机或邮箱格式有误", "CUS-1", "edit", "格式有误"),
    Check("unverified", "accuracy", "本期联系方式未核实", "GOV-5", "verify", "未核实"),
    Check("shared_phone", "consistency", "与其他客户电话相同（疑似重复）", "CUS-7", "open", "同电话"),
    Check("name_conflict", "consistency", "同名客户电话不一致（资料冲突）", "CUS-7", "open", "同名冲突"),
    Check(
        "member_duplicate", "consistency", "会员客户在公海或待分配中有重复记录", "MEM-2", "open", "会员重复"
    ),
    Check("tier_overdue", "timeliness", "超过级别联系周期未联系", "CUS-15", "followup", "级别逾期"),
    Check("reminder_overdue", "timeliness", "已过下次跟进日期仍未跟进", "FU-4", "followup", "跟进逾期"),
    Check("stale", "timeliness", "资料长期未更新", "GOV-4", "edit", "久未更新"),
)
CHECK_KEYS = tuple(c.key for c in CHECKS)


def check(key: str) -> Check | None:
    return next((c for c in CHECKS if c.key == key), None)


def share(count: int, total: int) -> float:
    """GOV-4: the part of a rep's customers a figure counts, in percent (one decimal)."""
    return round(100 * count / total, 1) if total else 0.0
