"""SVC-6: the customer rates a closed ticket without logging in. The link is signed with the app
secret (a forged one is refused without touching the database), carries its expiry, and its row
makes it single-use; a newer link replaces older unused ones. Refused attempts are counted per
address and an address that keeps guessing is slowed down (SVC-6a)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.errors import InvalidInput, RuleViolation, TooManyRequests
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.service import rules
from poolcrm.service.access import get_ticket
from poolcrm.service.models import CLOSED, RatingAttempt, RatingLink, Ticket
from poolcrm.service.tickets import log

SALT = "poolcrm.ticket-rating"

OK, INVALID, EXPIRED, USED = "ok", "invalid", "expired", "used"


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def issue_link(session: Session, actor: User, ticket_id: int, secret: str) -> tuple[str, Ticket, datetime]:
    """SVC-6: a fresh link for a closed, unrated ticket (older unused links stop working)."""
    ticket = get_ticket(session, actor, ticket_id)
    if ticket.status != CLOSED:
        raise RuleViolation("SVC-6", "工单关闭后才能请客户评价")
    if ticket.rated_at is not None:
        raise RuleViolation("SVC-6", "客户已评价该工单")
    now = clock.now()
    expires = now + timedelta(days=get_policy(session).rating_link_days)
    session.execute(
        update(RatingLink)
        .where(RatingLink.ticket_id == ticket.id, RatingLink.used_at.is_(None))
        .values(revoked=True)
    )
    nonce = secrets.token_urlsafe(18)
    session.add(
        RatingLink(ticket_id=ticket.id, nonce=nonce, expires_at=expires, created_by=actor.id, created_at=now)
    )
    session.flush()
    return _serializer(secret).dumps({"t": ticket.id, "n": nonce}), ticket, expires


def sms_text(ticket: Ticket, url: str, days: int) -> str:
    """SVC-6: the text prepared for the customer (SMS or email)."""
    return (
        f"尊敬的客户：您的服务工单 {ticket.number}（{ticket.subject}）已完成。"
        f"请为本次服务评分：{url} （{days}天内有效，仅可评价一次）"
    )


@dataclass
class LinkCheck:
    state: str
    link: RatingLink | None = None
    ticket: Ticket | None = None


def check_link(session: Session, token: str, secret: str, *, lock: bool = False) -> LinkCheck:
    """SVC-6: forged, expired, already used (or replaced), or good."""
    try:
        claims = _serializer(secret).loads(token)
        ticket_id, nonce = int(claims["t"]), str(claims["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return LinkCheck(INVALID)
    query = select(RatingLink).where(RatingLink.nonce == nonce, RatingLink.ticket_id == ticket_id)
    if lock:
        query = query.with_for_update()
    link = session.scalar(query)
    if link is None:
        return LinkCheck(INVALID)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return LinkCheck(INVALID)
    if link.used_at is not None or link.revoked or ticket.rated_at is not None:
        return LinkCheck(USED, link, ticket)
    if link.expires_at <= clock.now():
        return LinkCheck(EXPIRED, link, ticket)
    return LinkCheck(OK, link, ticket)


def _throttle(session: Session, address: str | None) -> None:
    """SVC-6a (ours): at most `rating_attempts_limit` refused attempts per address in
    `rating_attempts_window_minutes`."""
    policy = get_policy(session)
    since = clock.now() - timedelta(minutes=policy.rating_attempts_window_minutes)
    count = session.scalar(
        select(func.count())
        .select_from(RatingAttempt)
        .where(RatingAttempt.address == (address or "-"), RatingAttempt.at >= since)
    )
    if (count or 0) >= policy.rating_attempts_limit:
        raise TooManyRequests("尝试次数过多，请稍后再试", rule="SVC-6")


def rate(
    session: Session, token: str, secret: str, score: int | None, comment: str, address: str | None
) -> LinkCheck:
    """SVC-6: record the customer's 1–5 score and comment once. A refused link is counted against
    the address and reported back (the page explains it) rather than raised, so the count is kept."""
    _throttle(session, address)
    check = check_link(session, token, secret, lock=True)
    if check.state != OK or check.link is None or check.ticket is None:
        session.add(RatingAttempt(address=(address or "-")[:64], at=clock.now()))
        return check
    problems = rules.rating_problem(score, comment)
    if problems:
        raise InvalidInput(problems, rule="SVC-6")
    now = clock.now()
    ticket = check.ticket
    ticket.rating_score = score
    ticket.rating_comment = comment.strip() or None
    ticket.rated_at = now
    check.link.used_at = now
    log(session, ticket, None, "rate", f"{'★' * (score or 0)} {comment.strip()}".strip())
    record(
        session,
        actor_id=None,
        action="ticket.rate",
        object_type="ticket",
        object_id=ticket.id,
        after={"score": score},
        rule="SVC-6",
    )
    session.flush()
    return check
