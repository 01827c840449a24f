"""SVC-7 statistics and rankings for a month (optionally one service kind): by staff (tickets,
response and resolution times, SLA kept, ratings), by customer (request frequency), by product
(repair frequency) — each one grouped query over the month's tickets (created_at index), with the
times kept on the ticket when they happen. SVC-5's weekly complaint review lives here too."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from poolcrm.calendar.rules import add_months
from poolcrm.customers.models import Customer
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.policy.service import company_day_start, get_policy
from poolcrm.service import rules
from poolcrm.service.access import lock_ticket, scoped
from poolcrm.service.models import Ticket
from poolcrm.service.tickets import log

BY = ("staff", "customer", "product")
TOP = 50


def month_bounds(session: Session, first: date) -> tuple[datetime, datetime]:
    return company_day_start(session, first), company_day_start(session, add_months(first, 1))


def _round(value: Any, digits: int = 1) -> float | None:
    return round(float(value), digits) if value is not None else None


def ticket_stats(
    session: Session, user: User, by: str, first: date, kind: str | None = None
) -> dict[str, Any]:
    """SVC-7: rows for the month starting `first`, in the user's scope (SVC-8)."""
    if by not in BY:
        raise InvalidInput({"by": "须为 staff/customer/product"}, rule="SVC-7")
    if kind is not None and kind not in rules.KINDS:
        raise InvalidInput({"kind": "未知的服务类型"}, rule="SVC-7")
    start, end = month_bounds(session, first)
    base = [Ticket.created_at >= start, Ticket.created_at < end]
    if kind:
        base.append(Ticket.kind == kind)
    rows = {"staff": _by_staff, "customer": _by_customer, "product": _by_product}[by](session, user, base)
    return {"by": by, "period": f"{first.year:04d}-{first.month:02d}", "kind": kind, "rows": rows}


def _by_staff(session: Session, user: User, base: list[Any]) -> list[dict[str, Any]]:
    kept = func.sum(cast(case((Ticket.breach_count == 0, 1), else_=0), Integer))
    query = scoped(
        session,
        user,
        select(
            Ticket.assignee_id,
            func.count(),
            func.avg(Ticket.response_minutes),
            func.avg(Ticket.resolution_minutes),
            kept,
            func.avg(Ticket.rating_score),
            func.count(Ticket.rating_score),
        )
        .where(*base, Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id),
    )
    data = session.execute(query).all()
    people = users_by_id(session, [r[0] for r in data])
    rows = [
        {
            "key": uid,
            "name": people[uid].display_name if uid in people else str(uid),
            "tickets": count,
            "avg_response_minutes": _round(response),
            "avg_resolution_hours": _round(resolution / 60 if resolution is not None else None),
            "sla_kept_pct": _round(100 * (kept_n or 0) / count) if count else None,
            "avg_rating": _round(rating, 2),
            "ratings": rated,
        }
        for uid, count, response, resolution, kept_n, rating, rated in data
    ]
    return sorted(rows, key=lambda r: (-(r["avg_rating"] or 0), -r["tickets"]))


def _by_customer(session: Session, user: User, base: list[Any]) -> list[dict[str, Any]]:
    count = func.count().label("n")
    query = scoped(
        session,
        user,
        select(Ticket.customer_id, count)
        .where(*base)
        .group_by(Ticket.customer_id)
        .order_by(count.desc(), Ticket.customer_id)
        .limit(TOP),
    )
    data = session.execute(query).all()
    names = dict(
        session.execute(select(Customer.id, Customer.name).where(Customer.id.in_([r[0] for r in data]))).all()
    )
    return [{"key": cid, "name": names.get(cid, ""), "tickets": n} for cid, n in data]


def _by_product(session: Session, user: User, base: list[Any]) -> list[dict[str, Any]]:
    product = func.coalesce(Ticket.product, "")
    count = func.count().label("n")
    query = scoped(
        session,
        user,
        select(product, count)
        .where(*base, Ticket.kind.in_(rules.REPAIRS))
        .group_by(product)
        .order_by(count.desc(), product)
        .limit(TOP),
    )
    return [{"key": p, "name": p or "（未填产品）", "repairs": n} for p, n in session.execute(query).all()]


def week_complaints(session: Session, user: User, monday: date) -> list[Ticket]:
    """SVC-5: the week's complaints (Monday to Sunday, company time), oldest first."""
    start, end = company_day_start(session, monday), company_day_start(session, monday + timedelta(days=7))
    query = scoped(
        session,
        user,
        select(Ticket)
        .where(Ticket.request_type == rules.COMPLAINT, Ticket.created_at >= start, Ticket.created_at < end)
        .order_by(Ticket.created_at, Ticket.id),
    )
    return list(session.scalars(query))


def review_complaint(
    session: Session, actor: User, ticket_id: int, cause: str, action: str, done: bool
) -> Ticket:
    """SVC-5: the review records each complaint's cause, the improvement action and whether it was
    carried out (the service supervisor, CS, the GM)."""
    ticket = lock_ticket(session, actor, ticket_id)
    if ticket.request_type != rules.COMPLAINT:
        raise NotFound()
    if not rules.reviews_complaints(actor.roles):
        raise Forbidden()
    if cause not in get_policy(session).complaint_causes:
        raise InvalidInput({"cause": "请选择投诉原因"}, rule="SVC-5")
    ticket.complaint_cause = cause
    ticket.improvement_action = action.strip() or None
    ticket.action_done = done
    log(session, ticket, actor.id, "review", f"{cause}：{action.strip()}{'（已落实）' if done else ''}")
    session.flush()
    return ticket
