"""NOTE-1: notifications. Every capability calls `notify(...)`; in-app delivery always."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.errors import NotFound
from poolcrm.i18n import translate
from poolcrm.notify.models import Notification


def notify(
    session: Session,
    user_id: int,
    kind: str,
    message: str,
    *,
    link: str | None = None,
    rule: str | None = None,
    dedupe_key: str | None = None,
    **params: Any,
) -> Notification | None:
    """Queue a notification. `message` is a Chinese catalogue string with {params}.
    With a `dedupe_key`, a second notification with the same key to the same user is skipped
    (daily jobs are idempotent)."""
    if dedupe_key is not None:
        exists = session.scalar(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.dedupe_key == dedupe_key
            )
        )
        if exists:
            return None
    note = Notification(
        user_id=user_id,
        kind=kind,
        message=message,
        params=params,
        link=link,
        rule=rule,
        dedupe_key=dedupe_key,
        created_at=clock.now(),
    )
    session.add(note)
    return note


def render(note: Notification, lang: str) -> str:
    return translate(note.message, lang, **(note.params or {}))


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_for(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    q = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    return list(session.scalars(q.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user_id: int, note_id: int | None = None) -> int:
    q = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if note_id is not None:
        note = session.get(Notification, note_id)
        if note is None or note.user_id != user_id:
            raise NotFound()
        q = q.where(Notification.id == note_id)
    result = session.execute(q.values(read_at=clock.now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
