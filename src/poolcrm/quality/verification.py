"""GOV-5 periodic verification: each period (a quarter by default) every rep has a task list of
the private customers whose contact details nobody verified within the period; "verified" or a
correction is one action, recorded (append-only) and audited; supervisors see their team's
progress. A correction is a customer change like any other (CUS-13 history, CUS-7 checks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.changes import update_customer
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.customers.schemas import CustomerPatch
from poolcrm.customers.visibility import get_editable
from poolcrm.errors import InvalidInput, NotFound, RuleViolation
from poolcrm.notify.rules import valid_email
from poolcrm.org.models import Department, User
from poolcrm.org.service import visible_owner_clause, visible_owner_ids
from poolcrm.policy.service import company_day_start, get_policy
from poolcrm.quality import rules
from poolcrm.quality.models import CORRECTED, VERIFIED, ContactVerification

TASK_PAGE = 200


def current_period(session: Session) -> rules.Period:
    policy = get_policy(session)
    return rules.verification_period(clock.today(policy.timezone), policy.verification_period_months)


def verified_since(session: Session, period: rules.Period) -> Any:
    """GOV-5 as a condition on a customer row: verified (or corrected) since the period began — a
    correlated EXISTS on (customer_id, at), so one rep's list probes the index per customer."""
    since = company_day_start(session, period.start)
    return (
        select(ContactVerification.id)
        .where(ContactVerification.customer_id == Customer.id, ContactVerification.at >= since)
        .exists()
    )


def verified_in(session: Session, period: rules.Period) -> Any:
    """The customers verified (or corrected) since the period began."""
    since = company_day_start(session, period.start)
    return select(ContactVerification.customer_id).where(ContactVerification.at >= since).distinct()


@dataclass(frozen=True)
class TaskList:
    period: rules.Period
    owner: User
    total: int
    done: int
    items: list[Customer]


def tasks(session: Session, user: User, owner_id: int | None = None, limit: int = TASK_PAGE) -> TaskList:
    """GOV-5: `owner_id`'s (default: the user's own) private customers still to verify this
    period. Someone else's list only for those who see that owner's pool (ORG-2), else 404."""
    owner_id = owner_id or user.id
    visible = visible_owner_ids(session, user)
    owner = session.get(User, owner_id)
    if owner is None or (visible is not None and owner_id not in visible):
        raise NotFound()
    period = current_period(session)
    mine = and_(Customer.owner_id == owner_id, Customer.pool == POOL_PRIVATE)
    done_ids = verified_in(session, period)
    total, done = session.execute(
        select(func.count(), func.count(case((Customer.id.in_(done_ids), 1)))).where(mine)
    ).one()
    items = session.scalars(
        select(Customer).where(mine, ~verified_since(session, period)).order_by(Customer.id).limit(limit)
    ).all()
    return TaskList(period, owner, total, done, list(items))


def verify(
    session: Session,
    user: User,
    customer_id: int,
    corrections: Mapping[str, Any] | None = None,
    note: str | None = None,
    *,
    lang: str = "zh",
) -> ContactVerification:
    """GOV-5: confirm a private customer's contact details, or correct them (the changed fields
    go through the customer's own change control). Who may: whoever may edit the customer."""
    customer = get_editable(session, user, customer_id)
    if customer.pool != POOL_PRIVATE:
        raise RuleViolation("GOV-5", "只有私海客户需要定期核实联系方式")
    corrections = dict(corrections or {})
    unknown = sorted(set(corrections) - set(rules.CONTACT_FIELDS))
    if unknown:
        raise InvalidInput({k[:40]: "不能在核实中修改" for k in unknown}, rule="GOV-5")
    note = (note or "").strip() or None
    if note is not None and len(note) > 500:
        raise InvalidInput({"note": "备注不超过 500 字"}, rule="GOV-5")
    email = corrections.get("email")
    if email and not (isinstance(email, str) and valid_email(email.strip())):
        raise InvalidInput({"email": "邮箱格式不对，例如 zhang@example.com"}, rule="GOV-5")
    submitted = {k: v for k, v in corrections.items() if (v or None) != (getattr(customer, k) or None)}
    changed: list[str] = []
    if submitted:
        try:
            patch = CustomerPatch(**submitted, reason=note or "GOV-5 定期核实更正")
        except ValidationError as exc:
            fields = {".".join(str(p) for p in e["loc"]) or "body": "格式不正确" for e in exc.errors()}
            raise InvalidInput(fields, rule="GOV-5") from exc
        before = {k: getattr(customer, k) for k in submitted}
        customer, request = update_customer(session, user, customer.id, patch, lang=lang)
        held = set(request.changes or {}) if request is not None else set()
        changed = sorted(k for k in submitted if getattr(customer, k) != before[k] or k in held)
    period = current_period(session)
    entry = ContactVerification(
        customer_id=customer.id,
        user_id=user.id,
        at=clock.now(),
        period=period.key,
        outcome=CORRECTED if changed else VERIFIED,
        fields=changed,
        note=note,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="customer.contact_verified",
        object_type="customer",
        object_id=customer.id,
        after={"outcome": entry.outcome, "fields": entry.fields, "period": period.key},
        rule="GOV-5",
        reason=note,
    )
    return entry


@dataclass(frozen=True)
class Progress:
    owner_id: int
    name: str
    department: str | None
    total: int
    done: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def progress(session: Session, user: User) -> tuple[rules.Period, list[Progress]]:
    """GOV-5: per rep the user sees (their subtree; everyone for the GM, admin and CS), how many
    private customers they hold and how many are verified this period."""
    period = current_period(session)
    done_ids = verified_in(session, period)
    query = (
        select(
            Customer.owner_id,
            User.display_name,
            Department.name,
            func.count(),
            func.count(case((Customer.id.in_(done_ids), 1))),
        )
        .join(User, User.id == Customer.owner_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(Customer.pool == POOL_PRIVATE)
        .group_by(Customer.owner_id, User.display_name, Department.name)
        .order_by(Department.name, User.display_name)
    )
    visible = visible_owner_clause(user, Customer.owner_id)  # ORG-2 joined, not bound as ids
    if visible is not None:
        query = query.where(visible)
    rows = [
        Progress(oid, name, dept, total, done)
        for oid, name, dept, total, done in session.execute(query)
        if oid is not None  # always: the inner join to the owner drops unowned customers
    ]
    return period, rows


def pending_counts(session: Session, period: rules.Period) -> dict[int, int]:
    """GOV-5: per active owner, the private customers not yet verified this period."""
    rows = session.execute(
        select(Customer.owner_id, func.count())
        .join(User, User.id == Customer.owner_id)
        .where(
            Customer.pool == POOL_PRIVATE,
            User.active.is_(True),
            Customer.id.not_in(verified_in(session, period)),
        )
        .group_by(Customer.owner_id)
    )
    return {oid: n for oid, n in rows if n and oid is not None}  # the join drops unowned customers
