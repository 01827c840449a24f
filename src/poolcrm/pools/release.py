"""Releasing a customer to the allocation bin (POOL-5), with the supervisor's consent when policy asks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.applications.models import (
    STATUS_APPROVED,
    STATUS_PENDING,
    Application,
)
from poolcrm.applications.service import mark_approved, mark_rejected, open_application
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_PRIVATE,
    POOL_PUBLIC,
    Customer,
)
from poolcrm.errors import AppError, Forbidden, InvalidInput, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, lock_users
from poolcrm.ownership.countdown import (
    givers,
)
from poolcrm.ownership.moves import move_customer
from poolcrm.policy.service import get_policy
from poolcrm.pools import rules
from poolcrm.pools.claim import _refuse_invisible
from poolcrm.pools.common import KIND_RELEASE


def release_refusal(session: Session, user: User, customer: Customer) -> AppError | None:
    """POOL-5: only the owner gives up a private customer, and not twice while a request waits."""
    if customer.pool != POOL_PRIVATE or customer.owner_id != user.id:
        return Forbidden("只有客户的负责人可以放弃保护", rule="POOL-5")
    pending = session.scalar(
        select(Application.id).where(
            Application.customer_id == customer.id,
            Application.kind == KIND_RELEASE,
            Application.status == STATUS_PENDING,
        )
    )
    if pending is not None:
        return RuleViolation("POOL-5", "已提交放弃申请，等待主管同意")
    return None


def release(session: Session, user: User, customer_id: int, reason: str) -> dict[str, Any]:
    """POOL-5: the owner gives a customer up with a reason — at once, or (policy) as a request the
    rep's supervisor decides."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "放弃保护必须填写原因"}, rule="POOL-5")
    customer = _refuse_invisible(session, user, lock_customers(session, [customer_id]).get(customer_id))
    refusal = release_refusal(session, user, customer)
    if refusal is not None:
        raise refusal
    policy = get_policy(session)
    if policy.release_needs_supervisor and user.supervisor_id is not None:
        application = open_application(
            session,
            kind=KIND_RELEASE,
            customer_id=customer.id,
            applicant_id=user.id,
            rule="POOL-5",
            remark=reason,
            reason=reason,
        )
        notify(
            session,
            user.supervisor_id,
            "approval_waiting",
            "{name} 申请放弃客户 {customer}：{reason}",
            link="/applications?kind=release",
            rule="POOL-5",
            name=user.display_name,
            customer=customer.name,
            reason=reason,
        )
        return {
            "id": application.id,
            "kind": KIND_RELEASE,
            "status": STATUS_PENDING,
            "customer_id": customer.id,
            "pool": customer.pool,
        }
    pool = do_release(session, customer, user.id, reason, user.id)
    return {
        "id": None,
        "kind": KIND_RELEASE,
        "status": STATUS_APPROVED,
        "customer_id": customer.id,
        "pool": pool,
    }


def do_release(session: Session, customer: Customer, owner_id: int, reason: str, actor_id: int) -> str:
    move_customer(
        session, customer, to_pool=POOL_BIN, to_owner_id=None, rule="POOL-5", reason=reason, actor_id=actor_id
    )
    policy = get_policy(session)
    if "release" in policy.three_strikes_counts:
        session.flush()
        if rules.three_strikes(
            set(givers(session, customer.id, policy.three_strikes_counts)), policy.three_strikes_reps
        ):
            move_customer(
                session,
                customer,
                to_pool=POOL_PUBLIC,
                to_owner_id=None,
                rule="POOL-8",
                reason="多名销售放弃，直接进入公海",
                actor_id=actor_id,
            )
    return customer.pool


def lock_release(session: Session, application: Application) -> None:
    lock_customers(session, [application.customer_id])
    lock_users(session, [application.applicant_id])


def may_decide_release(session: Session, application: Application, actor: User) -> bool:
    return actor.has_role("admin") or is_supervisor_of(session, actor.id, application.applicant_id)


def approve_release(session: Session, application: Application, actor: User) -> None:
    customer = lock_customers(session, [application.customer_id])[application.customer_id]
    if customer.pool != POOL_PRIVATE or customer.owner_id != application.applicant_id:
        raise RuleViolation("POOL-5", "客户已不在申请人名下，无需放弃")
    do_release(session, customer, application.applicant_id, application.remark or "", actor.id)
    mark_approved(session, application, actor, "POOL-5")
    notify(
        session,
        application.applicant_id,
        "approval_decided",
        "主管已同意你放弃客户 {customer}",
        link="/pools/mine",
        rule="POOL-5",
        customer=customer.name,
    )


def reject_release(session: Session, application: Application, actor: User, reason: str) -> None:
    mark_rejected(session, application, actor, reason, "POOL-5")
    notify(
        session,
        application.applicant_id,
        "approval_decided",
        "主管不同意放弃客户：{reason}",
        link="/pools/mine",
        rule="POOL-5",
        reason=reason,
    )
