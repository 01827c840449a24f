"""What a change of pool policy would do, before it is saved (POOL-18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.applications.models import (
    KIND_CLAIM,
    STATUS_PENDING,
    Application,
)
from poolcrm.customers.models import (
    POOL_PRIVATE,
    Customer,
    not_active_member,
)
from poolcrm.errors import Forbidden
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.ownership.countdown import (
    due_condition,
)
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_today, get_policy, validate_changes
from poolcrm.pools import rules

FORECAST_FIELDS = frozenset(
    {
        "recycle_idle_workdays",
        "recycle_idle_workdays_by_grade",
        "warn_days",
        "private_pool_limit_new",
        "private_pool_limit_senior",
        "private_pool_limit_ka",
        "new_rep_tenure_months",
        "bin_days",
    }
)


def may_forecast(actor: User) -> None:
    """POOL-18: the forecast is for those who change the policy (admin, GM)."""
    if not org_rules.manages_everyone(actor.roles):
        raise Forbidden(rule="POOL-18")


def forecast(session: Session, actor: User, changes: dict[str, Any]) -> dict[str, Any]:
    """POOL-18: what tomorrow's run would recycle, and which pools would be over their limit,
    under the changed policy numbers — compared with the numbers in force."""
    may_forecast(actor)

    current = get_policy(session)
    proposed = validate_changes(current, changes)
    tomorrow = company_today(session) + rules.ONE_DAY

    def recycled(policy: Policy) -> int:
        return session.scalar(select(func.count()).where(due_condition(session, tomorrow, policy))) or 0

    over = []
    owned_by = dict(
        session.execute(
            select(Customer.owner_id, func.count())
            .where(
                Customer.pool == POOL_PRIVATE,
                Customer.owner_id.is_not(None),
                not_active_member(tomorrow),
            )
            .group_by(Customer.owner_id)
        ).all()
    )
    pending_by = dict(
        session.execute(
            select(Application.applicant_id, func.count())
            .where(Application.status == STATUS_PENDING, Application.kind.in_(("new_customer", KIND_CLAIM)))
            .group_by(Application.applicant_id)
        ).all()
    )
    for u in session.scalars(
        select(User).where(User.active.is_(True), User.role_rows.any(role="sales")).order_by(User.id)
    ):
        used = owned_by.get(u.id, 0) + pending_by.get(u.id, 0)
        limit = rules.pool_limit_for(
            hired_on=u.hired_on,
            today=tomorrow,
            department_kind=u.department.kind if u.department else None,
            limit_new=proposed.private_pool_limit_new,
            limit_senior=proposed.private_pool_limit_senior,
            limit_ka=proposed.private_pool_limit_ka,
            new_rep_tenure_months=proposed.new_rep_tenure_months,
        )
        if used > limit:
            over.append({"user": {"id": u.id, "display_name": u.display_name}, "used": used, "limit": limit})
    return {
        "date": tomorrow.isoformat(),
        "recycled_tomorrow": recycled(proposed),
        "recycled_tomorrow_now": recycled(current),
        "over_limit": over,
        "changes": {k: v for k, v in changes.items()},
    }
