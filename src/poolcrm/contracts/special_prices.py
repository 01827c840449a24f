"""Special prices for distributors (CTR-4, 003 §三.7): asked by the distributor's rep, refused while
the distributor's own customers are not maintained in the CRM, decided by the supervisor or the GM."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.contracts import rules
from poolcrm.contracts.models import APPROVED, LEVEL_SUPERVISOR, PENDING, REJECTED, SpecialPrice
from poolcrm.contracts.schemas import SpecialPriceIn
from poolcrm.customers.access import customer_for_read, sees_owned
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.db import for_update
from poolcrm.deals.models import Deal
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import acts_for, is_supervisor_of, visible_owner_ids
from poolcrm.policy.service import company_date, company_today, get_policy


def latest_end_customer_update(session: Session, distributor_id: int) -> date | None:
    """CTR-4a: the distributor's own customers are the end customers of deals it is the channel of
    (DEAL-1); the latest day one of them was updated in the CRM."""
    end_customers = select(Deal.customer_id).where(Deal.channel_customer_id == distributor_id)
    latest = session.scalar(select(func.max(Customer.updated_at)).where(Customer.id.in_(end_customers)))
    return company_date(session, latest)


def _refuse_unmaintained(session: Session, distributor: Customer) -> None:
    days = get_policy(session).special_price_maintained_days
    latest = latest_end_customer_update(session, distributor.id)
    if not rules.distributor_maintained(latest, company_today(session), days):
        raise RuleViolation(
            "CTR-4",
            "分销商 {name} 的客户近 {days} 天未在 CRM 中维护（最近：{latest}），不予特价审批",
            name=distributor.name,
            days=days,
            latest=latest.isoformat() if latest else "无",
        )


def request_special_price(session: Session, actor: User, data: SpecialPriceIn) -> SpecialPrice:
    distributor = customer_for_read(session, actor, data.customer_id)
    problems = rules.special_price_problems(
        distributor.customer_type, data.product, data.special_price, data.reason
    )
    if problems:
        raise InvalidInput(problems, rule="CTR-4")
    if not acts_for(session, actor, distributor.owner_id):
        raise Forbidden()
    _refuse_unmaintained(session, distributor)
    row = SpecialPrice(
        customer_id=distributor.id,
        product=data.product.strip(),
        list_price=data.list_price,
        special_price=data.special_price,
        reason=data.reason.strip(),
        status=PENDING,
        requested_by=actor.id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="special_price.create",
        object_type="special_price",
        object_id=row.id,
        after={
            "customer_id": distributor.id,
            "product": row.product,
            "special_price": str(row.special_price),
        },
        rule="CTR-4",
    )
    return row


def get_special_price(session: Session, actor: User, price_id: int) -> SpecialPrice:
    """ORG-5: seen by the requester's tree and the distributor's owner's tree (404 otherwise)."""
    row = session.get(SpecialPrice, price_id)
    if row is None or not sees_owned(session, actor, row.requested_by, row.customer_id):
        raise NotFound()
    return row


def decide_special_price(
    session: Session, actor: User, price_id: int, approve: bool, reason: str | None
) -> SpecialPrice:
    """CTR-4: the requester's supervisor, the sales manager or the GM decide, never the requester;
    an approval is refused again if the distributor's customers went unmaintained meanwhile."""
    get_special_price(session, actor, price_id)
    row = session.scalar(for_update(select(SpecialPrice).where(SpecialPrice.id == price_id)))
    assert row is not None
    if row.status != PENDING:
        raise Conflict("该特价申请已处理", rule="CTR-4", code="already_decided")
    if not org_rules.may_approve(
        "supervisor", actor.roles, is_supervisor_of(session, actor.id, row.requested_by)
    ):
        raise Forbidden("只有主管或总经理可以审批特价", rule="CTR-4")
    if actor.id == row.requested_by:
        raise Forbidden("不能审批自己的申请", rule="CTR-4")
    if not approve and not (reason or "").strip():
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="CTR-4")
    if approve:
        distributor = session.get(Customer, row.customer_id)
        assert distributor is not None
        _refuse_unmaintained(session, distributor)
    row.status = APPROVED if approve else REJECTED
    row.decided_by, row.decided_at = actor.id, clock.now()
    row.decision_reason = (reason or "").strip() or None
    record(
        session,
        actor_id=actor.id,
        action="special_price.approve" if approve else "special_price.reject",
        object_type="special_price",
        object_id=row.id,
        after={"status": row.status},
        rule="CTR-4",
        reason=row.decision_reason,
    )
    session.flush()
    return row


def distributors_for(session: Session, user: User) -> list[Customer]:
    """CTR-4: the distributors the user may ask a special price for (private, owned by someone the
    user acts for: themselves, their reps, or anyone for the GM and admin)."""
    scope = visible_owner_ids(session, user)
    q = select(Customer).where(Customer.customer_type == "distributor", Customer.pool == POOL_PRIVATE)
    if scope is not None:
        q = q.where(Customer.owner_id.in_(sorted(scope)))
    rows = session.scalars(q.order_by(Customer.name).limit(500))
    return [c for c in rows if acts_for(session, user, c.owner_id)]


def list_special_prices(session: Session, user: User, limit: int = 100) -> list[SpecialPrice]:
    """ORG-5: the requests of the user's tree and those on distributors the tree owns, newest first."""
    q = select(SpecialPrice)
    scope = visible_owner_ids(session, user)
    if scope is not None:
        owners = sorted(scope)
        q = q.where(
            or_(
                SpecialPrice.requested_by.in_(owners),
                SpecialPrice.customer_id.in_(select(Customer.id).where(Customer.owner_id.in_(owners))),
            )
        )
    return list(session.scalars(q.order_by(SpecialPrice.id.desc()).limit(limit)))


def may_decide(session: Session, user: User, row: SpecialPrice) -> bool:
    """CTR-4: pending, not the user's own, and the user is the requester's supervisor, a sales
    manager, the GM or admin."""
    return (
        row.status == PENDING
        and row.requested_by != user.id
        and org_rules.may_approve(
            LEVEL_SUPERVISOR, user.roles, is_supervisor_of(session, user.id, row.requested_by)
        )
    )
