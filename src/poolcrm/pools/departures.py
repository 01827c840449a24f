"""A rep leaving sales (POOL-10): the distribution task, its reminders and escalation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.models import (
    POOL_PRIVATE,
    Customer,
)
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.org.service import role_holders
from poolcrm.policy.service import company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.common import user_or_none
from poolcrm.pools.models import (
    TASK_DONE,
    TASK_OPEN,
    DepartureTask,
)


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
    supervisor_id = after.get("supervisor_id") or next(iter(role_holders(session, "sales_manager")), None)
    task = DepartureTask(
        user_id=user_id,
        supervisor_id=supervisor_id,
        status=TASK_OPEN,
        due_on=company_today(session) + timedelta(days=policy.departure_plan_days),
        created_at=clock.now(),
    )
    session.add(task)
    session.flush()  # the session reads who is leaving again (`db.reference`)
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
            boss = user_or_none(session, task.supervisor_id)
            targets = (
                [boss.supervisor_id]
                if boss is not None and boss.supervisor_id
                else role_holders(session, "sales_manager")
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
