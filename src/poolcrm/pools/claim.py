"""Claiming a public customer (POOL-1..4, POOL-13, POOL-14, CUS-21): apply, review, approve, reject."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import (
    KIND_CLAIM,
    STATUS_PENDING,
    Application,
)
from poolcrm.applications.service import mark_approved, mark_rejected, open_application
from poolcrm.customers import changes as customers_changes
from poolcrm.customers import checks
from poolcrm.customers.access import can_see_private, lock_customers
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_PRIVATE,
    POOL_PUBLIC,
    Customer,
)
from poolcrm.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import lock_users, visible_owner_ids
from poolcrm.ownership.countdown import (
    gave_up_at,
)
from poolcrm.ownership.moves import move_customer
from poolcrm.ownership.usage import limit_for, owned_count, usage_figures
from poolcrm.policy.service import company_day_start, company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.common import GONE_POOLS, notify_cs, refuse

CORRECTABLE_FIELDS = frozenset(
    {
        "name",
        "address",
        "contact_name",
        "contact_position",
        "phone",
        "mobile",
        "email",
        "postal_code",
        "region",
        "industry",
        "source",
        "profile",
        "remark",
    }
)


def _refuse_invisible(session: Session, user: User, customer: Customer | None) -> Customer:
    if customer is None or customer.pool in GONE_POOLS:
        raise NotFound()
    if customer.pool == POOL_PRIVATE and not can_see_private(session, user, customer.owner_id):
        raise NotFound()
    if (
        customer.pool not in (POOL_PRIVATE, POOL_PUBLIC, POOL_BIN)
        and visible_owner_ids(session, user) is not None
    ):
        raise NotFound()
    return customer


def _check_corrections(corrections: dict[str, Any] | None) -> dict[str, Any] | None:
    if not corrections:
        return None
    bad = {k: "不允许修改的字段" for k in corrections if k not in CORRECTABLE_FIELDS}
    if bad:
        raise InvalidInput(bad, rule="POOL-4")
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in corrections.items()}


def is_claimer(user: User) -> bool:
    """POOL-1: only sales people apply to protect public customers."""
    return org_rules.holds_pool(user.roles)


def has_pending_claim(session: Session, user_id: int, customer_id: int) -> bool:
    """POOL-4: the rep's claim on this customer waits for CS (a second one is refused)."""
    found = session.scalar(
        select(Application.id).where(
            Application.applicant_id == user_id,
            Application.customer_id == customer_id,
            Application.kind == KIND_CLAIM,
            Application.status == STATUS_PENDING,
        )
    )
    return found is not None


def require_claimer(user: User) -> None:
    """POOL-1: only sales people apply to protect public customers."""
    if not is_claimer(user):
        raise Forbidden("只有销售可以申请保护公海客户", rule="POOL-1")


def claim(
    session: Session,
    user: User,
    customer_id: int,
    *,
    remark: str | None = None,
    corrections: dict[str, Any] | None = None,
) -> Application:
    """POOL-4: a rep applies to protect a public customer; every check runs in this transaction
    (POOL-14) with the customer and the rep locked (POOL-2 stays exact under concurrency)."""
    require_claimer(user)
    customer = _refuse_invisible(session, user, lock_customers(session, [customer_id]).get(customer_id))
    lock_users(session, [user.id])
    policy = get_policy(session)
    now = clock.now()
    day = clock.today(policy.timezone)
    claims_today = (
        session.scalar(
            select(func.count()).where(
                Application.applicant_id == user.id,
                Application.kind == KIND_CLAIM,
                Application.created_at >= company_day_start(session, day),
            )
        )
        or 0
    )
    already = has_pending_claim(session, user.id, customer.id)
    refuse(
        rules.claim_refusal(
            pool=customer.pool,
            visible_to_applicant=True,
            entered_pool_at=customer.pool_entered_at,
            now=now,
            wait_hours=policy.new_in_pool_wait_hours,
            gave_up_at=gave_up_at(session, user.id, customer.id),
            cooldown_days=policy.reclaim_cooldown_days,
            claims_today=claims_today,
            daily_limit=policy.daily_claim_limit,
            already_applied=already,
        )
    )
    refuse(rules.pool_full_on_apply(*usage_figures(session, user, day)))
    checked = _check_corrections(corrections)
    application = open_application(
        session,
        kind=KIND_CLAIM,
        customer_id=customer.id,
        applicant_id=user.id,
        rule="POOL-4",
        remark=(remark or "").strip() or None,
        created_at=now,
        audit={"corrections": checked},
        corrections=checked,
    )
    notify_cs(
        session,
        "{name} 申请保护客户 {customer}",
        "/applications",
        "POOL-4",
        name=user.display_name,
        customer=customer.name,
    )
    return application


def lock_claim(session: Session, application: Application) -> None:
    """Fixed lock order for deciding claims: customer, applicant, then the application row."""
    lock_customers(session, [application.customer_id])
    lock_users(session, [application.applicant_id])


def may_review_claim(session: Session, application: Application, actor: User) -> bool:
    return actor.has_role("cs", "admin")


def _apply_corrections(
    session: Session, customer: Customer, corrections: dict[str, Any] | None, actor: User
) -> None:
    """POOL-4: CS applies the applicant's corrections after a duplicate check (CUS-7); each
    change is recorded like any other customer change (CUS-13)."""
    if not corrections:
        return

    changes = {k: (getattr(customer, k), v) for k, v in corrections.items() if getattr(customer, k) != v}
    if "name" in changes:
        _duplicate_guard(session, customer, changes["name"][1], corrections.get("phone"))
    customers_changes.apply_changes(
        session, customer, changes, actor_id=actor.id, reason="申请保护时更正", rule="POOL-4"
    )


def _duplicate_guard(session: Session, customer: Customer, name: str, phone: str | None) -> None:
    """CUS-7 before corrections: an exact duplicate of another customer blocks the approval."""
    checks.lock_identities(session, [(name, (phone or customer.phone,))])
    matches = checks.duplicates(session, name, [phone or customer.phone], exclude_ids=[customer.id])
    exact = [m for m in matches if m.get("exact")]
    if exact:
        raise RuleViolation(
            "CUS-7",
            "更正后的名称与已有客户重复：{dup_code} {dup_name}",
            code="duplicate",
            details={"matches": exact},
            dup_code=exact[0]["code"],
            dup_name=exact[0]["name"],
        )


def approve_claim(session: Session, application: Application, actor: User) -> None:
    """POOL-4: first approval wins — re-checks POOL-1/2 under the locks, moves the customer whole
    (POOL-15) and rejects every other pending claim on it with the reason."""
    customer = lock_customers(session, [application.customer_id])[application.customer_id]
    lock_users(session, [application.applicant_id])
    applicant = session.get(User, application.applicant_id)
    assert applicant is not None
    if customer.pool != POOL_PUBLIC:
        raise RuleViolation("POOL-4", "该客户已不在公海（{pool}），不能批准", pool=customer.pool)
    if not applicant.active:
        raise RuleViolation("POOL-4", "申请人已停用，不能批准")
    day = company_today(session)
    refuse(
        rules.pool_full_on_approve(
            owned_count(session, applicant.id, day), limit_for(session, applicant, day)
        )
    )
    _apply_corrections(session, customer, application.corrections, actor)
    now = clock.now()
    move_customer(
        session,
        customer,
        to_pool=POOL_PRIVATE,
        to_owner_id=applicant.id,
        rule="POOL-4",
        reason=application.remark or "申请保护通过",
        actor_id=actor.id,
        at=now,
    )
    application.decided_at = now
    mark_approved(session, application, actor, "POOL-4")
    notify(
        session,
        applicant.id,
        "approval_decided",
        "你申请保护的客户 {customer} 已通过审核",
        link=f"/customers/{customer.id}",
        rule="POOL-4",
        customer=customer.name,
    )
    others = session.scalars(
        select(Application)
        .where(
            Application.customer_id == customer.id,
            Application.kind == KIND_CLAIM,
            Application.status == STATUS_PENDING,
            Application.id != application.id,
        )
        .order_by(Application.id)
        .execution_options(populate_existing=True)
    )
    reason = f"该客户已由 {applicant.display_name} 领取（先批先得）"
    for other in others:
        other.decided_at = now
        mark_rejected(session, other, actor, reason, "POOL-4")
        notify(
            session,
            other.applicant_id,
            "approval_decided",
            "你申请保护的客户 {customer} 被驳回：{reason}",
            link="/pools/public",
            rule="POOL-4",
            customer=customer.name,
            reason=reason,
        )


def reject_claim(session: Session, application: Application, actor: User, reason: str) -> None:
    mark_rejected(session, application, actor, reason, "POOL-4")
    customer = session.get(Customer, application.customer_id)
    notify(
        session,
        application.applicant_id,
        "approval_decided",
        "你申请保护的客户 {customer} 被驳回：{reason}",
        link="/pools/public",
        rule="POOL-4",
        customer=customer.name if customer else "",
        reason=reason,
    )
