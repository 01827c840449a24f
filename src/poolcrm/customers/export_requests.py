"""ORG-5a export control (002 §2.3): a customer export above `export_approval_rows` rows needs the
approval of someone above the requester; the approved export is downloaded once, by the
requester, within `export_approval_valid_hours`, scoped by what they may see at that moment.
Every export, approved or not, is audited with who, which filters and how many rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers import listing
from poolcrm.customers.models import ExportRequest
from poolcrm.db import MAX_ID
from poolcrm.errors import InvalidInput, NotFound, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.org.rules import decides_export, exports_without_approval, manages_everyone
from poolcrm.org.service import is_supervisor_of, role_holders, subordinate_ids
from poolcrm.policy.service import get_policy

EXPORT_MAX_ROWS = 200_000
FILTER_KEYS = ("pool", "q", "owner", "grade", "status", "tag", "industry", "tier", "region", "sort")
PENDING, APPROVED, REJECTED, USED = "pending", "approved", "rejected", "used"


def clean_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The list's filters as stored with a request: known keys, short text, an owner id."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in filters.items():
        if value in (None, ""):
            continue
        if key not in FILTER_KEYS:
            errors[f"filters.{str(key)[:40]}"] = "不允许的字段"
        elif key == "owner":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
                errors["filters.owner"] = "格式不正确"
            else:
                out[key] = value
        elif not isinstance(value, str) or len(value) > 100:
            errors[f"filters.{key}"] = "格式不正确"
        else:
            out[key] = value
    if errors:
        raise InvalidInput(errors, rule="ORG-5a")
    return out


def count_rows(session: Session, user: User, filters: Mapping[str, Any]) -> int:
    """How many rows the export would hold (at most EXPORT_MAX_ROWS), as the user sees the list."""
    query = listing.list_query(session, user, **filters).order_by(None).limit(EXPORT_MAX_ROWS)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def check_export(session: Session, user: User, filters: Mapping[str, Any]) -> int:
    """ORG-5a: refuse (409) an export above the policy's rows unless the user is at the top."""
    rows = count_rows(session, user, filters)
    limit = get_policy(session).export_approval_rows
    if rows > limit and not exports_without_approval(user.roles):
        raise RuleViolation(
            "ORG-5a",
            "导出 {rows} 行超过 {limit} 行，需先申请上级批准",
            details={"rows": rows, "limit": limit},
            rows=rows,
            limit=limit,
        )
    return rows


def _approvers(session: Session, user: User) -> list[int]:
    if user.supervisor_id:
        return [user.supervisor_id]
    return [uid for uid in role_holders(session, "gm") if uid != user.id]


def request_export(session: Session, user: User, filters: Mapping[str, Any], reason: str) -> ExportRequest:
    """ORG-5a: ask for a bulk export; the requester's supervisor (else the GM) is told."""
    filters = clean_filters(filters)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput({"reason": "请说明导出用途（500 字以内）"}, rule="ORG-5a")
    rows = count_rows(session, user, filters)
    entry = ExportRequest(
        requested_by=user.id,
        filters=filters,
        rows=rows,
        reason=reason,
        status=PENDING,
        created_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="customer.export_requested",
        object_type="export_request",
        object_id=entry.id,
        after={"filters": filters, "rows": rows},
        rule="ORG-5a",
        reason=reason,
    )
    for approver in _approvers(session, user):
        notify(
            session,
            approver,
            "export_to_approve",
            "{who} 申请导出 {rows} 行客户数据：{reason}",
            link="/exports",
            rule="ORG-5a",
            who=user.display_name,
            rows=rows,
            reason=reason[:100],
        )
    return entry


def _may_decide(session: Session, actor: User, entry: ExportRequest) -> bool:
    above = is_supervisor_of(session, actor.id, entry.requested_by)
    return decides_export(actor.id, actor.roles, entry.requested_by, above)


def visible_requests(session: Session, user: User, limit: int = 100) -> list[ExportRequest]:
    """The user's own requests and those they may decide (their team's; everyone's for the GM)."""
    query = select(ExportRequest).order_by(ExportRequest.id.desc()).limit(limit)
    if not manages_everyone(user.roles):
        below = sorted(subordinate_ids(session, user.id))
        query = query.where(or_(ExportRequest.requested_by == user.id, ExportRequest.requested_by.in_(below)))
    return list(session.scalars(query))


def _get(session: Session, user: User, request_id: int, *, lock: bool = False) -> ExportRequest:
    if not 0 < request_id <= MAX_ID:
        raise NotFound()
    query = select(ExportRequest).where(ExportRequest.id == request_id)
    entry = session.scalar(query.with_for_update() if lock else query)
    if entry is None or (entry.requested_by != user.id and not _may_decide(session, user, entry)):
        raise NotFound()
    return entry


def decide(
    session: Session, actor: User, request_id: int, approve: bool, reason: str | None = None
) -> ExportRequest:
    """ORG-5a: approve or reject, once; nobody decides their own request (CUS-9a)."""
    entry = _get(session, actor, request_id, lock=True)
    if not _may_decide(session, actor, entry):
        raise RuleViolation("ORG-5a", "不能审批自己的导出申请")
    if entry.status != PENDING:
        raise RuleViolation("ORG-5a", "该申请已处理")
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise InvalidInput({"reason": "驳回需填写原因"}, rule="ORG-5a")
    now = clock.now()
    entry.status = APPROVED if approve else REJECTED
    entry.decided_by, entry.decided_at, entry.decision_reason = actor.id, now, reason
    if approve:
        entry.expires_at = now + timedelta(hours=get_policy(session).export_approval_valid_hours)
    record(
        session,
        actor_id=actor.id,
        action="customer.export_decided",
        object_type="export_request",
        object_id=entry.id,
        after={"status": entry.status},
        rule="ORG-5a",
        reason=reason,
    )
    notify(
        session,
        entry.requested_by,
        "export_decided",
        "你的导出申请（{rows} 行）已批准" if approve else "你的导出申请（{rows} 行）已驳回：{reason}",
        link="/exports",
        rule="ORG-5a",
        rows=entry.rows,
        reason=reason or "",
    )
    return entry


def take(session: Session, user: User, request_id: int) -> dict[str, Any]:
    """ORG-5a: the requester's one download of an approved export, before it expires. Atomic: two
    clicks at once download it once."""
    entry = _get(session, user, request_id)
    if entry.requested_by != user.id:
        raise NotFound()
    now = clock.now()
    # an UPDATE's result is always a CursorResult, which `Session.execute` is not typed to return
    result = session.execute(
        update(ExportRequest)
        .where(
            ExportRequest.id == entry.id,
            ExportRequest.status == APPROVED,
            ExportRequest.expires_at > now,
        )
        .values(status=USED, used_at=now)
        .execution_options(synchronize_session=False)
    )
    taken = cast(CursorResult[Any], result).rowcount
    if not taken:
        raise RuleViolation("ORG-5a", "该导出未获批准、已下载或已过期")
    return dict(entry.filters or {})
