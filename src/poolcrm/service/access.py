"""Who sees a ticket (SVC-8) — one SQL condition for every list and one check for every path to a
ticket (the page, the API, its attachments, its rating link): what a user cannot see answers 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.db import for_update
from poolcrm.errors import NotFound
from poolcrm.org.models import User
from poolcrm.org.service import role_holders, visible_owner_ids
from poolcrm.service import rules
from poolcrm.service.models import PENDING, Ticket


def _ways(session: Session, user: User) -> list[ColumnElement[bool]] | None:
    """SVC-8: None for those who see every ticket; otherwise the ways a ticket is visible — assigned
    to the user's tree, opened by the user, on a customer owned by the user's tree (the customer's
    rep and their managers), and for service staff the team's unassigned queue. Each is served by
    an index of its own."""
    if rules.sees_all_tickets(user.roles):
        return None
    scope = visible_owner_ids(session, user) or frozenset({user.id})
    ways: list[ColumnElement[bool]] = [
        Ticket.assignee_id.in_(scope),
        Ticket.created_by == user.id,
        Ticket.customer_id.in_(select(Customer.id).where(Customer.owner_id.in_(scope))),
    ]
    if rules.takes_tickets(user.roles):
        ways.append(and_(Ticket.assignee_id.is_(None), Ticket.status == PENDING))
    return ways


def visible_condition(session: Session, user: User) -> ColumnElement[bool] | None:
    """SVC-8 as one condition, for a page of tickets newest first: the created_at index is walked
    back until the page is full. The "opened by the user" term is written `created_by + 0` so that
    no engine can serve it from an index: SQLite would otherwise turn the OR into a union of four
    index reads (fifty thousand rows for a busy staff member) and sort them all for one page."""
    ways = _ways(session, user)
    if ways is None:
        return None
    opened = (Ticket.created_by + 0) == user.id
    return or_(*(opened if i == 1 else way for i, way in enumerate(ways)))


def visible_id_queries(session: Session, user: User) -> list[Select[Any]] | None:
    """SVC-8 as one indexed query per way, to count what a user sees by a UNION of index reads
    instead of testing the condition on every ticket."""
    ways = _ways(session, user)
    return None if ways is None else [select(Ticket.id).where(way) for way in ways]


def may_see(session: Session, user: User, ticket: Ticket) -> bool:
    condition = visible_condition(session, user)
    if condition is None:
        return True
    return session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, condition)) is not None


def get_ticket(session: Session, user: User, ticket_id: int) -> Ticket:
    """404 when the ticket does not exist or the user may not see it (every path to it)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not may_see(session, user, ticket):
        raise NotFound()
    return ticket


def lock_ticket(session: Session, user: User, ticket_id: int) -> Ticket:
    """The ticket under its row lock, re-read: two supervisors assigning it, or an assignment and a
    confirmation, queue here and the second sees the first one's result (SVC-3)."""
    get_ticket(session, user, ticket_id)
    ticket = session.scalar(for_update(select(Ticket).where(Ticket.id == ticket_id)))
    assert ticket is not None
    session.refresh(ticket)
    return ticket


def service_supervisors(session: Session) -> list[int]:
    """SVC-3: the active users holding both the service and the supervisor roles, in id order."""
    service = set(role_holders(session, "service"))
    return [uid for uid in role_holders(session, "supervisor") if uid in service]


def scoped(session: Session, user: User, query: Any) -> Any:
    condition = visible_condition(session, user)
    return query if condition is None else query.where(condition)
