"""NOTE-1: notifications. Every capability calls `notify(...)`; in-app delivery always."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.db import ids_select
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
    if dedupe_key is not None and _already_sent(session, [user_id], dedupe_key):
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


def notify_many(
    session: Session,
    recipients: Mapping[int, Mapping[str, Any]],
    kind: str,
    message: str,
    *,
    link: str | None = None,
    rule: str | None = None,
    dedupe_key: str | None = None,
) -> list[int]:
    """`notify` for many users at once (daily jobs: one note per owner): `recipients` maps each
    user to the note's params. One query finds who already has `dedupe_key`, one bulk INSERT
    writes the rest. Returns the users notified."""
    todo = dict(recipients)
    if dedupe_key is not None:
        for uid in _already_sent(session, list(todo), dedupe_key):
            todo.pop(uid, None)
    if not todo:
        return []
    now = clock.now()
    session.execute(
        insert(Notification),
        [
            {
                "user_id": uid,
                "kind": kind,
                "message": message,
                "params": dict(params),
                "link": link,
                "rule": rule,
                "dedupe_key": dedupe_key,
                "created_at": now,
            }
            for uid, params in sorted(todo.items())
        ],
    )
    return sorted(todo)


@dataclass(frozen=True)
class Note:
    """One notification of a batch (`notify_each`): to whom, its dedupe key, params and link."""

    user_id: int
    dedupe_key: str
    params: Mapping[str, Any]
    link: str | None = None


def notify_each(
    session: Session, notes: Sequence[Note], kind: str, message: str, *, rule: str | None = None
) -> int:
    """Many notifications of one kind, each with its own dedupe key (a daily job's reminders, one per
    overdue item): one query per 500 (user, key) pairs finds those already sent, one bulk INSERT
    writes the rest. Returns how many were written."""
    session.flush()
    sent: set[tuple[int, str]] = set()
    pairs = sorted({(n.user_id, n.dedupe_key) for n in notes})
    for i in range(0, len(pairs), 500):  # (user_id, dedupe_key) is the unique index: one probe each
        column = tuple_(Notification.user_id, Notification.dedupe_key)
        rows = session.execute(
            select(Notification.user_id, Notification.dedupe_key).where(column.in_(pairs[i : i + 500]))
        )
        sent.update((uid, key) for uid, key in rows)
    todo = {(n.user_id, n.dedupe_key): n for n in notes if (n.user_id, n.dedupe_key) not in sent}
    if todo:
        now = clock.now()
        session.execute(
            insert(Notification),
            [
                {
                    "user_id": n.user_id,
                    "kind": kind,
                    "message": message,
                    "params": dict(n.params),
                    "link": n.link,
                    "rule": rule,
                    "dedupe_key": n.dedupe_key,
                    "created_at": now,
                }
                for n in todo.values()
            ],
        )
    return len(todo)


def _already_sent(session: Session, user_ids: list[int], dedupe_key: str) -> set[int]:
    """The users among `user_ids` holding a notification with `dedupe_key` (pending ones included)."""
    session.flush()
    return set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.dedupe_key == dedupe_key, Notification.user_id.in_(ids_select(session, user_ids))
            )
        )
    )


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
