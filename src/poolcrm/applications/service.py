"""Applications inbox (CUS-9, POOL-4): list, approve, reject — dispatched to the owning domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications import registry, rules
from poolcrm.applications.models import STATUS_APPROVED, STATUS_PENDING, STATUS_REJECTED, Application
from poolcrm.audit.service import record
from poolcrm.db import count_capped, for_update
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_clause, visible_owner_ids


def _lock(session: Session, app_id: int) -> Application | None:
    """Load the application row locked for update (PostgreSQL); SQLite writers are serialised."""
    return session.scalar(for_update(select(Application).where(Application.id == app_id)))


def get_visible(session: Session, app_id: int, user: User) -> Application:
    application = session.get(Application, app_id)
    if application is None:
        raise NotFound()
    scope = visible_owner_ids(session, user)
    if scope is not None and application.applicant_id not in scope:
        raise NotFound()
    return application


def list_applications(
    session: Session,
    user: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Application], int, bool]:
    q = select(Application)
    within = visible_owner_clause(user, Application.applicant_id)
    if within is not None:
        q = q.where(within)
    if status:
        q = q.where(Application.status == status)
    if kind:
        q = q.where(Application.kind == kind)
    total, capped = count_capped(session, q.with_only_columns(Application.id))  # LIST-2
    rows = session.scalars(q.order_by(Application.id).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total, capped


def _decidable(session: Session, app_id: int, user: User) -> tuple[Application, registry.Kind]:
    visible = get_visible(session, app_id, user)
    first = registry.kind(visible.kind)
    if first is not None and first.lock_first is not None:
        first.lock_first(session, visible)  # e.g. POOL-4: customer, then applicant, then application
    application = _lock(session, app_id)
    assert application is not None
    handler = registry.kind(application.kind)
    if handler is None:
        raise NotFound()
    if not handler.may_decide(session, application, user):
        raise Forbidden()
    if rules.decides_own(application.applicant_id, user.id):
        raise Forbidden("不能审批自己的申请", rule="CUS-9")
    if application.status != STATUS_PENDING:
        raise Conflict(
            "该申请已处理（{state}）", rule="CUS-9", state=application.status, code="already_decided"
        )
    return application, handler


def approve(session: Session, app_id: int, user: User) -> Application:
    application, handler = _decidable(session, app_id, user)
    handler.approve(session, application, user)
    application.decided_by = user.id
    application.decided_at = application.decided_at or clock.now()
    session.flush()
    return application


def open_application(
    session: Session,
    *,
    kind: str,
    customer_id: int,
    applicant_id: int,
    rule: str,
    remark: str | None = None,
    reason: str | None = None,
    created_at: datetime | None = None,
    audit: dict[str, Any] | None = None,
    **fields: Any,
) -> Application:
    """Create a pending application and audit it (`application.create`) — the twin of
    `mark_approved` / `mark_rejected`. `audit`: what the audit entry adds to kind and customer."""
    application = Application(
        kind=kind,
        status=STATUS_PENDING,
        customer_id=customer_id,
        applicant_id=applicant_id,
        remark=remark,
        created_at=created_at or clock.now(),
        **fields,
    )
    session.add(application)
    session.flush()
    record(
        session,
        actor_id=applicant_id,
        action="application.create",
        object_type="application",
        object_id=application.id,
        after={"kind": kind, "customer_id": customer_id, **(audit or {})},
        rule=rule,
        reason=reason,
    )
    return application


def _mark(
    session: Session, application: Application, actor: User, status: str, rule: str, reason: str | None
) -> None:
    """Record a decision on an application (status, rule, reason when given, decider) and audit it."""
    application.status = status
    application.decision_rule = rule
    if reason is not None:
        application.decision_reason = reason
    application.decided_by = actor.id
    application.decided_at = application.decided_at or clock.now()
    record(
        session,
        actor_id=actor.id,
        action="application.approve" if status == STATUS_APPROVED else "application.reject",
        object_type="application",
        object_id=application.id,
        after={"status": status},
        rule=rule,
        reason=None if status == STATUS_APPROVED else reason,
    )


def mark_approved(
    session: Session, application: Application, actor: User, rule: str, reason: str | None = None
) -> None:
    """Record an approval on an application (status, rule, decider) and audit it."""
    _mark(session, application, actor, STATUS_APPROVED, rule, reason)


def mark_rejected(session: Session, application: Application, actor: User, reason: str, rule: str) -> None:
    """Record a refusal on an application (status, reason, rule, decider) and audit it."""
    _mark(session, application, actor, STATUS_REJECTED, rule, reason)


def reject(session: Session, app_id: int, user: User, reason: str) -> Application:
    if not reason or not reason.strip():
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="CUS-9")
    application, handler = _decidable(session, app_id, user)
    handler.reject(session, application, user, reason.strip())
    application.decided_by = user.id
    application.decided_at = application.decided_at or clock.now()
    session.flush()
    return application
