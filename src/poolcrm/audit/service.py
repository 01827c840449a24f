"""GOV-1: every service write records who, when, what, before/after, rule and reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.db import count_capped


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    before: Any = None,
    after: Any = None,
    rule: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or clock.now(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        rule=rule,
        reason=reason,
    )
    session.add(entry)
    return entry


SET_COLUMNS = ("at", "actor_id", "action", "object_type", "object_id", "before", "after", "rule", "reason")
"""The columns, in order, of a SELECT given to `record_select`."""


def record_many(session: Session, entries: list[dict[str, Any]]) -> None:
    """GOV-1 for set-based steps: one executemany INSERT of many entries (keys: SET_COLUMNS;
    `object_id` is stored as text)."""
    if entries:
        rows = [
            {**e, "object_id": None if e.get("object_id") is None else str(e["object_id"])} for e in entries
        ]
        session.execute(insert(AuditEntry), rows)


def record_select(session: Session, rows: Select[Any]) -> None:
    """GOV-1 for set-based moves: one INSERT … SELECT whose columns are SET_COLUMNS, in order."""
    session.execute(insert(AuditEntry).from_select(list(SET_COLUMNS), rows))


def search(
    session: Session,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    rule: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEntry], int, bool]:
    q = select(AuditEntry)
    if actor_id is not None:
        q = q.where(AuditEntry.actor_id == actor_id)
    if action:
        q = q.where(AuditEntry.action.like(f"{action}%"))
    if object_type:
        q = q.where(AuditEntry.object_type == object_type)
    if object_id:
        q = q.where(AuditEntry.object_id == object_id)
    if rule:
        q = q.where(AuditEntry.rule == rule)
    if since:
        q = q.where(AuditEntry.at >= since)
    if until:
        q = q.where(AuditEntry.at < until)
    total, capped = count_capped(session, q.with_only_columns(AuditEntry.id))  # LIST-2
    rows = session.scalars(
        q.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(rows), total, capped


def facets(session: Session) -> tuple[list[str], list[str]]:
    """The actions and object types present in the trail (for the audit page's filters)."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    types = session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    return list(actions), list(types)
