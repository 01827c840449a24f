"""Tickets as the API and the pages show them, and the scoped, filtered lists (SVC-8): newest first,
each filter served by an index, the total counted only up to a cap so a list of a million tickets
costs what one page costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import Contact, Customer
from poolcrm.customers.phones import format_phone
from poolcrm.db import first_page_total
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.service import rules, sla
from poolcrm.service.access import scoped, visible_id_queries
from poolcrm.service.models import OPEN_STATUSES, PENDING, Ticket, TicketFile, TicketLog
from poolcrm.service.tickets import documents_of

COUNT_CAP = 10000


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    customer_id: int | None = None
    breached: bool = False
    request_type: str | None = None
    kind: str | None = None
    q: str | None = None


def _status_in(statuses: tuple[str, ...]) -> ColumnElement[bool]:
    """The status filter with its values written into the SQL: a prepared statement's generic plan
    (psycopg prepares a query after a few runs) then still knows open tickets are few and reads
    them through the status index, instead of scanning a million rows to count them."""
    return Ticket.status.in_([literal(s, literal_execute=True) for s in statuses])


def _filtered(query: Any, f: TicketFilter) -> Any:
    if f.status == "open":
        query = query.where(_status_in(OPEN_STATUSES))
    elif f.status:
        query = query.where(_status_in((f.status,)))
    if f.unassigned:
        query = query.where(Ticket.assignee_id.is_(None), _status_in((PENDING,)))
    elif f.assignee_id is not None:
        query = query.where(Ticket.assignee_id == f.assignee_id)
    if f.customer_id is not None:
        query = query.where(Ticket.customer_id == f.customer_id)
    if f.breached:
        query = query.where(Ticket.breach_count > 0)
    if f.request_type:
        query = query.where(Ticket.request_type == f.request_type)
    if f.kind:
        query = query.where(Ticket.kind == f.kind)
    if f.q:
        query = query.where(Ticket.number == f.q.strip().upper())
    return query


def list_tickets(
    session: Session, user: User, f: TicketFilter, page: int = 1, page_size: int = 50
) -> tuple[list[Ticket], int]:
    """SVC-8: the tickets the user may see, filtered, newest first; the total up to COUNT_CAP."""
    query = _filtered(scoped(session, user, select(Ticket)), f)
    items = list(
        session.scalars(
            query.order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    shown = first_page_total(items, page, page_size)
    return items, _count(session, user, f) if shown is None else shown


def _count(session: Session, user: User, f: TicketFilter) -> int:
    """How many tickets match, counted up to COUNT_CAP + 1: over every ticket for those who see
    all; for the others, one capped index read per way they see tickets (SVC-8) — a way past the
    cap settles it, otherwise the few ids are united here (a ticket seen two ways counts once;
    a SQL UNION of the ways got a poor generic plan once psycopg prepared it)."""
    ways = visible_id_queries(session, user)
    if ways is None:
        capped = _filtered(select(Ticket.id), f).limit(COUNT_CAP + 1).subquery()
        return session.scalar(select(func.count()).select_from(capped)) or 0
    seen: set[int] = set()
    for way in ways:
        ids = list(session.scalars(_filtered(way, f).limit(COUNT_CAP + 1)))
        if len(ids) > COUNT_CAP:
            return len(ids)
        seen.update(ids)
    return len(seen)


def customer_tickets(session: Session, user: User, customer_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """SVC-8: the customer's latest tickets the viewer may see (its rep sees them all)."""
    items, _ = list_tickets(session, user, TicketFilter(customer_id=customer_id), 1, limit)
    return tickets_out(session, items)


def _person(people: dict[int, User], uid: int | None) -> dict[str, Any] | None:
    user = people.get(uid) if uid is not None else None
    return {"id": user.id, "display_name": user.display_name} if user is not None else None


def _phone(value: str | None) -> str | None:
    return format_phone(value) if value else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def tickets_out(session: Session, tickets: list[Ticket]) -> list[dict[str, Any]]:
    """A page of tickets with their customers and people read in two queries (no N+1)."""
    customer_ids = {t.customer_id for t in tickets}
    names = (
        dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all())
        if customer_ids
        else {}
    )
    people = users_by_id(session, [t.assignee_id for t in tickets] + [t.created_by for t in tickets])
    now = clock.now()
    return [_brief(t, names, people, now) for t in tickets]


def _brief(t: Ticket, names: dict[int, str], people: dict[int, User], now: datetime) -> dict[str, Any]:
    deadlines = sla.shown_deadlines(t)
    watched = t.next_deadline_at
    return {
        "id": t.id,
        "number": t.number,
        "subject": t.subject,
        "customer": {"id": t.customer_id, "name": names.get(t.customer_id, "")},
        "kind": t.kind,
        "kind_label": rules.KINDS[t.kind][0],
        "request_type": t.request_type,
        "request_type_label": rules.REQUEST_TYPES[t.request_type][0],
        "priority": t.priority,
        "priority_label": rules.PRIORITIES[t.priority][0],
        "urgent": t.urgent,
        "emotion": t.emotion,
        "product": t.product,
        "status": t.status,
        "status_label": rules.STATUS_NAMES[t.status][0],
        "assignee": _person(people, t.assignee_id),
        "created_by": _person(people, t.created_by),
        "created_at": t.created_at.isoformat(),
        "age_minutes": int((now - t.created_at).total_seconds() // 60),
        "deadlines": {k: v.isoformat() for k, v in deadlines.items()},
        "next_deadline_at": _iso(watched),
        "minutes_to_next_deadline": int((watched - now).total_seconds() // 60) if watched else None,
        "breaches": list(t.breaches or []),
        "breach_count": t.breach_count,
        "rating": {"score": t.rating_score, "comment": t.rating_comment, "rated_at": _iso(t.rated_at)}
        if t.rated_at
        else None,
    }


def ticket_out(session: Session, ticket: Ticket, *, full: bool = False) -> dict[str, Any]:
    out = tickets_out(session, [ticket])[0]
    if not full:
        return out
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    logs = list(
        session.scalars(select(TicketLog).where(TicketLog.ticket_id == ticket.id).order_by(TicketLog.id))
    )
    files = list(
        session.scalars(select(TicketFile).where(TicketFile.ticket_id == ticket.id).order_by(TicketFile.id))
    )
    people = users_by_id(session, [x.author_id for x in logs] + [f.uploaded_by for f in files])
    out.update(
        description=ticket.description,
        contact={"id": contact.id, "name": contact.name, "phone": _phone(contact.mobile or contact.phone)}
        if contact
        else None,
        result=ticket.result,
        abandon_reason=ticket.abandon_reason,
        customer_confirmed=ticket.customer_confirmed,
        accepted_at=_iso(ticket.accepted_at),
        resolved_at=_iso(ticket.resolved_at),
        closed_at=_iso(ticket.closed_at),
        sla_clock=ticket.sla_clock,
        sla=[
            {**v, "name": k, "due": v["due"].isoformat()} for k, v in sla.time_left(session, ticket).items()
        ],
        complaint={
            "cause": ticket.complaint_cause,
            "action": ticket.improvement_action,
            "done": ticket.action_done,
        },
        log=[
            {
                "action": x.action,
                "text": x.text,
                "at": x.at.isoformat(),
                "author": _person(people, x.author_id),
            }
            for x in logs
        ],
        files=[
            {
                "id": f.id,
                "doc_type": f.doc_type,
                "doc_label": rules.DOC_TYPES[f.doc_type][0],
                "filename": f.filename,
                "size": f.size,
                "uploaded_at": f.uploaded_at.isoformat(),
                "uploaded_by": _person(people, f.uploaded_by),
            }
            for f in files
        ],
        missing_documents=rules.missing_documents(ticket.kind, documents_of(session, ticket.id)),
    )
    return out
