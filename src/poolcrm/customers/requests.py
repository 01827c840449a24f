"""Change and deletion requests (CUS-13, CUS-14): decided by the department head and admin; deletion
leaves a tombstone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import (
    STATUS_CANCELLED,
    STATUS_PENDING,
    Application,
)
from poolcrm.audit.service import record
from poolcrm.customers import dedupe, rules
from poolcrm.customers.changes import apply_changes, changes_for, coerce_field
from poolcrm.customers.checks import duplicates, lock_identities, refuse_exact_duplicate
from poolcrm.customers.models import (
    POOL_DELETED,
    REQUEST_CHANGE,
    REQUEST_DELETE,
    Customer,
    CustomerRequest,
)
from poolcrm.customers.visibility import get_editable, supervises
from poolcrm.db import for_update
from poolcrm.errors import Conflict, Forbidden, NotFound
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import Department, User
from poolcrm.org.service import is_supervisor_of
from poolcrm.ownership.moves import move_customer


def list_requests(
    session: Session, user: User, status: str | None = "pending", kind: str | None = None
) -> list[CustomerRequest]:
    q = select(CustomerRequest).order_by(CustomerRequest.id.desc()).limit(500)
    if status:
        q = q.where(CustomerRequest.status == status)
    if kind:
        q = q.where(CustomerRequest.kind == kind)
    out = []
    for r in session.scalars(q):
        c = session.get(Customer, r.customer_id)
        if c is not None and (
            r.requested_by == user.id
            or _request_role(session, user, r, c) is not None
            or org_rules.sees_everyone(user.roles)
        ):
            out.append(r)
    return out


def _request_role(session: Session, user: User, r: CustomerRequest, c: Customer) -> str | None:
    """Which approval `user` can give: CUS-13 change → "supervisor"; CUS-14 deletion →
    "department_head" (head of the owner's department, or a supervisor above the requester) then
    "admin". One person gives one approval."""
    given = {a["role"] for a in (r.approvals or [])}
    givers = {a["user_id"] for a in (r.approvals or [])}
    if user.id in givers:
        return None
    if r.kind == REQUEST_CHANGE:
        return "supervisor" if supervises(session, user, c) else None
    if "department_head" not in given and _is_department_head(session, user, r, c):
        return "department_head"
    if "admin" not in given and user.has_role("admin"):
        return "admin"
    return None


def _is_department_head(session: Session, user: User, r: CustomerRequest, c: Customer) -> bool:
    person = session.get(User, c.owner_id or r.requested_by)
    if person is not None and person.department_id is not None:
        dept = session.get(Department, person.department_id)
        if dept is not None and dept.head_user_id == user.id:
            return True
    return user.has_role("supervisor", "sales_manager", "gm") and is_supervisor_of(
        session, user.id, r.requested_by
    )


def _pending_request(session: Session, request_id: int) -> tuple[CustomerRequest, Customer]:
    r = session.scalar(for_update(select(CustomerRequest).where(CustomerRequest.id == request_id)))
    if r is None:
        raise NotFound()
    c = session.get(Customer, r.customer_id)
    if c is None:
        raise NotFound()
    if r.status != "pending":
        raise Conflict(
            "该申请已处理（{state}）",
            rule="CUS-14" if r.kind == REQUEST_DELETE else "CUS-13",
            code="already_decided",
            state=r.status,
        )
    return r, c


def approve_request(session: Session, user: User, request_id: int, *, lang: str = "zh") -> CustomerRequest:
    r, c = _pending_request(session, request_id)
    role = _request_role(session, user, r, c)
    if role is None:
        raise Forbidden()
    now = clock.now()
    r.approvals = [*(r.approvals or []), {"role": role, "user_id": user.id, "at": now.isoformat()}]
    if r.kind == REQUEST_CHANGE:
        values = {k: coerce_field(k, v) for k, v in (r.changes or {}).items()}
        if "name" in values and values["name"] != c.name:
            lock_identities(session, [(values["name"], ())])
            refuse_exact_duplicate(duplicates(session, values["name"], (), exclude_ids={c.id}, lang=lang))
        apply_changes(session, c, changes_for(c, values), actor_id=user.id, reason=r.reason, request_id=r.id)
        decide_request(r, user.id, "approved", None)
        notify(
            session,
            r.requested_by,
            "customer.change_approved",
            "关键信息修改已批准：{name}",
            link=f"/customers/{c.id}",
            rule="CUS-13",
            name=c.name,
        )
    elif rules.deletion_approved(a["role"] for a in r.approvals):
        tombstone(session, c, pool=POOL_DELETED, actor_id=user.id, rule="CUS-14", reason=r.reason)
        c.deleted_at = now
        decide_request(r, user.id, "approved", None)
        notify(
            session, r.requested_by, "customer.deleted", "删除申请已批准：{name}", rule="CUS-14", name=c.name
        )
    record(
        session,
        actor_id=user.id,
        action=f"customer.{r.kind}_request.approve",
        object_type="customer",
        object_id=c.id,
        after={"request_id": r.id, "role": role, "status": r.status},
        rule="CUS-13" if r.kind == REQUEST_CHANGE else "CUS-14",
    )
    session.flush()
    return r


def reject_request(session: Session, user: User, request_id: int, reason: str) -> CustomerRequest:
    r, c = _pending_request(session, request_id)
    if _request_role(session, user, r, c) is None:
        raise Forbidden()
    decide_request(r, user.id, "rejected", reason)
    rule = "CUS-13" if r.kind == REQUEST_CHANGE else "CUS-14"
    record(
        session,
        actor_id=user.id,
        action=f"customer.{r.kind}_request.reject",
        object_type="customer",
        object_id=c.id,
        after={"request_id": r.id},
        rule=rule,
        reason=reason,
    )
    notify(
        session,
        r.requested_by,
        "customer.request_rejected",
        "申请被驳回：{name}。理由：{reason}",
        link=f"/customers/{c.id}",
        rule=rule,
        name=c.name,
        reason=reason,
    )
    session.flush()
    return r


def decide_request(r: CustomerRequest, decided_by: int | None, status: str, reason: str | None) -> None:
    r.status = status
    r.decided_by = decided_by
    r.decided_at = clock.now()
    r.decision_reason = reason


def request_deletion(session: Session, user: User, customer_id: int, reason: str) -> CustomerRequest:
    """CUS-14: deletion is a request approved by the department head and an admin."""
    c = get_editable(session, user, customer_id)
    if session.scalar(
        select(CustomerRequest.id).where(
            CustomerRequest.customer_id == c.id,
            CustomerRequest.kind == REQUEST_DELETE,
            CustomerRequest.status == "pending",
        )
    ):
        raise Conflict("该客户已有待处理的删除申请", rule="CUS-14", code="already_requested")
    r = CustomerRequest(
        kind=REQUEST_DELETE,
        customer_id=c.id,
        requested_by=user.id,
        status="pending",
        reason=reason,
        approvals=[],
        created_at=clock.now(),
    )
    session.add(r)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="customer.delete_requested",
        object_type="customer",
        object_id=c.id,
        after={"request_id": r.id},
        rule="CUS-14",
        reason=reason,
    )
    return r


def tombstone(
    session: Session, c: Customer, *, pool: str, actor_id: int | None, rule: str, reason: str | None
) -> None:
    """CUS-10/CUS-14: the record stays (never a hard delete) but leaves every pool and the
    duplicate index; its pending applications are cancelled."""
    for a in session.scalars(
        select(Application).where(Application.customer_id == c.id, Application.status == STATUS_PENDING)
    ):
        a.status = STATUS_CANCELLED
        a.decision_rule = rule
        a.decision_reason = reason
        a.decided_by = actor_id
        a.decided_at = clock.now()
    move_customer(session, c, to_pool=pool, to_owner_id=None, rule=rule, reason=reason, actor_id=actor_id)
    dedupe.unindex_customer(session, c.id, c.name, c.name_key)
