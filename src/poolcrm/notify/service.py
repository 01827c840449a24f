"""NOTE-1: notifications. Every capability calls `notify(...)`; in-app delivery always."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.db import ids_select
from poolcrm.errors import NotFound
from poolcrm.i18n import translate
from poolcrm.notify.models import LINK_LENGTH, Notification
from poolcrm.notify.outbox import enqueue


def notify(
    session: Session,
    user_id: int,
    kind: str,
    message: str,
    *,
    link: str | None = None,
    rule: str | None = None,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
    **params: Any,
) -> Notification | None:
    """Queue a notification. `message` is a Chinese catalogue string with {params}.
    With a `dedupe_key`, a second notification with the same key to the same user is skipped
    (daily jobs are idempotent). NOTE-2: its deliveries to the user's outside channels are
    written in this transaction; NOTE-3: with `due_at` it shows and goes out at that time."""
    _check_link(link)
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
        due_at=due_at,
    )
    session.add(note)
    session.flush()
    enqueue(session, [(note.id, user_id)], kind, due_at)
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
    due_at: datetime | None = None,
) -> list[int]:
    """`notify` for many users at once (daily jobs: one note per owner): `recipients` maps each
    user to the note's params. One query finds who already has `dedupe_key`, one bulk INSERT
    writes the rest. Returns the users notified."""
    _check_link(link)
    todo = dict(recipients)
    if dedupe_key is not None:
        for uid in _already_sent(session, list(todo), dedupe_key):
            todo.pop(uid, None)
    if not todo:
        return []
    now = clock.now()
    rows = [
        {
            "user_id": uid,
            "kind": kind,
            "message": message,
            "params": dict(params),
            "link": link,
            "rule": rule,
            "dedupe_key": dedupe_key,
            "created_at": now,
            "due_at": due_at,
        }
        for uid, params in sorted(todo.items())
    ]
    _write(session, rows, kind, due_at)
    return sorted(todo)


def _check_link(link: str | None) -> None:
    """NOTE-1: a link is a path of ours naming objects by id (`/deals/12`, `/customers/new?inbound=3`),
    never the user's text, so it always fits its column. A longer one is a bug in the caller: it is
    raised here, at the call, on every engine — SQLite would store it and PostgreSQL fail the request
    inside the flush — so a test finds it; cutting it short would leave a broken link instead."""
    if link is not None and len(link) > LINK_LENGTH:
        raise ValueError(
            f"notification link of {len(link)} characters (at most {LINK_LENGTH}): "
            "name the object by its id, do not carry its text"
        )


def _write(session: Session, rows: list[dict[str, Any]], kind: str, due_at: datetime | None) -> None:
    """One bulk INSERT of notifications, their ids returned for the outbox (NOTE-2)."""
    for i in range(0, len(rows), 5_000):
        written = session.execute(
            insert(Notification).returning(Notification.id, Notification.user_id), rows[i : i + 5_000]
        ).all()
        enqueue(session, [(nid, uid) for nid, uid in written], kind, due_at)


@dataclass(frozen=True)
class Note:
    """One notification of a batch (`notify_each`): to whom, its dedupe key, params and link."""

    user_id: int
    dedupe_key: str
    params: Mapping[str, Any]
    link: str | None = None


def notify_each(
    session: Session,
    notes: Sequence[Note],
    kind: str,
    message: str,
    *,
    rule: str | None = None,
    due_at: datetime | None = None,
) -> int:
    """Many notifications of one kind, each with its own dedupe key (a daily job's reminders, one per
    overdue item): one query per 500 (user, key) pairs finds those already sent, one bulk INSERT
    writes the rest. Returns how many were written."""
    for note in notes:
        _check_link(note.link)
    session.flush()
    sent: set[tuple[int, str | None]] = set()
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
        values = [
            {
                "user_id": n.user_id,
                "kind": kind,
                "message": message,
                "params": dict(n.params),
                "link": n.link,
                "rule": rule,
                "dedupe_key": n.dedupe_key,
                "created_at": now,
                "due_at": due_at,
            }
            for n in todo.values()
        ]
        _write(session, values, kind, due_at)
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


def _shown_by(now: Any) -> ColumnElement[bool]:
    """NOTE-3: a notification shows in the app from its time on (a 09:00 reminder at 09:00)."""
    return or_(Notification.due_at.is_(None), Notification.due_at <= now)


# Built once (with their cache keys): every page's bell counts, every dashboard lists; building a
# statement costs more Python than running it (issue 22)
_UNREAD = select(func.count()).where(
    Notification.user_id == bindparam("uid"), Notification.read_at.is_(None), _shown_by(bindparam("now"))
)
_LISTED = {
    unread_only: select(Notification)
    .where(Notification.user_id == bindparam("uid"), _shown_by(bindparam("now")))
    .where(*([Notification.read_at.is_(None)] if unread_only else []))
    .order_by(Notification.id.desc())
    .limit(bindparam("limit"))
    for unread_only in (False, True)
}


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(_UNREAD, {"uid": user_id, "now": clock.now()}) or 0


def list_for(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    params = {"uid": user_id, "now": clock.now(), "limit": limit}
    return list(session.scalars(_LISTED[unread_only], params))


def mark_read(session: Session, user_id: int, note_id: int | None = None) -> int:
    q = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if note_id is not None:
        note = session.get(Notification, note_id)
        if note is None or note.user_id != user_id:
            raise NotFound()
        q = q.where(Notification.id == note_id)
    result = session.execute(q.values(read_at=clock.now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
