"""The allocation bin and plans (POOL-7), reallocations between reps (POOL-9): propose, approve, execute."""

from __future__ import annotations

from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.calendar.service import get_calendar
from poolcrm.customers.access import can_see_private, lock_customers
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_PRIVATE,
    Customer,
)
from poolcrm.db import count_capped, for_update, ids_select
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.followups.models import FollowUp
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import Department, User
from poolcrm.org.service import Person, lock_users, notify_role, people_by_id, sales_rep_condition
from poolcrm.org.teams import team_view
from poolcrm.ownership.countdown import givers, givers_of
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.moves import move_customer
from poolcrm.ownership.usage import usage_by_owner, usage_figures
from poolcrm.policy.service import company_date, company_day_start, company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.common import notify_cs, user_brief
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
from poolcrm.pools.recycle import _planned_ids

BIN_PAGE = 100
"""The allocation page lists this many bin customers, the longest waiting first: the bin of a
nationwide company holds a day's recycling and releases — hundreds (a display size, not a rule)."""


def bin_rows(session: Session, user: User, limit: int = BIN_PAGE, offset: int = 0) -> list[dict[str, Any]]:
    """POOL-7: a page of the bin, longest waiting first — with when each goes public, the last
    move that put it there and who gave it up (POOL-8), read for the page at once."""
    if not org_rules.sees_allocation(user.roles):
        raise Forbidden(rule="POOL-7")
    policy = get_policy(session)
    calendar = get_calendar(session)
    planned = set(session.scalars(_planned_ids()))
    page = list(
        session.scalars(
            select(Customer)
            .where(Customer.pool == POOL_BIN)
            .order_by(Customer.pool_entered_at, Customer.id)
            .limit(limit)
            .offset(offset)
        )
    )
    ids = [c.id for c in page]
    last = _last_moves(session, ids)
    gave = givers_of(session, ids)
    names = people_by_id(session, [e.from_owner_id for e in last.values()])
    out = []
    for c in page:
        entered = company_date(session, c.pool_entered_at) or company_today(session)
        event = last.get(c.id)
        owner = names.get(event.from_owner_id) if event and event.from_owner_id else None
        out.append(
            {
                "customer_id": c.id,
                "code": c.code,
                "name": c.name,
                "entered_at": c.pool_entered_at,
                "public_on": calendar.first_date_after(entered, policy.bin_days).isoformat(),
                "planned": c.id in planned,
                "rule": event.rule if event else None,
                "reason": event.reason if event else None,
                "from_owner": {"id": owner.id, "display_name": owner.display_name} if owner else None,
                "given_up_by": sorted(gave[c.id]),
            }
        )
    return out


def bin_total(session: Session) -> tuple[int, bool]:
    """How many customers wait in the bin (counted up to `db.COUNT_CAP`)."""
    return count_capped(session, select(Customer.id).where(Customer.pool == POOL_BIN))


def _last_moves(session: Session, customer_ids: list[int]) -> dict[int, OwnershipEvent]:
    """Each customer's latest ownership event, for a page of customers in one statement."""
    if not customer_ids:
        return {}
    order = (OwnershipEvent.at.desc(), OwnershipEvent.id.desc())
    ranked = (
        select(
            OwnershipEvent.id,
            func.row_number().over(partition_by=OwnershipEvent.customer_id, order_by=order).label("n"),
        )
        .where(OwnershipEvent.customer_id.in_(ids_select(session, customer_ids)))
        .subquery()
    )
    latest = select(OwnershipEvent).join(ranked, ranked.c.id == OwnershipEvent.id).where(ranked.c.n == 1)
    return {e.customer_id: e for e in session.scalars(latest)}


def _ranked(session: Session, *columns: Any) -> Any:
    """POOL-7: active sales reps in sales/KA departments, best of last week first (valid
    follow-ups last week stand in for the ranking until deals feed it), as `columns`."""
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
    return (
        select(*columns)
        .join(Department, Department.id == User.department_id)
        .where(sales_rep_condition())
        .order_by(score.desc(), User.id)
    )


def eligible_reps(session: Session) -> list[User]:
    """POOL-7: the reps a plan may name, best of last week first (`_ranked`)."""
    return list(session.scalars(_ranked(session, User)))


def rep_choices(session: Session, team: int | None) -> dict[str, Any]:
    """The reps the allocation page offers, as names, best of last week first: every one while
    they fit a page, else the first page of the ranking or the team chosen (`org.teams`) — a
    nationwide company's 1,135 reps in every row's select made the page megabytes."""
    ranked = [
        Person(uid, name) for uid, name in session.execute(_ranked(session, User.id, User.display_name))
    ]
    view = team_view(session, [p.id for p in ranked], team)
    return {
        "reps": view.first_page(ranked, attrgetter("id")),
        "rep_teams": view,
        "reps_total": len(ranked),
    }


def plan_for_rep(
    session: Session, actor: User, customer_ids: list[int], to_user_id: int | None, reason: str | None = None
) -> AllocationPlan:
    """POOL-7 in bulk: the ticked bin customers all to one rep, as one plan through `create_plan`
    (the same checks as a plan row by row); an empty selection or no rep → 422 naming the field."""
    ids = list(dict.fromkeys(customer_ids))
    errors = {}
    if not ids:
        errors["customer_ids"] = "请至少选择一个客户"
    if to_user_id is None:
        errors["to_user_id"] = "请选择销售"
    if errors:
        raise InvalidInput(errors, rule="POOL-7")
    assert to_user_id is not None
    items = [{"customer_id": cid, "to_user_id": to_user_id} for cid in ids]
    return create_plan(session, actor, items=items, reason=reason)


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
    if not org_rules.manages_everyone(actor.roles):
        raise Forbidden("只有总经理可以制定分配方案", rule="POOL-7")
    already = set(session.scalars(_planned_ids()))
    if round_robin:
        q = (
            select(Customer.id)
            .where(Customer.pool == POOL_BIN)
            .order_by(Customer.pool_entered_at, Customer.id)
        )
        ids = [i for i in (customer_ids or session.scalars(q)) if i not in already]
        ranked = eligible_reps(session)
        usage = usage_by_owner(session, ranked)  # POOL-2 for every rep in two statements
        reps = [
            (u.id, max(usage[u.id]["limit"] - usage[u.id]["owned"] - usage[u.id]["pending"], 0))
            for u in ranked
        ]
        gave = givers_of(session, ids)
        pairs, _ = rules.round_robin([(cid, gave[cid]) for cid in ids], reps)
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
    if not org_rules.proposes_reallocation(actor.roles):
        raise Forbidden(rule="POOL-9")
    if not (reason or "").strip():
        raise InvalidInput({"reason": "必须填写调整原因"}, rule="POOL-9")
    if not items:
        raise InvalidInput({"items": "调整方案不能为空"}, rule="POOL-9")
    rows = _reallocation_rows(session, actor, items)
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
    for role in ("gm", "sales_manager"):
        notify_role(
            session,
            role,
            "approval_waiting",
            "客户调整方案 #{id} 等待审批",
            link="/allocation",
            rule="POOL-9",
            id=plan.id,
        )
    return plan


def _reallocation_rows(
    session: Session, actor: User, items: list[dict[str, int]]
) -> list[tuple[Customer, User]]:
    """POOL-9: each item moves a private customer the actor manages to another active sales rep."""
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
    return rows


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


def _rule_of(plan: AllocationPlan) -> str:
    """The rule a plan is decided under: POOL-7 for a bin plan, POOL-9 for a reallocation."""
    return plan.rule or ("POOL-7" if plan.kind == PLAN_BIN else "POOL-9")


def approve_plan(session: Session, actor: User, plan_id: int) -> AllocationPlan:
    """POOL-7: the GM approves a bin plan. POOL-9: a reallocation needs the GM and the sales
    manager (either order); it is approved when both have."""
    plan = get_plan(session, plan_id, lock=True)
    if plan.status != PLAN_PROPOSED:
        raise Conflict(
            "方案已处理（{state}）", rule=_rule_of(plan), state=plan.status, code="already_decided"
        )
    now = clock.now()
    if plan.kind == PLAN_BIN:
        slot = "gm" if org_rules.manages_everyone(actor.roles) and plan.gm_approved_by is None else None
    else:
        slot = rules.reallocation_slot(
            actor_id=actor.id,
            proposer_id=plan.created_by,
            manages_everyone=org_rules.manages_everyone(actor.roles),
            is_sales_manager=actor.has_role("sales_manager"),
            gm_approved_by=plan.gm_approved_by,
            manager_approved_by=plan.manager_approved_by,
        )
    if slot is None:
        if plan.kind == PLAN_REALLOCATION and actor.id in (
            plan.created_by,
            plan.gm_approved_by,
            plan.manager_approved_by,
        ):
            raise Forbidden("不能审批自己提出或已审批过的调整方案（需两位不同的审批人）", rule="POOL-9")
        raise Forbidden("需要总经理（调整还需销售经理）审批", rule=plan.rule)
    if slot == "gm":
        plan.gm_approved_by, plan.gm_approved_at = actor.id, now
    else:
        plan.manager_approved_by, plan.manager_approved_at = actor.id, now
    done = (
        plan.gm_approved_by is not None
        if plan.kind == PLAN_BIN
        else rules.reallocation_approved(
            plan.gm_approved_by is not None, plan.manager_approved_by is not None
        )
    )
    if done:
        plan.status = PLAN_APPROVED
        notify_cs(session, "分配方案 #{id} 已批准，请执行", "/allocation", plan.rule, id=plan.id)
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
        raise Conflict(
            "方案已处理（{state}）", rule=_rule_of(plan), state=plan.status, code="already_decided"
        )
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
    limits: dict[int, int] = {}
    now = clock.now()
    for item in items:
        customer, target = customers.get(item.customer_id), session.get(User, item.to_user_id)
        assert target is not None
        ok, problem = _item_still_fits(session, plan, item, customer, target, owned, limits, day)
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
    session.flush()  # the session reads who is leaving again (`db.reference`)
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


def _item_still_fits(
    session: Session,
    plan: AllocationPlan,
    item: AllocationItem,
    customer: Customer | None,
    target: User,
    owned: dict[int, int],
    limits: dict[int, int],
    day: date,
) -> tuple[bool, tuple[str, str]]:
    """POOL-7/POOL-9 at execution: the customer is still where the plan found it, the target is
    active, and POOL-2 still lets the target take it (`owned` counts this run's moves; both it and
    `limits` are read once per target, at its first item)."""
    if plan.kind == PLAN_BIN:
        ok = customer is not None and customer.pool == POOL_BIN
        problem = ("POOL-7", "客户已不在待分配库中")
    else:
        ok = customer is not None and customer.pool == POOL_PRIVATE and customer.owner_id == item.from_user_id
        problem = ("POOL-9", "客户负责人已变化")
    if ok and not target.active:
        ok, problem = False, (plan.rule or "POOL-7", "目标销售已停用")
    if ok:
        if target.id not in owned:
            counted, pending, limits[target.id] = usage_figures(session, target, day)
            owned[target.id] = counted + pending
        refusal = rules.pool_full_on_approve(owned[target.id], limits[target.id])
        if refusal is not None:
            ok, problem = False, (refusal.rule, f"私海已满（{owned[target.id]}/{refusal.params['limit']}）")
    return ok, problem


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
                "customer_name": customer_name(session, i.customer_id),
                "from_user": user_brief(session, i.from_user_id),
                "to_user": user_brief(session, i.to_user_id),
                "status": i.status,
                "rule": i.result_rule,
                "message": i.result_message,
            }
            for i in plan_items(session, plan.id)
        ],
    }


def customer_name(session: Session, customer_id: int) -> str | None:
    return session.scalar(select(Customer.name).where(Customer.id == customer_id))


def list_plans(session: Session, user: User, status: str | None = None) -> list[AllocationPlan]:
    """POOL-7/POOL-9: the allocation roles see every plan; a supervisor the plans they proposed."""
    if not org_rules.reads_plans(user.roles):
        raise Forbidden(rule="POOL-7")
    q = select(AllocationPlan).order_by(AllocationPlan.id.desc())
    if status:
        q = q.where(AllocationPlan.status == status)
    if not org_rules.sees_allocation(user.roles):
        q = q.where(AllocationPlan.created_by == user.id)
    return list(session.scalars(q.limit(200)))


def read_plan(session: Session, user: User, plan_id: int) -> AllocationPlan:
    """POOL-7/POOL-9: one plan, for those who may read plans (a supervisor: their own, else 404)."""
    if not org_rules.reads_plans(user.roles):
        raise Forbidden(rule="POOL-7")
    plan = get_plan(session, plan_id)
    if not org_rules.sees_allocation(user.roles) and plan.created_by != user.id:
        raise NotFound()
    return plan


def overview(session: Session, user: User, team: int | None = None) -> dict[str, Any]:
    """The allocation page (POOL-7, POOL-9, POOL-10): a page of the bin for the allocation roles,
    the plans the user may read, the reps a plan may name (for those who plan: GM, admin)."""
    sees = org_rules.sees_allocation(user.roles)
    return {
        "bin_items": bin_rows(session, user) if sees else [],
        "bin_total": bin_total(session) if sees else (0, False),
        "plans": [plan_out(session, p) for p in list_plans(session, user)],
        **(rep_choices(session, team) if org_rules.manages_everyone(user.roles) else {"reps": []}),
    }
