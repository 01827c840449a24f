"""POOL-2 usage figures: owned + own pending applications vs the limit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Date, bindparam, func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import KIND_CLAIM, KIND_NEW_CUSTOMER, STATUS_PENDING, Application
from poolcrm.customers.models import POOL_PRIVATE, Customer, not_active_member
from poolcrm.org.models import User
from poolcrm.policy.service import company_today, get_policy
from poolcrm.pools.rules import pool_limit_for


def limit_for(session: Session, user: User, today: date | None = None) -> int:
    policy = get_policy(session)
    today = today or clock.today(policy.timezone)
    return pool_limit_for(
        hired_on=user.hired_on,
        today=today,
        department_kind=user.department.kind if user.department else None,
        limit_new=policy.private_pool_limit_new,
        limit_senior=policy.private_pool_limit_senior,
        limit_ka=policy.private_pool_limit_ka,
        new_rep_tenure_months=policy.new_rep_tenure_months,
    )


def _counted_customers(today: date | ColumnElement[date]) -> tuple[ColumnElement[bool], ...]:
    """POOL-2: the private customers that count against a rep's limit (active members excluded)."""
    return Customer.pool == POOL_PRIVATE, not_active_member(today)


def _counted_applications() -> tuple[ColumnElement[bool], ...]:
    """POOL-2: the rep's own registrations and claims still waiting count against the limit too."""
    return Application.status == STATUS_PENDING, Application.kind.in_((KIND_NEW_CUSTOMER, KIND_CLAIM))


# Built once (with their cache keys): every page's header and every claim count them, and building a
# statement costs more Python than running it (issue 22)
_OWNED = select(func.count()).where(
    Customer.owner_id == bindparam("uid"), *_counted_customers(bindparam("today", type_=Date))
)
_PENDING = select(func.count()).where(Application.applicant_id == bindparam("uid"), *_counted_applications())


def owned_count(session: Session, user_id: int, today: date) -> int:
    """Customers in the rep's private pool that count against POOL-2 (active members excluded)."""
    return session.scalar(_OWNED, {"uid": user_id, "today": today}) or 0


# both counts in one statement: the page header, registration, claims, the import, the allocation and
# the duty roster count them together (issue 22: a statement costs the app more than its two index
# lookups cost PostgreSQL)
_BOTH = select(_OWNED.scalar_subquery(), _PENDING.scalar_subquery())


def usage_figures(session: Session, user: User, today: date) -> tuple[int, int, int]:
    """POOL-2: the rep's counted private customers, own pending applications, and limit."""
    owned, pending = session.execute(_BOTH, {"uid": user.id, "today": today}).one()
    return int(owned or 0), int(pending or 0), limit_for(session, user, today)


def pool_usage(session: Session, user: User) -> dict[str, int]:
    owned, pending, limit = usage_figures(session, user, company_today(session))
    return {"owned": owned, "pending": pending, "limit": limit}


def usage_by_owner(session: Session, users: list[User]) -> dict[int, dict[str, int]]:
    """POOL-2 usage of many reps at once (GOV-6 dashboards): two grouped queries, not two per rep."""
    ids = [u.id for u in users]
    if not ids:
        return {}
    today = company_today(session)
    owned = dict(
        session.execute(
            select(Customer.owner_id, func.count())
            .where(Customer.owner_id.in_(ids), *_counted_customers(today))
            .group_by(Customer.owner_id)
        ).all()
    )
    pending = dict(
        session.execute(
            select(Application.applicant_id, func.count())
            .where(Application.applicant_id.in_(ids), *_counted_applications())
            .group_by(Application.applicant_id)
        ).all()
    )
    return {
        u.id: {
            "owned": owned.get(u.id, 0),
            "pending": pending.get(u.id, 0),
            "limit": limit_for(session, u, today),
        }
        for u in users
    }
