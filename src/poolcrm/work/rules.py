"""Work record rules (WORK-1..4): the seed's subjects and file names, periods and due days, the
expense link rule, approval levels. Pure decisions, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from poolcrm.calendar.rules import add_months
from poolcrm.clock import in_business_range
from poolcrm.work.models import ANNUAL, HALF_YEAR, MONTHLY, WEEKLY

KINDS: tuple[str, ...] = (WEEKLY, MONTHLY, HALF_YEAR, ANNUAL)
KIND_LABELS: dict[str, str] = {WEEKLY: "周报", MONTHLY: "月报", HALF_YEAR: "半年总结", ANNUAL: "年终总结"}
MAX_MONEY = Decimal("9999999999.99")


@dataclass(frozen=True)
class Period:
    kind: str
    key: str  # 2026-W49 | 2026-12 | 2026-H2 | 2026
    first: date
    last: date


def parse_period(kind: str, text: str) -> Period | None:
    """WORK-1: `2026-W49` (ISO week), `2026-12`, `2026-H2`, `2026` for the four kinds; None for
    anything else, or a period outside the business range (SEC-1: 1900–2199)."""
    found = _period(kind, text.strip())
    if found is None or not (in_business_range(found.first) and in_business_range(found.last)):
        return None
    return found


def _period(kind: str, text: str) -> Period | None:
    """`parse_period` without the range: ASCII digits only (`\\d` alone also takes '２')."""
    try:
        if kind == WEEKLY and (m := re.fullmatch(r"(\d{4})-W(\d{2})", text, re.ASCII)):
            first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(kind, text, first, first + timedelta(days=6))
        if kind == MONTHLY and (m := re.fullmatch(r"(\d{4})-(\d{2})", text, re.ASCII)):
            first = date(int(m[1]), int(m[2]), 1)
            nxt = add_months(first, 1)
            return Period(kind, text, first, nxt - timedelta(days=1))
        if kind == HALF_YEAR and (m := re.fullmatch(r"(\d{4})-H([12])", text, re.ASCII)):
            year, half = int(m[1]), int(m[2])
            return Period(
                kind,
                text,
                date(year, 1 if half == 1 else 7, 1),
                date(year, 6, 30) if half == 1 else date(year, 12, 31),
            )
        if kind == ANNUAL and re.fullmatch(r"\d{4}", text, re.ASCII):
            return Period(kind, text, date(int(text), 1, 1), date(int(text), 12, 31))
    except ValueError:
        return None
    return None


def before_hire(period: Period, hired_on: date) -> bool:
    """WORK-1b: a period that ended before its author was hired is not one of theirs to report on
    (a period `0001` was filed, with its due day 2000 years ago)."""
    return period.last < hired_on


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` that `day` falls in."""
    if kind == WEEKLY:
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}"
    elif kind == MONTHLY:
        key = f"{day:%Y-%m}"
    elif kind == HALF_YEAR:
        key = f"{day.year}-H{1 if day.month <= 6 else 2}"
    else:
        key = str(day.year)
    found = parse_period(kind, key)
    assert found is not None
    return found


def previous_period(kind: str, day: date) -> Period:
    """The last period of `kind` that ended before `day`'s period began."""
    return period_of(kind, period_of(kind, day).first - timedelta(days=1))


def report_subject(period: Period, name: str) -> str:
    """WORK-1 (001 §1.1): `26年第49周工作周报—张伟`, `26年12月工作月报—张伟`, `26年下半年工作总结—张伟`,
    `26年年终总结—张伟` (the year of an ISO week is the week's own year)."""
    yy = period.key[2:4]
    if period.kind == WEEKLY:
        return f"{yy}年第{int(period.key[-2:])}周工作周报—{name}"
    if period.kind == MONTHLY:
        return f"{yy}年{period.first.month}月工作月报—{name}"
    if period.kind == HALF_YEAR:
        return f"{yy}年{'上' if period.key.endswith('H1') else '下'}半年工作总结—{name}"
    return f"{yy}年年终总结—{name}"


def report_body(subject: str) -> str:
    """WORK-1: the seed's body text, prefilled (`XX年第X周工作周报，详情见附件。谢谢！`)."""
    return f"{subject.split('—')[0]}，详情见附件。谢谢！"


def due_on(period: Period, due_days: dict[str, int]) -> date:
    """WORK-1a: a report is due `due_days[kind]` days after its period ends."""
    return period.last + timedelta(days=due_days.get(period.kind, 1))


def trip_subject(start_on: date, region: str, name: str) -> str:
    """WORK-2 (001 §2): `2026年12月08日-华东-出差计划—张伟`."""
    return f"{start_on:%Y年%m月%d日}-{region}-出差计划—{name}"


def trip_report_subject(name: str) -> str:
    return f"出差报告—{name}"


def expense_subject(spent_on: date, kind: str, name: str) -> str:
    """WORK-3 (001 §6.1): `2026年12月02日交通费用—张伟`."""
    return f"{spent_on:%Y年%m月%d日}{kind}费用—{name}"


def missing_link(customer_linked: bool, action_linked: bool) -> str | None:
    """WORK-3 (003 "所有的费用报销均关联CRM系统中的关键信息…否则不予报销"): an expense names the
    customer it was for (its current progress is linked with it) or the follow-up, deal progress or
    trip it paid for; otherwise it cannot be submitted."""
    if customer_linked or action_linked:
        return None
    return "费用须关联客户（及其最新进展），或关联所支付的跟进记录、跟单进展或出差"


def silent(last_seen: date | None, today: date, days: int) -> bool:
    """WORK-2 (003: 出差期间至少每3天登录一次): a rep on a trip unseen for more than `days` days."""
    return last_seen is None or (today - last_seen).days > days


def weekly_shortfall(actions: int, minimum: int) -> int:
    """WORK-4 (003 §三.5): how many actions on opportunities a rep is short this week."""
    return max(0, minimum - actions)


def may_reimburse(roles: Iterable[str]) -> bool:
    """WORK-3: finance (and admin) mark approved expenses reimbursed."""
    return bool({"finance", "admin"} & set(roles))


def expense_problems(
    spent_on: date, today: date, kind: str, kinds: Iterable[str], amount: Decimal, description: str
) -> dict[str, str]:
    """WORK-3: spent (not in the future), a type from the list, a positive bounded amount, and a
    description (for a customer: its real progress and value, 001 §6.1)."""
    problems: dict[str, str] = {}
    if spent_on > today:
        problems["spent_on"] = "费用日期不能晚于今天"
    if kind not in kinds:
        problems["type"] = "费用类型须从列表中选择（无合适类型请选“其他”）"
    if not Decimal("0") < amount <= MAX_MONEY:
        problems["amount"] = "金额须大于 0"
    if not description.strip():
        problems["description"] = "请说明费用用途（与客户有关的须阐明客户的真实进展与关键价值）"
    return problems


def trip_problems(region: str, purpose: str, start_on: date, end_on: date, max_days: int) -> dict[str, str]:
    """WORK-2: a plan names its region and purpose, and its dates run forward, at most `max_days`."""
    problems: dict[str, str] = {}
    if not region.strip():
        problems["region"] = "必填"
    if not purpose.strip():
        problems["purpose"] = "请写明出差目的"
    if end_on < start_on:
        problems["end_on"] = "结束日期不能早于开始日期"
    elif (end_on - start_on).days > max_days:
        problems["end_on"] = "单次出差天数超过上限"
    return problems


def trip_report_problems(
    texts: dict[str, str], started_at: datetime, ended_at: datetime, now: datetime
) -> dict[str, str]:
    """WORK-2: A 目的, B 结果, C 下一步计划 written; the real start and end carry their zone, run forward
    and are not in the future."""
    problems = {field: "必填" for field, text in texts.items() if not text.strip()}
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        problems["started_at"] = "时间需要带时区"
    elif ended_at < started_at:
        problems["ended_at"] = "结束时间不能早于开始时间"
    elif ended_at > now:
        problems["ended_at"] = "结束时间不能晚于现在"
    return problems
