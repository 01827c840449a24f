"""Changing a customer's record (CUS-13, CUS-16): who may change what, and key fields of a closed
customer through approval."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers import dedupe, names, rules
from poolcrm.customers.checks import (
    TEXT_FIELDS,
    check_fields,
    confirmation_needed,
    duplicates,
    lock_identities,
    refuse_exact_duplicate,
)
from poolcrm.customers.grading import override_grade, refresh_grades
from poolcrm.customers.models import (
    REQUEST_CHANGE,
    Customer,
    CustomerChange,
    CustomerRequest,
)
from poolcrm.customers.output import record_values
from poolcrm.customers.schemas import CustomerPatch
from poolcrm.customers.visibility import get_editable, supervises
from poolcrm.errors import RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org.models import User


def changes_for(c: Customer, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for key, new in values.items():
        old = getattr(c, key)
        if key == "tags":
            old = old or []
            new = new or []
        if old != new:
            out[key] = (old, new)
    return out


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def apply_changes(
    session: Session,
    c: Customer,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    actor_id: int | None,
    reason: str | None,
    rule: str = "CUS-13",
    request_id: int | None = None,
) -> None:
    """Write the changes, one `customer_changes` row per field, and the audit entry (CUS-13)."""
    if not changes:
        return
    now = clock.now()
    old_name = c.name
    for key, (old, new) in changes.items():
        setattr(c, key, new)
        session.add(
            CustomerChange(
                customer_id=c.id,
                field=key,
                old_value=_jsonable(old),
                new_value=_jsonable(new),
                actor_id=actor_id,
                at=now,
                reason=reason,
                request_id=request_id,
            )
        )
    if "name" in changes:
        c.name_key = names.name_key(c.name)
        c.name_initials = (names.pinyin_initials(c.name) or "")[:100] or None
        dedupe.reindex_customer(session, c.id, old_name, c.name)
    if "status" in changes and c.status != "dormant":
        c.dormant_since = None
    c.updated_at = now
    refresh_grades(session, [c.id])  # CUS-11: the record's fields are facts of the grade
    record(
        session,
        actor_id=actor_id,
        action="customer.update",
        object_type="customer",
        object_id=c.id,
        before={k: _jsonable(v[0]) for k, v in changes.items()},
        after={k: _jsonable(v[1]) for k, v in changes.items()},
        rule=rule,
        reason=reason,
    )
    session.flush()


def _supervisor_of(session: Session, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.supervisor_id if user else None


def update_customer(
    session: Session, user: User, customer_id: int, patch: CustomerPatch, *, lang: str = "zh"
) -> tuple[Customer, CustomerRequest | None]:
    """PATCH with CUS-13 change control: every change recorded; key fields of a closed customer
    wait for the supervisor's approval (the other fields change at once)."""
    c = get_editable(session, user, customer_id)
    raw = patch.model_dump(exclude_unset=True, exclude={"reason", "confirm_warnings"})
    if "grade" in raw:
        override_grade(session, user, c.id, raw.pop("grade"), patch.reason)  # CUS-11
    if not raw:
        return c, None
    merged = {**record_values(c), **raw}
    checked = check_fields(session, {k: merged[k] for k in (*TEXT_FIELDS, "tags", "member_until")}, lang=lang)
    values = {k: checked.values.get(k, v) for k, v in raw.items()}
    for key in ("address", "contact_name", "phone"):
        if key in values and values[key] is None:
            values[key] = ""
    warnings = [w for w in checked.warnings if w.field in raw]
    if warnings and not patch.confirm_warnings:
        raise confirmation_needed(warnings, [], lang)
    if "name" in raw and values["name"] != c.name:
        lock_identities(session, [(values["name"], ())])
        refuse_exact_duplicate(duplicates(session, values["name"], (), exclude_ids={c.id}, lang=lang))
    changes = changes_for(c, values)
    refusal = rules.reserved_change_problem({k: v[1] for k, v in changes.items()}, user.roles, patch.reason)
    if refusal:
        raise RuleViolation("CUS-16", refusal)
    needing = [] if supervises(session, user, c) else rules.change_needs_approval(c.status, changes)
    request = None
    if needing:
        held = {k: _jsonable(changes.pop(k)[1]) for k in needing}
        request = CustomerRequest(
            kind=REQUEST_CHANGE,
            customer_id=c.id,
            requested_by=user.id,
            status="pending",
            changes=held,
            reason=patch.reason,
            approvals=[],
            created_at=clock.now(),
        )
        session.add(request)
        session.flush()
        record(
            session,
            actor_id=user.id,
            action="customer.change_requested",
            object_type="customer",
            object_id=c.id,
            after=held,
            rule="CUS-13",
            reason=patch.reason,
        )
        approver = _supervisor_of(session, c.owner_id or user.id)
        if approver:
            notify(
                session,
                approver,
                "customer.change_request",
                "{who} 申请修改成交客户 {name} 的关键信息",
                link="/customers/requests",
                rule="CUS-13",
                who=user.display_name,
                name=c.name,
            )
    apply_changes(session, c, changes, actor_id=user.id, reason=patch.reason)
    return c, request


def coerce_field(key: str, value: Any) -> Any:
    if key == "member_until" and isinstance(value, str):
        return date.fromisoformat(value)
    return value
