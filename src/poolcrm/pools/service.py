"""Pool use cases (POOL-1..18, MEM-1): claim, release, recycle, allocation, reallocation,
departures, locks, history and the policy forecast. Decisions live in `pools.rules`."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import (
    KIND_CLAIM,
    STATUS_APPROVED,
    STATUS_CANCELLED,
    STATUS_PENDING,
    Application,
)
from poolcrm.applications.service import mark_approved, mark_rejected, open_application
from poolcrm.audit.service import record
from poolcrm.calendar.service import get_calendar
from poolcrm.customers.access import can_see_private, customer_for_read, lock_customers
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_DELETED,
    POOL_MERGED,
    POOL_PRIVATE,
    POOL_PUBLIC,
    POOL_REJECTED,
    Customer,
)
from poolcrm.db import for_update, ids_select
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.notify.service import notify, notify_many
from poolcrm.org.models import Department, User
from poolcrm.org.service import is_supervisor_of, lock_users, visible_owner_ids
from poolcrm.ownership.countdown import (
    anchor_at_most,
    due_condition,
    gave_up_at,
    givers,
    givers_count_sql,
    recyclable_base,
    recycle_info,
)
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.moves import move_customer, move_customers_where
from poolcrm.ownership.usage import limit_for, owned_count, pending_count
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_date, company_day_start, company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.models import (
    ITEM_DONE,
    ITEM_PLANNED,
    ITEM_SKIPPED,
    PLAN_APPROVED,
    PLAN_BIN,
    PLAN_EXECUTED,
    PLAN_PROPOSED,
    PLAN_REALLOCATION,
    PLAN_REJECTED,
    TASK_DONE,
    TASK_OPEN,
    TASK_PLANNED,
    AllocationItem,
    AllocationPlan,
    DepartureTask,
)

KIND_RELEASE = "release"
GONE_POOLS = (POOL_MERGED, POOL_DELETED, POOL_REJECTED)
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


# ---------------------------------------------------------------- helpers


def _user(session: Session, user_id: int | None) -> User | None:
    return None if user_id is None else session.get(User, user_id)


def user_brief(session: Session, user_id: int | None) -> dict[str, Any] | None:
    u = _user(session, user_id)
    return None if u is None else {"id": u.id, "display_name": u.display_name}


def _notify_cs(session: Session, message: str, link: str, rule: str, **params: Any) -> None:
    for uid in _role_holders(session, "cs"):
        notify(session, uid, "approval_waiting", message, link=link, rule=rule, **params)


def _refuse(refusal: rules.Refusal | None) -> None:
    if refusal is not None:
        raise RuleViolation(refusal.rule, refusal.message, details=dict(refusal.params), **refusal.params)


def recycle_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-6 daily: recycle neglected customers into the bin (POOL-8: straight to public after
    the N-th different rep), set-based; the former owners are told."""
    policy = get_policy(session)
    at = company_day_start(session, run_date)
    recycled = move_customers_where(
        session,
        due_condition(session, run_date, policy),
        to_pool=POOL_BIN,
        rule="POOL-6",
        reason="超过回收期限无有效跟进",
        at=at,
    )
    notify_many(
        session,
        {owner_id: {"count": count} for owner_id, count in recycled.per_owner.items()},
        "recycled",
        "{count} 个客户因长期无有效跟进已被回收",
        link="/pools/mine",
        rule="POOL-6",
        dedupe_key=f"POOL-6:recycled:{run_date}",
    )
    to_public: list[int] = []
    if recycled.ids and "recycle" in policy.three_strikes_counts:
        strikes = and_(
            Customer.id.in_(ids_select(session, recycled.ids)),
            givers_count_sql(policy.three_strikes_counts) >= policy.three_strikes_reps,
        )
        to_public = move_customers_where(
            session, strikes, to_pool=POOL_PUBLIC, rule="POOL-8", reason="多名销售放弃，直接进入公海", at=at
        ).ids
    return {"recycled": recycled.ids, "to_public": to_public}


def warn_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-6 warnings: on working days, owners of customers recycled within `warn_days` working
    days are told (one note per owner per day)."""
    policy = get_policy(session)
    calendar = get_calendar(session)
    horizon = rules.warn_horizon(run_date, policy.warn_days, calendar)
    if horizon is None or not calendar.is_workday(run_date):
        return {"warned": []}
    condition = and_(
        recyclable_base(session, run_date),
        anchor_at_most(session, policy, calendar, horizon),
        not_(anchor_at_most(session, policy, calendar, run_date)),
    )
    rows = session.execute(
        select(Customer.id, Customer.owner_id).where(condition).order_by(Customer.id)
    ).all()
    warned = [cid for cid, _ in rows]
    notify_many(
        session,
        {owner_id: {"count": count} for owner_id, count in Counter(owner for _, owner in rows).items()},
        "recycle_warning",
        "{count} 个客户即将被回收，请尽快添加有效跟进",
        link="/pools/mine",
        rule="POOL-6",
        dedupe_key=f"POOL-6:warn:{run_date}",
    )
    return {"warned": warned}


def _planned_ids() -> Any:
    return (
        select(AllocationItem.customer_id)
        .join(AllocationPlan, AllocationPlan.id == AllocationItem.plan_id)
        .where(
            AllocationPlan.status.in_((PLAN_PROPOSED, PLAN_APPROVED)), AllocationItem.status == ITEM_PLANNED
        )
    )


def bin_expiry_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-7: customers still unplanned `bin_days` working days after entering the bin go public."""
    policy = get_policy(session)
    cutoff = rules.recycle_cutoff(run_date, policy.bin_days, get_calendar(session))
    condition = and_(
        Customer.pool == POOL_BIN,
        Customer.pool_entered_at < company_day_start(session, cutoff + rules.ONE_DAY),
        Customer.id.not_in(_planned_ids()),
    )
    moved = move_customers_where(
        session,
        condition,
        to_pool=POOL_PUBLIC,
        rule="POOL-7",
        reason="待分配超期未分配，进入公海",
        at=company_day_start(session, run_date),
    )
    return {"to_public": moved.ids}


def member_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """MEM-1: active members without a valid follow-up for a maintenance period are opened for
    redevelopment by other reps (set-based)."""
    policy = get_policy(session)
    cutoff = rules.member_cutoff(run_date, policy.member_maintenance_months)
    limit = company_day_start(session, cutoff + rules.ONE_DAY)
    anchor = func.coalesce(Customer.protected_since, Customer.created_at)
    condition = and_(
        Customer.member_until.is_not(None),
        Customer.member_until >= run_date,
        Customer.open_for_redevelopment.is_(False),
        Customer.pool == POOL_PRIVATE,
        anchor < limit,
        or_(Customer.last_valid_followup_at.is_(None), Customer.last_valid_followup_at < limit),
    )
    rows = list(session.execute(select(Customer.id, Customer.owner_id).where(condition)))
    if not rows:
        return {"opened_for_redevelopment": []}
    ids = [cid for cid, _ in rows]
    session.execute(
        update(Customer)
        .where(condition)
        .values(open_for_redevelopment=True, version=Customer.version + 1)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor_id=None,
        action="customer.open_for_redevelopment",
        object_type="customer",
        object_id=None,
        after={"customer_ids": ids},
        rule="MEM-1",
    )
    counts: dict[int, int] = {}
    for _, owner in rows:
        if owner is not None:
            counts[owner] = counts.get(owner, 0) + 1
    notify_many(
        session,
        {owner: {"count": count} for owner, count in counts.items()},
        "member_open",
        "{count} 个会员客户超过维护期未跟进，已开放给其他销售开发",
        link="/pools/mine",
        rule="MEM-1",
        dedupe_key=f"MEM-1:{run_date}",
    )
    return {"opened_for_redevelopment": ids}


def cancel_pending_releases(session: Session, moved: Any) -> None:
    session.execute(
        update(Application)
        .where(
            Application.kind == KIND_RELEASE,
            Application.status == STATUS_PENDING,
            Application.customer_id.in_(moved),
        )
        .values(status=STATUS_CANCELLED, decision_rule="POOL-6", decision_reason="客户已被回收")
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- claim (POOL-2, 3, 4, 13, 14)


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
    if not user.has_role("sales"):
        raise Forbidden("只有销售可以申请保护公海客户", rule="POOL-1")
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
    already = (
        session.scalar(
            select(Application.id).where(
                Application.applicant_id == user.id,
                Application.customer_id == customer.id,
                Application.kind == KIND_CLAIM,
                Application.status == STATUS_PENDING,
            )
        )
        is not None
    )
    _refuse(
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
    _refuse(
        rules.pool_full_on_apply(
            owned_count(session, user.id, day), pending_count(session, user.id), limit_for(session, user, day)
        )
    )
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
    _notify_cs(
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


def _may_review(session: Session, application: Application, actor: User) -> bool:
    return actor.has_role("cs", "admin")


def _apply_corrections(
    session: Session, customer: Customer, corrections: dict[str, Any] | None, actor: User
) -> None:
    """POOL-4: CS applies the applicant's corrections after a duplicate check (CUS-7); each
    change is recorded like any other customer change (CUS-13)."""
    if not corrections:
        return
    from poolcrm.customers import service as customers_service

    changes = {k: (getattr(customer, k), v) for k, v in corrections.items() if getattr(customer, k) != v}
    if "name" in changes:
        _duplicate_guard(session, customer, changes["name"][1], corrections.get("phone"))
    customers_service.apply_changes(
        session, customer, changes, actor_id=actor.id, reason="申请保护时更正", rule="POOL-4"
    )


def _duplicate_guard(session: Session, customer: Customer, name: str, phone: str | None) -> None:
    """CUS-7 before corrections: an exact duplicate of another customer blocks the approval."""
    from poolcrm.customers import service as customers_service

    matches = customers_service.duplicates(
        session, name, [phone or customer.phone], exclude_ids=[customer.id]
    )
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
    _refuse(
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


# ---------------------------------------------------------------- release (POOL-5, POOL-8)


def release(session: Session, user: User, customer_id: int, reason: str) -> dict[str, Any]:
    """POOL-5: the owner gives a customer up with a reason — at once, or (policy) as a request the
    rep's supervisor decides."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "放弃保护必须填写原因"}, rule="POOL-5")
    customer = _refuse_invisible(session, user, lock_customers(session, [customer_id]).get(customer_id))
    if customer.pool != POOL_PRIVATE or customer.owner_id != user.id:
        raise Forbidden("只有客户的负责人可以放弃保护", rule="POOL-5")
    pending = session.scalar(
        select(Application.id).where(
            Application.customer_id == customer.id,
            Application.kind == KIND_RELEASE,
            Application.status == STATUS_PENDING,
        )
    )
    if pending is not None:
        raise RuleViolation("POOL-5", "已提交放弃申请，等待主管同意")
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
    pool = _do_release(session, customer, user.id, reason, user.id)
    return {
        "id": None,
        "kind": KIND_RELEASE,
        "status": STATUS_APPROVED,
        "customer_id": customer.id,
        "pool": pool,
    }


def _do_release(session: Session, customer: Customer, owner_id: int, reason: str, actor_id: int) -> str:
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


def _may_decide_release(session: Session, application: Application, actor: User) -> bool:
    return actor.has_role("admin") or is_supervisor_of(session, actor.id, application.applicant_id)


def approve_release(session: Session, application: Application, actor: User) -> None:
    customer = lock_customers(session, [application.customer_id])[application.customer_id]
    if customer.pool != POOL_PRIVATE or customer.owner_id != application.applicant_id:
        raise RuleViolation("POOL-5", "客户已不在申请人名下，无需放弃")
    _do_release(session, customer, application.applicant_id, application.remark or "", actor.id)
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


# ---------------------------------------------------------------- allocation (POOL-7, 8, 9)


def bin_rows(session: Session, user: User) -> list[dict[str, Any]]:
    if not user.has_role("gm", "cs", "admin", "sales_manager"):
        raise Forbidden(rule="POOL-7")
    policy = get_policy(session)
    calendar = get_calendar(session)
    planned = set(session.scalars(_planned_ids()))
    out = []
    for c in session.scalars(
        select(Customer).where(Customer.pool == POOL_BIN).order_by(Customer.pool_entered_at)
    ):
        entered = company_date(session, c.pool_entered_at) or company_today(session)
        last = session.scalar(
            select(OwnershipEvent)
            .where(OwnershipEvent.customer_id == c.id)
            .order_by(OwnershipEvent.at.desc(), OwnershipEvent.id.desc())
            .limit(1)
        )
        out.append(
            {
                "customer_id": c.id,
                "code": c.code,
                "name": c.name,
                "entered_at": c.pool_entered_at,
                "public_on": calendar.first_date_after(entered, policy.bin_days).isoformat(),
                "planned": c.id in planned,
                "rule": last.rule if last else None,
                "reason": last.reason if last else None,
                "from_owner": user_brief(session, last.from_owner_id) if last else None,
                "given_up_by": sorted(givers(session, c.id)),
            }
        )
    return out


def eligible_reps(session: Session) -> list[User]:
    """POOL-7: active sales reps in sales/KA departments, best of last week first (valid
    follow-ups last week stand in for the ranking until deals feed it)."""
    from poolcrm.followups.models import FollowUp

    day = company_today(session)
    week_start = day - timedelta(days=day.weekday() + 7)
    since, until = (
        company_day_start(session, week_start),
        company_day_start(session, week_start + timedelta(days=7)),
    )
    score = (
        select(func.count())
        .where(
            FollowUp.author_id == User.id,
            FollowUp.valid.is_(True),
            FollowUp.created_at >= since,
            FollowUp.created_at < until,
        )
        .correlate(User)
        .scalar_subquery()
    )
    q = (
        select(User, score.label("score"))
        .join(Department, Department.id == User.department_id)
        .where(
            User.active.is_(True),
            Department.kind.in_(rules.SALES_DEPARTMENT_KINDS),
            User.role_rows.any(role="sales"),
        )
        .order_by(score.desc(), User.id)
    )
    return [u for u, _ in session.execute(q)]


def _capacity(session: Session, user: User) -> int:
    day = company_today(session)
    return (
        limit_for(session, user, day) - owned_count(session, user.id, day) - pending_count(session, user.id)
    )


def create_plan(
    session: Session,
    actor: User,
    *,
    items: list[dict[str, int]] | None = None,
    round_robin: bool = False,
    customer_ids: list[int] | None = None,
    reason: str | None = None,
) -> AllocationPlan:
    """POOL-7: the GM's allocation plan for bin customers — explicit items, or the round-robin rule."""
    if not actor.has_role("gm", "admin"):
        raise Forbidden("只有总经理可以制定分配方案", rule="POOL-7")
    already = set(session.scalars(_planned_ids()))
    if round_robin:
        q = (
            select(Customer.id)
            .where(Customer.pool == POOL_BIN)
            .order_by(Customer.pool_entered_at, Customer.id)
        )
        ids = [i for i in (customer_ids or session.scalars(q)) if i not in already]
        reps = [(u.id, max(_capacity(session, u), 0)) for u in eligible_reps(session)]
        pairs, _ = rules.round_robin([(cid, givers(session, cid)) for cid in ids], reps)
        items = [{"customer_id": c, "to_user_id": u} for c, u in pairs]
    if not items:
        raise InvalidInput({"items": "分配方案不能为空"}, rule="POOL-7")
    errors: dict[str, str] = {}
    for n, item in enumerate(items):
        customer = session.get(Customer, item["customer_id"])
        target = session.get(User, item["to_user_id"])
        if customer is None or customer.pool != POOL_BIN:
            errors[f"items.{n}.customer_id"] = "客户不在待分配库中"
        elif customer.id in already:
            errors[f"items.{n}.customer_id"] = "客户已在其他分配方案中"
        if target is None or not target.active or not target.has_role("sales"):
            errors[f"items.{n}.to_user_id"] = "只能分配给在职销售"
        elif customer is not None and target.id in givers(session, customer.id):
            errors[f"items.{n}.to_user_id"] = "该销售放弃过此客户（POOL-8）"
    if errors:
        raise InvalidInput(errors, rule="POOL-7")
    plan = AllocationPlan(
        kind=PLAN_BIN,
        status=PLAN_PROPOSED,
        rule="POOL-7",
        reason=reason,
        created_by=actor.id,
        created_at=clock.now(),
    )
    session.add(plan)
    session.flush()
    for item in items:
        session.add(
            AllocationItem(
                plan_id=plan.id,
                customer_id=item["customer_id"],
                to_user_id=item["to_user_id"],
                status=ITEM_PLANNED,
            )
        )
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="allocation.plan",
        object_type="allocation_plan",
        object_id=plan.id,
        after={"items": items, "round_robin": round_robin},
        rule="POOL-7",
    )
    return plan


def create_reallocation(
    session: Session,
    actor: User,
    items: list[dict[str, int]],
    reason: str,
    departure_task_id: int | None = None,
) -> AllocationPlan:
    """POOL-9: move customers between reps (also a departed rep's, POOL-10) — proposed by a
    supervisor, sales manager or the GM; needs the GM's and the sales manager's approval."""
    if not actor.has_role("supervisor", "sales_manager", "gm", "admin"):
        raise Forbidden(rule="POOL-9")
    if not (reason or "").strip():
        raise InvalidInput({"reason": "必须填写调整原因"}, rule="POOL-9")
    if not items:
        raise InvalidInput({"items": "调整方案不能为空"}, rule="POOL-9")
    errors: dict[str, str] = {}
    rows: list[tuple[Customer, User]] = []
    for n, item in enumerate(items):
        customer = session.get(Customer, item["customer_id"])
        target = session.get(User, item["to_user_id"])
        if (
            customer is None
            or customer.pool != POOL_PRIVATE
            or not can_see_private(session, actor, customer.owner_id)
        ):
            errors[f"items.{n}.customer_id"] = "只能调整你能管理的私海客户"
        elif target is None or not target.active or not target.has_role("sales"):
            errors[f"items.{n}.to_user_id"] = "只能分配给在职销售"
        elif target.id == customer.owner_id:
            errors[f"items.{n}.to_user_id"] = "目标销售已是负责人"
        else:
            rows.append((customer, target))
    if errors:
        raise InvalidInput(errors, rule="POOL-9")
    plan = AllocationPlan(
        kind=PLAN_REALLOCATION,
        status=PLAN_PROPOSED,
        rule="POOL-9",
        reason=reason.strip(),
        created_by=actor.id,
        created_at=clock.now(),
        departure_task_id=departure_task_id,
    )
    session.add(plan)
    session.flush()
    for customer, target in rows:
        session.add(
            AllocationItem(
                plan_id=plan.id,
                customer_id=customer.id,
                from_user_id=customer.owner_id,
                to_user_id=target.id,
                status=ITEM_PLANNED,
            )
        )
    if departure_task_id is not None:
        task = session.get(DepartureTask, departure_task_id)
        if task is not None and task.status == TASK_OPEN:
            task.status = TASK_PLANNED
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="allocation.reallocation",
        object_type="allocation_plan",
        object_id=plan.id,
        after={"items": items},
        rule="POOL-9",
        reason=reason,
    )
    for uid in _role_holders(session, "gm") + _role_holders(session, "sales_manager"):
        notify(
            session,
            uid,
            "approval_waiting",
            "客户调整方案 #{id} 等待审批",
            link="/allocation",
            rule="POOL-9",
            id=plan.id,
        )
    return plan


def _role_holders(session: Session, role: str) -> list[int]:
    return list(
        session.scalars(
            select(User.id).where(User.active.is_(True), User.role_rows.any(role=role)).order_by(User.id)
        )
    )


def get_plan(session: Session, plan_id: int, *, lock: bool = False) -> AllocationPlan:
    q = select(AllocationPlan).where(AllocationPlan.id == plan_id)
    plan = session.scalar(for_update(q) if lock else q)
    if plan is None:
        raise NotFound()
    return plan


def plan_items(session: Session, plan_id: int) -> list[AllocationItem]:
    return list(
        session.scalars(
            select(AllocationItem).where(AllocationItem.plan_id == plan_id).order_by(AllocationItem.id)
        )
    )


def approve_plan(session: Session, actor: User, plan_id: int) -> AllocationPlan:
    """POOL-7: the GM approves a bin plan. POOL-9: a reallocation needs the GM and the sales
    manager (either order); it is approved when both have."""
    plan = get_plan(session, plan_id, lock=True)
    if plan.status != PLAN_PROPOSED:
        raise Conflict("方案已处理（{state}）", rule=plan.rule, state=plan.status, code="already_decided")
    now = clock.now()
    acted = False
    if actor.has_role("gm", "admin") and plan.gm_approved_by is None:
        plan.gm_approved_by, plan.gm_approved_at, acted = actor.id, now, True
    if (
        plan.kind == PLAN_REALLOCATION
        and actor.has_role("sales_manager")
        and plan.manager_approved_by is None
    ):
        plan.manager_approved_by, plan.manager_approved_at, acted = actor.id, now, True
    if not acted:
        raise Forbidden("需要总经理（调整还需销售经理）审批", rule=plan.rule)
    done = (
        plan.gm_approved_by is not None
        if plan.kind == PLAN_BIN
        else rules.reallocation_approved(
            plan.gm_approved_by is not None, plan.manager_approved_by is not None
        )
    )
    if done:
        plan.status = PLAN_APPROVED
        for uid in _role_holders(session, "cs"):
            notify(
                session,
                uid,
                "approval_waiting",
                "分配方案 #{id} 已批准，请执行",
                link="/allocation",
                rule=plan.rule,
                id=plan.id,
            )
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="allocation.approve",
        object_type="allocation_plan",
        object_id=plan.id,
        after={"status": plan.status},
        rule=plan.rule,
    )
    return plan


def reject_plan(session: Session, actor: User, plan_id: int, reason: str) -> AllocationPlan:
    if not actor.has_role("gm", "sales_manager", "admin"):
        raise Forbidden(rule="POOL-9")
    if not (reason or "").strip():
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="POOL-9")
    plan = get_plan(session, plan_id, lock=True)
    if plan.status not in (PLAN_PROPOSED, PLAN_APPROVED):
        raise Conflict("方案已处理（{state}）", rule=plan.rule, state=plan.status, code="already_decided")
    plan.status, plan.rejected_reason = PLAN_REJECTED, reason.strip()
    if plan.departure_task_id is not None:
        task = session.get(DepartureTask, plan.departure_task_id)
        if task is not None and task.status == TASK_PLANNED:
            task.status = TASK_OPEN
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="allocation.reject",
        object_type="allocation_plan",
        object_id=plan.id,
        after={"status": plan.status},
        rule=plan.rule,
        reason=reason,
    )
    return plan


def execute_plan(session: Session, actor: User, plan_id: int) -> AllocationPlan:
    """POOL-7/POOL-9: CS executes an approved plan — each customer moves with `move_customer`,
    POOL-2 re-checked per target under row locks; items that no longer fit are skipped with
    their rule."""
    if not actor.has_role("cs", "admin"):
        raise Forbidden("只有客服可以执行分配方案", rule="POOL-7")
    plan = get_plan(session, plan_id, lock=True)
    if plan.status != PLAN_APPROVED:
        raise RuleViolation(plan.rule or "POOL-7", "方案尚未批准或已执行（{state}）", state=plan.status)
    items = [i for i in plan_items(session, plan.id) if i.status == ITEM_PLANNED]
    customers = lock_customers(session, [i.customer_id for i in items])
    lock_users(session, [i.to_user_id for i in items])
    day = company_today(session)
    owned: dict[int, int] = {}
    now = clock.now()
    for item in items:
        customer, target = customers.get(item.customer_id), session.get(User, item.to_user_id)
        assert target is not None
        if plan.kind == PLAN_BIN:
            ok = customer is not None and customer.pool == POOL_BIN
            problem = ("POOL-7", "客户已不在待分配库中")
        else:
            ok = (
                customer is not None
                and customer.pool == POOL_PRIVATE
                and customer.owner_id == item.from_user_id
            )
            problem = ("POOL-9", "客户负责人已变化")
        if ok and not target.active:
            ok, problem = False, (plan.rule or "POOL-7", "目标销售已停用")
        if ok:
            if target.id not in owned:
                owned[target.id] = owned_count(session, target.id, day) + pending_count(session, target.id)
            refusal = rules.pool_full_on_approve(owned[target.id], limit_for(session, target, day))
            if refusal is not None:
                ok, problem = (
                    False,
                    (refusal.rule, f"私海已满（{owned[target.id]}/{refusal.params['limit']}）"),
                )
        if not ok:
            item.status, item.result_rule, item.result_message = ITEM_SKIPPED, problem[0], problem[1]
            continue
        assert customer is not None
        move_customer(
            session,
            customer,
            to_pool=POOL_PRIVATE,
            to_owner_id=target.id,
            rule=plan.rule or "POOL-7",
            reason=plan.reason or f"分配方案 #{plan.id}",
            actor_id=actor.id,
            at=now,
        )
        owned[target.id] += 1
        item.status, item.result_rule = ITEM_DONE, plan.rule
        notify(
            session,
            target.id,
            "allocated",
            "客户 {customer} 已分配给你",
            link=f"/customers/{customer.id}",
            rule=plan.rule,
            customer=customer.name,
        )
    plan.status, plan.executed_by, plan.executed_at = PLAN_EXECUTED, actor.id, now
    if plan.departure_task_id is not None:
        task = session.get(DepartureTask, plan.departure_task_id)
        if task is not None:
            task.status = TASK_DONE
            session.info.pop("poolcrm.departing", None)
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="allocation.execute",
        object_type="allocation_plan",
        object_id=plan.id,
        after={i.customer_id: i.status for i in plan_items(session, plan.id)},
        rule=plan.rule,
    )
    return plan


def plan_out(session: Session, plan: AllocationPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "kind": plan.kind,
        "status": plan.status,
        "rule": plan.rule,
        "reason": plan.reason,
        "created_by": user_brief(session, plan.created_by),
        "created_at": plan.created_at,
        "gm_approved_by": user_brief(session, plan.gm_approved_by),
        "manager_approved_by": user_brief(session, plan.manager_approved_by),
        "executed_by": user_brief(session, plan.executed_by),
        "executed_at": plan.executed_at,
        "rejected_reason": plan.rejected_reason,
        "departure_task_id": plan.departure_task_id,
        "items": [
            {
                "customer_id": i.customer_id,
                "customer_name": _customer_name(session, i.customer_id),
                "from_user": user_brief(session, i.from_user_id),
                "to_user": user_brief(session, i.to_user_id),
                "status": i.status,
                "rule": i.result_rule,
                "message": i.result_message,
            }
            for i in plan_items(session, plan.id)
        ],
    }


def _customer_name(session: Session, customer_id: int) -> str | None:
    return session.scalar(select(Customer.name).where(Customer.id == customer_id))


def list_plans(session: Session, user: User, status: str | None = None) -> list[AllocationPlan]:
    q = select(AllocationPlan).order_by(AllocationPlan.id.desc())
    if status:
        q = q.where(AllocationPlan.status == status)
    if not user.has_role("gm", "cs", "admin", "sales_manager"):
        q = q.where(AllocationPlan.created_by == user.id)
    return list(session.scalars(q.limit(200)))


# ---------------------------------------------------------------- departures (POOL-10)


def departure_hook(session: Session, actor_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    """POOL-10: a rep leaving sales (disabled, or moved out of sales/KA) with customers opens a
    distribution task for their supervisor; a move between sales departments keeps the pool."""
    before_kind = (before.get("department") or {}).get("kind")
    after_kind = (after.get("department") or {}).get("kind")
    if not rules.leaves_sales(bool(before.get("active")), bool(after.get("active")), before_kind, after_kind):
        return
    user_id = after["id"]
    count = session.scalar(
        select(func.count()).where(Customer.owner_id == user_id, Customer.pool == POOL_PRIVATE)
    )
    if not count:
        return
    if (
        session.scalar(
            select(DepartureTask.id).where(
                DepartureTask.user_id == user_id, DepartureTask.status != TASK_DONE
            )
        )
        is not None
    ):
        return
    policy = get_policy(session)
    supervisor_id = after.get("supervisor_id") or next(iter(_role_holders(session, "sales_manager")), None)
    task = DepartureTask(
        user_id=user_id,
        supervisor_id=supervisor_id,
        status=TASK_OPEN,
        due_on=company_today(session) + timedelta(days=policy.departure_plan_days),
        created_at=clock.now(),
    )
    session.add(task)
    session.flush()
    session.info.pop("poolcrm.departing", None)
    record(
        session,
        actor_id=actor_id,
        action="departure.task",
        object_type="departure_task",
        object_id=task.id,
        after={"user_id": user_id, "customers": count, "due_on": task.due_on.isoformat()},
        rule="POOL-10",
    )
    if supervisor_id is not None:
        notify(
            session,
            supervisor_id,
            "departure",
            "{name} 已离开销售岗位，请在 {due} 前提交其 {count} 个客户的分配方案",
            link="/allocation",
            rule="POOL-10",
            name=after.get("display_name"),
            due=task.due_on.isoformat(),
            count=count,
        )


def departure_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-10: remind supervisors of open distribution tasks daily; past the deadline escalate
    once to the supervisor's own manager (or the sales managers)."""
    escalated: list[int] = []
    for task in session.scalars(select(DepartureTask).where(DepartureTask.status == TASK_OPEN)):
        leaver = session.get(User, task.user_id)
        name = leaver.display_name if leaver else str(task.user_id)
        if run_date <= task.due_on:
            if task.supervisor_id is not None:
                notify(
                    session,
                    task.supervisor_id,
                    "departure",
                    "请在 {due} 前提交 {name} 的客户分配方案",
                    link="/allocation",
                    rule="POOL-10",
                    dedupe_key=f"POOL-10:{task.id}:{run_date}",
                    due=task.due_on.isoformat(),
                    name=name,
                )
        elif task.escalated_at is None:
            boss = _user(session, task.supervisor_id)
            targets = (
                [boss.supervisor_id]
                if boss is not None and boss.supervisor_id
                else _role_holders(session, "sales_manager")
            )
            for uid in targets:
                notify(
                    session,
                    uid,
                    "departure",
                    "{name} 的客户分配方案已超期未提交",
                    link="/allocation",
                    rule="POOL-10",
                    dedupe_key=f"POOL-10:escalate:{task.id}",
                    name=name,
                )
            task.escalated_at, task.escalated_to = clock.now(), targets[0] if targets else None
            escalated.append(task.id)
            record(
                session,
                actor_id=None,
                action="departure.escalate",
                object_type="departure_task",
                object_id=task.id,
                after={"escalated_to": targets},
                rule="POOL-10",
            )
    return {"departure_escalated": escalated}


def departure_tasks(session: Session, user: User) -> list[DepartureTask]:
    q = select(DepartureTask).where(DepartureTask.status != TASK_DONE).order_by(DepartureTask.due_on)
    if not user.has_role("gm", "admin", "sales_manager", "cs"):
        q = q.where(or_(DepartureTask.supervisor_id == user.id, DepartureTask.escalated_to == user.id))
    return list(session.scalars(q))


# ---------------------------------------------------------------- locks (POOL-11)


def lock_customer(
    session: Session, actor: User, customer_id: int, until: date, reason: str | None
) -> Customer:
    customer = _refuse_invisible(session, actor, lock_customers(session, [customer_id]).get(customer_id))
    if customer.pool != POOL_PRIVATE or customer.owner_id is None:
        raise RuleViolation("POOL-11", "只能锁定私海客户")
    if not (actor.has_role("admin", "gm") or is_supervisor_of(session, actor.id, customer.owner_id)):
        raise Forbidden("只有负责人的主管可以锁定客户", rule="POOL-11")
    lock_users(session, [customer.owner_id])
    policy = get_policy(session)
    day = company_today(session)
    in_use = (
        session.scalar(
            select(func.count()).where(
                Customer.owner_id == customer.owner_id,
                Customer.pool == POOL_PRIVATE,
                Customer.locked_until >= day,
                Customer.id != customer.id,
            )
        )
        or 0
    )
    _refuse(rules.lock_refusal(locks_in_use=in_use, limit=policy.lock_limit_per_rep, until=until, today=day))
    before = {"locked_until": customer.locked_until.isoformat() if customer.locked_until else None}
    customer.locked_until, customer.locked_by, customer.updated_at = until, actor.id, clock.now()
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="customer.lock",
        object_type="customer",
        object_id=customer.id,
        before=before,
        after={"locked_until": until.isoformat()},
        rule="POOL-11",
        reason=reason,
    )
    return customer


def unlock_customer(session: Session, actor: User, customer_id: int) -> Customer:
    customer = _refuse_invisible(session, actor, lock_customers(session, [customer_id]).get(customer_id))
    if not (actor.has_role("admin", "gm") or is_supervisor_of(session, actor.id, customer.owner_id or -1)):
        raise Forbidden("只有负责人的主管可以解除锁定", rule="POOL-11")
    before = {"locked_until": customer.locked_until.isoformat() if customer.locked_until else None}
    customer.locked_until, customer.locked_by, customer.updated_at = None, None, clock.now()
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="customer.unlock",
        object_type="customer",
        object_id=customer.id,
        before=before,
        after={"locked_until": None},
        rule="POOL-11",
    )
    return customer


# ---------------------------------------------------------------- history (POOL-12)


def history(session: Session, user: User, customer_id: int) -> list[dict[str, Any]]:
    customer_for_read(session, user, customer_id)
    events = session.scalars(
        select(OwnershipEvent)
        .where(OwnershipEvent.customer_id == customer_id)
        .order_by(OwnershipEvent.at, OwnershipEvent.id)
    )
    return [
        {
            "at": e.at,
            "from_owner": user_brief(session, e.from_owner_id),
            "to_owner": user_brief(session, e.to_owner_id),
            "from_pool": e.from_pool,
            "to_pool": e.to_pool,
            "rule": e.rule,
            "reason": e.reason,
            "actor": user_brief(session, e.actor_id),
        }
        for e in events
    ]


def owner_on(session: Session, user: User, customer_id: int, day: date) -> dict[str, Any]:
    """POOL-12: who owned the customer at the end of `day` (local)."""
    customer_for_read(session, user, customer_id)
    event = session.scalar(
        select(OwnershipEvent)
        .where(
            OwnershipEvent.customer_id == customer_id,
            OwnershipEvent.at < company_day_start(session, day + rules.ONE_DAY),
        )
        .order_by(OwnershipEvent.at.desc(), OwnershipEvent.id.desc())
        .limit(1)
    )
    return {
        "on": day.isoformat(),
        "owner": user_brief(session, event.to_owner_id) if event else None,
        "pool": event.to_pool if event else None,
    }


# ---------------------------------------------------------------- pool lists (POOL-16)


def pool_rows(session: Session, user: User, owner_id: int | None = None) -> list[dict[str, Any]]:
    """'My pool': the rep's (or, for a supervisor, a team member's) customers with their recycle
    countdowns, soonest first (POOL-16)."""
    owner_id = owner_id or user.id
    if owner_id != user.id and not can_see_private(session, user, owner_id):
        raise NotFound()
    day = company_today(session)
    rows = []
    customers = session.scalars(
        select(Customer).where(Customer.owner_id == owner_id, Customer.pool == POOL_PRIVATE)
    )
    for c in customers:
        info = recycle_info(session, c, day)
        rows.append(
            {
                "customer": c,
                "info": info,
                "member": rules.is_active_member(c.member_until, day),
                "locked": c.locked_until is not None and c.locked_until >= day,
                "first_contact_overdue": _first_contact_overdue(session, c),
            }
        )
    rows.sort(
        key=lambda r: (r["info"] is None, r["info"].due_on if r["info"] else date.max, r["customer"].id)
    )
    return rows


def _first_contact_overdue(session: Session, customer: Customer) -> bool:
    from poolcrm.followups.rules import first_contact_overdue

    return first_contact_overdue(
        customer.protected_since,
        customer.last_valid_followup_at,
        clock.now(),
        get_policy(session).first_contact_hours,
    )


def public_rows(
    session: Session, user: User, q: str | None = None, page: int = 1, page_size: int = 50
) -> tuple[list[dict[str, Any]], int]:
    cond = [Customer.pool == POOL_PUBLIC]
    if q:
        cond.append(or_(Customer.name.contains(q), Customer.code.contains(q)))
    total = session.scalar(select(func.count()).where(*cond)) or 0
    customers = list(
        session.scalars(
            select(Customer)
            .where(*cond)
            .order_by(Customer.pool_entered_at.desc(), Customer.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    mine = set(
        session.scalars(
            select(Application.customer_id).where(
                Application.applicant_id == user.id,
                Application.kind == KIND_CLAIM,
                Application.status == STATUS_PENDING,
            )
        )
    )
    return [{"customer": c, "applied": c.id in mine} for c in customers], total


# ---------------------------------------------------------------- forecast (POOL-18)

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


def forecast(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """POOL-18: what tomorrow's run would recycle, and which pools would be over their limit,
    under the changed policy numbers — compared with the numbers in force."""
    from poolcrm.policy.service import validate_changes

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
                or_(Customer.member_until.is_(None), Customer.member_until < tomorrow),
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
