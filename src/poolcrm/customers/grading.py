"""CUS-11: the grade is computed by the system from facts — the customer's deals and their expected
close dates, the last substantive contact, and for distributors a registered project with an order
expected this year, an agency agreement or earlier cooperation — and kept in `customers.grade`,
recomputed whenever a fact changes (a deal, a valid follow-up, the record's fields) and daily as
time moves the windows. A supervisor of the owner (or the GM, admin) may override it with a reason;
the override wins until it is cleared. A grade needs the eleven fields: without them it is None.

One UPDATE does the work, set-based, for one customer or a million: the rule in SQL
(`grade_sql`), equal to `rules.grade_for` (a test holds the two together)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, case, exists, or_, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.calendar.rules import add_months
from poolcrm.customers import rules
from poolcrm.customers.access import lock_customer_row
from poolcrm.customers.models import Customer
from poolcrm.customers.visibility import supervises
from poolcrm.deals.models import Deal
from poolcrm.errors import InvalidInput, NotFound, RuleViolation
from poolcrm.org.models import User
from poolcrm.policy.service import company_today, get_policy


def grade_sql(session: Session) -> ColumnElement[Any]:
    """CUS-11 in SQL: the grade in force for each customer row (see `rules.grade_for`)."""
    policy = get_policy(session)
    horizon = add_months(company_today(session), policy.core_deal_months)
    recent = clock.now() - timedelta(days=policy.high_growth_contact_days)
    deals = select(Deal.id).where(Deal.customer_id == Customer.id).correlate(Customer)
    closing = exists(
        deals.where(
            Deal.category.in_(sorted(rules.OPEN_CATEGORIES)),
            Deal.expected_close_on.is_not(None),
            Deal.expected_close_on <= horizon,
        )
    )
    lead_or_won = exists(deals.where(Deal.category.in_(sorted({rules.LEAD, *rules.CONTRACTED}))))
    contacted = and_(Customer.last_valid_followup_at.is_not(None), Customer.last_valid_followup_at >= recent)
    distributor = Customer.customer_type == "distributor"
    # The flags are nullable; as conditions a NULL is simply not true (SQL's AND/OR and CASE WHEN),
    # which SQLAlchemy's `and_`/`or_` stubs, asking for non-null booleans, do not express.
    registered, expected, agency, cooperated = (
        cast(ColumnElement[bool], flag)
        for flag in (
            Customer.registered_project,
            Customer.order_expected_this_year,
            Customer.agency_agreement,
            Customer.cooperated_before,
        )
    )
    computed = case(
        (rules.grade_incomplete_sql(Customer), None),
        (and_(distributor, registered, expected), "core"),
        (and_(distributor, or_(agency, cooperated)), "high_growth"),
        (and_(~distributor, closing), "core"),
        (and_(lead_or_won, contacted), "high_growth"),
        else_="ordinary",
    )
    return case((Customer.grade_override.is_not(None), Customer.grade_override), else_=computed)


def refresh_grades(session: Session, customer_ids: Iterable[int] | None = None) -> int:
    """CUS-11: recompute and store the grade of these customers (all when None); only the rows whose
    grade changes are written. Returns how many changed."""
    session.flush()
    grade = grade_sql(session)
    stmt = update(Customer).where(Customer.grade.is_distinct_from(grade)).values(grade=grade)
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        if not ids:
            return 0
        stmt = stmt.where(Customer.id.in_(ids))
    # an UPDATE's result is always a CursorResult, which `Session.execute` is not typed to return
    result = cast(CursorResult[Any], session.execute(stmt.execution_options(synchronize_session="fetch")))
    return int(result.rowcount or 0)


def may_override(session: Session, actor: User, customer: Customer) -> bool:
    """CUS-11: whoever stands above the owner (`visibility.supervises`) — never the owner."""
    return supervises(session, actor, customer)


def override_grade(
    session: Session, actor: User, customer_id: int, grade: str | None, reason: str | None
) -> Customer:
    """CUS-11: set (or, with None, clear) the supervisor's grade, with a reason, audited."""
    customer = lock_customer_row(session, customer_id)
    if customer is None:
        raise NotFound()
    if grade is not None and grade not in rules.GRADE_ORDER:
        raise InvalidInput({"grade": "未知的等级"}, rule="CUS-11")
    problem = rules.grade_override_problem(may_override(session, actor, customer), grade, reason)
    if problem:
        raise RuleViolation("CUS-11", problem)
    before = {"grade": customer.grade, "grade_override": customer.grade_override}
    customer.grade_override = grade
    customer.grade_override_reason = (reason or "").strip() if grade is not None else None
    customer.grade_override_by = actor.id if grade is not None else None
    refresh_grades(session, [customer.id])
    session.refresh(customer)
    record(
        session,
        actor_id=actor.id,
        action="customer.grade_override",
        object_type="customer",
        object_id=customer.id,
        before=before,
        after={"grade": customer.grade, "grade_override": grade},
        rule="CUS-11",
        reason=(reason or "").strip(),
    )
    return customer
