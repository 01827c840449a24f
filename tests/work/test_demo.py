"""The demo company has a month of work records (WORK-1..3), made through the services."""

from __future__ import annotations

from sqlalchemy import func, select

from poolcrm.demo import run_demo
from poolcrm.work.models import Expense, Trip, WorkReport


def test_work_demo_has_a_month_of_reports_trips_and_expenses(database):
    run_demo(database)
    with database.transaction(write=False) as s:
        kinds = dict(s.execute(select(WorkReport.kind, func.count()).group_by(WorkReport.kind)).all())
        assert kinds["weekly"] >= 15 and kinds["monthly"] >= 5
        assert s.scalar(select(func.count()).select_from(Trip).where(Trip.status == "reported")) >= 5
        states = dict(s.execute(select(Expense.status, func.count()).group_by(Expense.status)).all())
        assert {"submitted", "approved", "reimbursed"} <= set(states)
        on_customers = select(func.count()).select_from(Expense).where(Expense.customer_id.is_not(None))
        assert s.scalar(on_customers) >= 5
