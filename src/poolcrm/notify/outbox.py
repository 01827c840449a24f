"""NOTE-2: the outbox. A notification's deliveries (email, group robots) are rows written in the
same transaction as the change that causes them; a sender (`notify.sender`) sends them after
commit. Here: the fan-out (who gets what by which channel) and the claim/outcome bookkeeping the
senders share, atomic on PostgreSQL with `FOR UPDATE SKIP LOCKED`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.db import ids_select
from poolcrm.notify import rules
from poolcrm.notify.models import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    Channel,
    ChannelRoute,
    Delivery,
    DeliveryAttempt,
    NotifySettings,
)
from poolcrm.org.models import User

CLAIM_LEASE = timedelta(minutes=5)
"""A claimed delivery not finished within this is claimable again (its sender died mid-send)."""


@dataclass(frozen=True)
class _Channels:
    """The active channels, the first of each type (a user's choice of a type lands there unless
    their department routes that type elsewhere), and the department routes of one kind."""

    by_type: dict[str, int]
    types: dict[int, str]
    routes: dict[int, list[int]]


def _channels(session: Session, kind: str) -> _Channels | None:
    rows = session.execute(
        select(Channel.id, Channel.type)
        .where(Channel.active.is_(True), Channel.removed_at.is_(None))
        .order_by(Channel.id)
    ).all()
    if not rows:
        return None
    types = {cid: type_ for cid, type_ in rows}
    by_type: dict[str, int] = {}
    for cid, type_ in rows:
        by_type.setdefault(type_, cid)
    routes: dict[int, list[int]] = defaultdict(list)
    for dept, cid in session.execute(
        select(ChannelRoute.department_id, ChannelRoute.channel_id).where(ChannelRoute.kind.in_([kind, "*"]))
    ):
        if cid in types:
            routes[dept].append(cid)
    return _Channels(by_type, types, dict(routes))


def targets(
    kind: str,
    settings: NotifySettings | None,
    user_email: str | None,
    department_id: int | None,
    channels: _Channels,
) -> list[tuple[int, str]]:
    """NOTE-1: (channel, address) pairs for one user's notification of `kind`: each type they
    chose (email to their address; a robot type to their department's robot of that type, else the
    company's first, @mentioning their IM id), plus the robots their department routes `kind` to."""
    chosen = rules.chosen_channels(kind, settings.channels if settings else None)
    im_ids: dict[str, str] = dict(settings.im_ids or {}) if settings else {}
    email = (settings.email if settings else None) or user_email
    routed = channels.routes.get(department_id or -1, [])
    out: dict[int, str] = {}
    for choice in chosen:
        type_ = rules.CHANNEL_OF_PREFERENCE[choice]
        if type_ == rules.SMTP:
            if email and type_ in channels.by_type:
                out[channels.by_type[type_]] = email
            continue
        own = [cid for cid in routed if channels.types[cid] == type_]
        cid = own[0] if own else channels.by_type.get(type_)
        if cid is not None:
            out[cid] = im_ids.get(type_, "")
    for cid in routed:
        if channels.types[cid] != rules.SMTP:
            out.setdefault(cid, im_ids.get(channels.types[cid], ""))
    return sorted(out.items())


def enqueue(session: Session, written: Sequence[tuple[int, int]], kind: str, due_at: datetime | None) -> int:
    """NOTE-2: write the deliveries of the notifications `written` ((note id, user id) pairs) in the
    caller's transaction, due at `due_at` (NOTE-3) or now. Returns how many were queued."""
    if not written:
        return 0
    channels = _channels(session, kind)
    if channels is None:
        return 0
    users = sorted({uid for _, uid in written})
    settings: dict[int, NotifySettings] = {}
    people: dict[int, tuple[str | None, int | None]] = {}
    for i in range(0, len(users), 5_000):
        chunk = ids_select(session, users[i : i + 5_000])
        settings.update(
            (s.user_id, s)
            for s in session.scalars(select(NotifySettings).where(NotifySettings.user_id.in_(chunk)))
        )
        people.update(
            (uid, (email, dept))
            for uid, email, dept in session.execute(
                select(User.id, User.email, User.department_id).where(User.id.in_(chunk))
            )
        )
    now = clock.now()
    when = max(due_at, now) if due_at is not None else now
    rows: list[dict[str, Any]] = []
    for note_id, uid in written:
        email, dept = people.get(uid, (None, None))
        for cid, address in targets(kind, settings.get(uid), email, dept, channels):
            rows.append(
                {
                    "notification_id": note_id,
                    "channel_id": cid,
                    "address": address[:200],
                    "idempotency_key": f"n{note_id}-c{cid}",
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": when,
                    "created_at": now,
                }
            )
    for i in range(0, len(rows), 5_000):
        session.execute(insert(Delivery), rows[i : i + 5_000])
    return len(rows)


def claimable(now: datetime) -> Any:
    """NOTE-2: due and unclaimed, or claimed by a sender that did not finish within its lease."""
    return or_(
        and_(Delivery.status == PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.status == SENDING, Delivery.claimed_until < now),
    )


def claim(session: Session, limit: int, only: list[int] | None = None) -> list[tuple[int, int]]:
    """NOTE-2: take up to `limit` due deliveries for this sender, as (delivery, channel) pairs. On
    PostgreSQL the rows are locked with SKIP LOCKED, so two app processes never take the same one;
    the claim is committed before anything is sent (a crash after it leaves the rows to be claimed
    again when the lease ends). A robot's per-minute limit is kept here: what would exceed it stays
    queued (never dropped) until the minute frees up."""
    now = clock.now()
    query = (
        select(Delivery.id, Delivery.channel_id)
        .where(claimable(now))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(Delivery.id.in_(only))
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        query = query.with_for_update(skip_locked=True, of=Delivery)
    taken = [(did, cid) for did, cid in session.execute(query)]
    if not taken:
        return []
    taken, held = _within_rate_limits(session, taken, now, lock=postgres)
    for retry_at, ids in held.items():
        session.execute(
            update(Delivery).where(Delivery.id.in_(ids_select(session, ids))).values(next_attempt_at=retry_at)
        )
    if taken:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids_select(session, [did for did, _ in taken])))
            .values(status=SENDING, claimed_until=now + CLAIM_LEASE)
        )
    return taken


def _within_rate_limits(
    session: Session, taken: list[tuple[int, int]], now: datetime, *, lock: bool
) -> tuple[list[tuple[int, int]], dict[datetime, list[int]]]:
    """NOTE-2: split a claim into what the channels' per-minute limits allow now and what waits
    (by the time it may go). The limited channels' rows are locked first (PostgreSQL), so two
    processes count each other's claims; sent and in-flight messages of the last 60 s count."""
    limits = {
        cid: limit
        for cid, type_, config in session.execute(
            select(Channel.id, Channel.type, Channel.config).where(Channel.id.in_({cid for _, cid in taken}))
        )
        if (limit := rules.per_minute(type_, config or {}))
    }
    if not limits:
        return taken, {}
    if lock:
        session.execute(
            select(Channel.id).where(Channel.id.in_(sorted(limits))).order_by(Channel.id).with_for_update()
        )
    since = now - timedelta(seconds=60)
    used: dict[int, list[datetime]] = defaultdict(list)
    mine = {did for did, _ in taken}
    for did, cid, sent_at in session.execute(
        select(Delivery.id, Delivery.channel_id, Delivery.sent_at).where(
            Delivery.channel_id.in_(sorted(limits)),
            or_(
                and_(Delivery.status == SENT, Delivery.sent_at > since),
                and_(Delivery.status == SENDING, Delivery.claimed_until >= now),
            ),
        )
    ):
        if did not in mine:
            used[cid].append(sent_at or now)
    allowed: list[tuple[int, int]] = []
    held: dict[datetime, list[int]] = defaultdict(list)
    for did, cid in taken:
        cap = limits.get(cid)
        if cap is None or len(used[cid]) < cap:
            allowed.append((did, cid))
            used[cid].append(now)
        else:
            held[min(used[cid]) + timedelta(seconds=60)].append(did)
    return allowed, dict(held)


@dataclass(frozen=True)
class Result:
    """One attempt's outcome for `record`."""

    delivery_id: int
    outcome: rules.Outcome
    retry_at: datetime | None  # None: finished (sent, or failed for good)


def record(session: Session, results: Iterable[Result]) -> None:
    """NOTE-2: store each attempt in the delivery log and move its delivery on: sent; queued again
    at `retry_at` (a throttled attempt is not counted); or failed for good."""
    now = clock.now()
    results = list(results)
    if not results:
        return
    session.execute(
        insert(DeliveryAttempt),
        [
            {
                "delivery_id": r.delivery_id,
                "attempted_at": now,
                "outcome": "sent" if r.outcome.ok else ("throttled" if r.outcome.throttled else "error"),
                "vendor_code": r.outcome.code,
                "detail": r.outcome.detail[:500] or None,
            }
            for r in results
        ],
    )
    sent = [r.delivery_id for r in results if r.outcome.ok]
    if sent:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids_select(session, sent)), Delivery.status == SENDING)
            .values(
                status=SENT,
                sent_at=now,
                attempts=Delivery.attempts + 1,
                claimed_until=None,
                vendor_code=None,
                last_error=None,
            )
        )
    for r in results:
        if r.outcome.ok:
            continue
        values: dict[str, Any] = {
            "vendor_code": r.outcome.code,
            "last_error": r.outcome.detail[:500],
            "claimed_until": None,
            "attempts": Delivery.attempts + (0 if r.outcome.throttled else 1),
        }
        if r.retry_at is None:
            values["status"] = FAILED
        else:
            values.update(status=PENDING, next_attempt_at=r.retry_at)
        session.execute(
            update(Delivery).where(Delivery.id == r.delivery_id, Delivery.status == SENDING).values(**values)
        )
