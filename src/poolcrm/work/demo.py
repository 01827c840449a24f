"""Demo work records (WORK-1..4): a month of weekly reports (one late, one missing), last month's
report, a trip per rep (planned, approved, reported) and expenses linked to customers and trips —
submitted, approved, some reimbursed. Everything goes through the services at the time it
"happened" (the clock is moved back, then restored)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.followups.models import FollowUp
from poolcrm.org.models import User
from poolcrm.policy.service import company_today
from poolcrm.work import expenses, files, hr_templates, reports, rules, trips
from poolcrm.work.models import MONTHLY, WEEKLY
from poolcrm.work.schemas import ExpenseIn, TripIn, TripReportIn

ORDER = 70
REPS = ("zhangwei", "lina", "liuyang", "sunli", "ka2", "zhaomin")
RECEIPT = b"%PDF-1.4\n% demo receipt\n" + b"0" * 400
REGIONS = ("华东", "华南", "华北", "西南", "华中", "东北")
Step = tuple[int, int, Callable[[], None]]


def _report(session: Session, rep: User, kind: str, period_key: str) -> Callable[[], None]:
    def run() -> None:
        name, _, content = hr_templates.template_file(kind)
        reports.file_report(session, rep, kind, period_key, None, name, content)

    return run


def _trip(session: Session, rep: User, sup: User | None, n: int, customers: list[Customer]) -> list[Step]:
    box: dict[str, int] = {}

    def plan() -> None:
        today = company_today(session)
        data = TripIn(
            region=REGIONS[n % len(REGIONS)],
            start_on=today + timedelta(days=2),
            end_on=today + timedelta(days=4),
            purpose="走访重点客户，推进在谈项目",
            customer_ids=[c.id for c in customers[:2]],
        )
        box["trip"] = trips.plan_trip(session, rep, data).id

    def approve() -> None:
        if sup is not None:
            trips.decide_trip(session, sup, box["trip"], True, None)

    def report() -> None:
        now = clock.now()
        data = TripReportIn(
            purpose="走访重点客户",
            result="两家客户确认采购计划，一家进入方案评审",
            next_plan="下周提交正式方案与报价",
            started_at=now - timedelta(days=3),
            ended_at=now - timedelta(days=1),
        )
        trips.report_trip(session, rep, box["trip"], data)

    def spend() -> None:
        data = ExpenseIn(
            spent_on=company_today(session) - timedelta(days=2),
            type="住宿",
            amount=Decimal(380 + 20 * n),
            description="出差住宿两晚",
            trip_id=box["trip"],
        )
        _submit(session, rep, sup, expenses.create_expense(session, rep, data).id, approve=True)

    return [(20, 1, plan), (19, 1, approve), (14, 2, report), (14, 3, spend)]


def _submit(session: Session, rep: User, sup: User | None, expense_id: int, *, approve: bool) -> None:
    name, kind = files.checked(session, "expense", "发票.pdf", RECEIPT, "WORK-3")
    files.store(session, "expense", expense_id, name, kind, RECEIPT, rep.id)
    expenses.submit_expense(session, rep, expense_id)
    if approve and sup is not None:
        expenses.decide_expense(session, sup, expense_id, True, None)


def _customer_expense(
    session: Session, rep: User, sup: User | None, customer: Customer, n: int
) -> Callable[[], None]:
    def run() -> None:
        data = ExpenseIn(
            spent_on=company_today(session),
            type=("交通", "餐饮", "招待")[n % 3],
            amount=Decimal(("86.50", "268.00", "920.00")[n % 3]),
            description=f"拜访{customer.name}，沟通项目进展",
            customer_id=customer.id,
        )
        expense = expenses.create_expense(session, rep, data)
        _submit(session, rep, sup, expense.id, approve=n % 3 != 1)

    return run


def populate(session: Session, ctx: Any) -> None:
    reps = [ctx.users[u] for u in REPS if u in ctx.users]
    if not reps:
        return
    finance = ctx.users.get("fin1")
    steps: list[Step] = []
    for n, rep in enumerate(reps):
        sup = session.get(User, rep.supervisor_id) if rep.supervisor_id else None
        customers = list(
            session.scalars(
                select(Customer)
                .where(
                    Customer.owner_id == rep.id,
                    Customer.pool == POOL_PRIVATE,
                    Customer.id.in_(select(FollowUp.customer_id).where(FollowUp.valid.is_(True))),
                )
                .order_by(Customer.id)
                .limit(3)
            )
        )
        for week in range(1, 5):
            if (n + week) % 5 == 4:
                continue  # one missing weekly report in the demo
            period = rules.period_of(WEEKLY, ctx.today - timedelta(days=7 * week))
            filed_on = period.last + timedelta(days=3 if (n + week) % 7 == 3 else 1)  # a few late
            steps.append(((ctx.today - filed_on).days, 0, _report(session, rep, WEEKLY, period.key)))
        month = rules.previous_period(MONTHLY, ctx.today)
        steps.append(((ctx.today - month.last).days - 2, 0, _report(session, rep, MONTHLY, month.key)))
        steps.extend(_trip(session, rep, sup, n, customers))
        for i, customer in enumerate(customers):
            steps.append((10 - 3 * i, 4, _customer_expense(session, rep, sup, customer, n + i)))
    was_overridden, real_start = clock.is_overridden(), clock.now()
    try:
        for days_ago, _, action in sorted(steps, key=lambda s: (-s[0], s[1])):
            clock.set_now(real_start - timedelta(days=days_ago), frozen=True)
            action()
            session.flush()
        if finance is not None:
            for e in session.scalars(
                select(expenses.Expense).where(expenses.Expense.status == "approved").limit(5)
            ):
                expenses.reimburse(session, finance, e.id)
    finally:
        if was_overridden:
            clock.set_now(real_start)
        else:
            clock.reset()
