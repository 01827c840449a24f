"""A ticket's life (SVC-1..5): opened on a CRM customer with a number, subject and deadlines,
assigned by the service supervisor (high priority lands on the supervisor at once), confirmed and
worked by the staff member, resolved with a result and the required documents, closed (a confirmed
complaint writes "投诉已解决" into the customer's follow-ups) or abandoned with a reason. Every step
is one transaction with its processing-log line and its audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import customer_for_read
from poolcrm.customers.models import Contact, Customer
from poolcrm.db import upsert_insert
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.followups.service import record_followup
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.org.service import role_holders, users_by_id
from poolcrm.policy.service import company_today, get_policy
from poolcrm.service import rules, sla
from poolcrm.service.access import lock_ticket, service_supervisors
from poolcrm.service.models import (
    ABANDONED,
    CLOSED,
    OPEN_STATUSES,
    PENDING,
    PROCESSING,
    RESOLVED,
    Ticket,
    TicketFile,
    TicketLog,
    TicketSequence,
)
from poolcrm.service.schemas import TicketIn


def _next_number(session: Session, year: int) -> str:
    """SVC-2: the year's next sequence number, taken with one atomic upsert (never shared)."""
    table = TicketSequence.__table__
    stmt = upsert_insert(session)(table).values(year=year, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["year"], set_={"last": table.c.last + 1})
    seq = session.execute(stmt.returning(table.c.last)).scalar_one()
    return rules.ticket_number(year, seq)


def customer_for_ticket(session: Session, actor: User, customer_id: int) -> Customer:
    """SVC-1/SVC-8a: a customer in the CRM; CS and service staff reach any, others those they see."""
    if rules.opens_tickets_on_any_customer(actor.roles):
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound()
    else:
        customer = customer_for_read(session, actor, customer_id)
    if rules.ticket_customer_problem(customer.pool):
        raise RuleViolation("SVC-1", "工单只能建在 CRM 中的客户名下（{name}）", name=customer.name)
    return customer


def _contact(session: Session, customer: Customer, contact_id: int | None) -> int | None:
    if contact_id is None:
        return None
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        raise InvalidInput({"contact_id": "须为该客户的联系人"}, rule="SVC-1")
    return contact.id


def log(session: Session, ticket: Ticket, actor_id: int | None, action: str, text: str = "") -> None:
    session.add(TicketLog(ticket_id=ticket.id, author_id=actor_id, action=action, text=text, at=clock.now()))


def _audit(session: Session, actor: User, ticket: Ticket, action: str, rule: str, **extra: Any) -> None:
    record(
        session,
        actor_id=actor.id,
        action=f"ticket.{action}",
        object_type="ticket",
        object_id=ticket.id,
        after={"number": ticket.number, "status": ticket.status, "assignee_id": ticket.assignee_id, **extra},
        rule=rule,
    )


def service_supervisor(session: Session) -> User | None:
    """SVC-3: the service supervisor who receives high-priority tickets (the first active one)."""
    ids = service_supervisors(session)
    return session.get(User, ids[0]) if ids else None


def open_ticket(session: Session, actor: User, data: TicketIn) -> Ticket:
    """SVC-1..5: a new ticket, pending, with its number, subject and SVC-4 deadlines; a high
    priority (every complaint) goes straight to the service supervisor."""
    description = data.description.strip()
    problems = rules.ticket_problems(data.kind, data.request_type, data.priority, description, data.emotion)
    if problems:
        raise InvalidInput(problems, rule="SVC-1")
    customer = customer_for_ticket(session, actor, data.customer_id)
    contact_id = _contact(session, customer, data.contact_id)
    priority, urgent = rules.effective_priority(data.request_type, data.priority)
    today = company_today(session)
    now = clock.now()
    ticket = Ticket(
        number=_next_number(session, today.year),
        subject=rules.ticket_subject(today, data.kind),
        customer_id=customer.id,
        contact_id=contact_id,
        kind=data.kind,
        request_type=data.request_type,
        priority=priority,
        urgent=urgent,
        emotion=data.emotion,
        product=(data.product or "").strip() or None,
        description=description,
        status=PENDING,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    sla.set_deadlines(session, ticket)
    log(session, ticket, actor.id, "open", description)
    supervisor = service_supervisor(session)
    if rules.auto_assigns_to_supervisor(priority) and supervisor is not None:
        ticket.assignee_id = supervisor.id
        log(session, ticket, None, "auto_assign", supervisor.display_name)
    _audit(session, actor, ticket, "create", "SVC-1", customer_id=customer.id, priority=priority)
    _announce_new(session, ticket, customer, supervisor)
    session.flush()
    return ticket


def _announce_new(session: Session, ticket: Ticket, customer: Customer, supervisor: User | None) -> None:
    link = f"/tickets/{ticket.id}"
    params: dict[str, Any] = {"number": ticket.number, "subject": ticket.subject, "customer": customer.name}
    if supervisor is not None:
        notify(
            session,
            supervisor.id,
            "service.ticket",
            "新工单 {number}：{customer}（{subject}）",
            link=link,
            rule="SVC-3",
            **params,
        )
    if ticket.request_type == rules.COMPLAINT and customer.owner_id is not None:
        notify(
            session,
            customer.owner_id,
            "service.complaint",
            "你的客户 {customer} 投诉：工单 {number}",
            link=link,
            rule="SVC-5",
            **params,
        )


def refuse_action(ticket: Ticket, action: str) -> None:
    """SVC-2: 409 when the ticket's status does not allow the action."""
    problem = rules.action_problem(action, ticket.status)
    if problem:
        raise RuleViolation("SVC-2", rules.ACTION_REFUSED, details={"status": ticket.status}, **problem)


def assign_ticket(
    session: Session, actor: User, ticket_id: int, user_id: int, reassign: bool = False
) -> Ticket:
    """SVC-3: the service supervisor assigns a ticket to a service staff member. A ticket someone
    else already assigned is not taken over silently: 409, unless `reassign` says so — two
    supervisors assigning it at once end with one assignment (row lock) and one 409."""
    ticket = lock_ticket(session, actor, ticket_id)
    if not rules.dispatches_tickets(actor.roles):
        raise Forbidden()
    refuse_action(ticket, "assign")
    target = session.get(User, user_id)
    if target is None or not target.active or not rules.takes_tickets(target.roles):
        raise InvalidInput({"user_id": "须为在职的服务人员"}, rule="SVC-3")
    if ticket.assignee_id is not None and ticket.assignee_id != actor.id and not reassign:
        holder = session.get(User, ticket.assignee_id)
        raise Conflict(
            "工单已分配给 {name}",
            rule="SVC-3",
            details={"assignee_id": ticket.assignee_id},
            name=holder.display_name if holder else "",
        )
    now = clock.now()
    ticket.assignee_id = target.id
    ticket.dispatched_at = ticket.dispatched_at or now
    ticket.status = PENDING
    ticket.updated_at = now
    sla.refresh_next_deadline(ticket)
    log(session, ticket, actor.id, "assign", target.display_name)
    _audit(session, actor, ticket, "assign", "SVC-3")
    if target.id != actor.id:
        notify(
            session,
            target.id,
            "service.assigned",
            "工单 {number} 已分配给你：{subject}",
            link=f"/tickets/{ticket.id}",
            rule="SVC-3",
            number=ticket.number,
            subject=ticket.subject,
        )
    session.flush()
    return ticket


def _minutes_since(start: datetime, now: datetime) -> int:
    return max(0, int((now - start).total_seconds() // 60))


def accept_ticket(session: Session, actor: User, ticket_id: int) -> Ticket:
    """SVC-3: the assignee confirms (确认处理) before working — the first response (SVC-4a)."""
    ticket = lock_ticket(session, actor, ticket_id)
    refuse_action(ticket, "accept")
    if ticket.assignee_id != actor.id:
        raise RuleViolation("SVC-3", "只有被分配的服务人员可以确认处理")
    now = clock.now()
    ticket.status = PROCESSING
    ticket.dispatched_at = ticket.dispatched_at or now
    if ticket.accepted_at is None:
        ticket.accepted_at = now
        ticket.response_minutes = _minutes_since(ticket.created_at, now)
    ticket.updated_at = now
    sla.refresh_next_deadline(ticket)
    log(session, ticket, actor.id, "accept")
    _audit(session, actor, ticket, "accept", "SVC-3")
    session.flush()
    return ticket


def _text(value: str, field: str, message: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput({field: message}, rule="SVC-2")
    return cleaned


def add_log(session: Session, actor: User, ticket_id: int, text: str) -> Ticket:
    """SVC-2: one step of the processing log, with who and when."""
    ticket = lock_ticket(session, actor, ticket_id)
    if not rules.follows_ticket(actor.roles, ticket.assignee_id == actor.id):
        raise Forbidden()
    refuse_action(ticket, "log")
    log(session, ticket, actor.id, "log", _text(text, "text", "请填写处理过程"))
    ticket.updated_at = clock.now()
    session.flush()
    return ticket


def documents_of(session: Session, ticket_id: int) -> list[str]:
    return list(session.scalars(select(TicketFile.doc_type).where(TicketFile.ticket_id == ticket_id)))


def resolve_ticket(session: Session, actor: User, ticket_id: int, result: str) -> Ticket:
    """SVC-2: resolved with a result, once the documents the kind requires are uploaded."""
    ticket = lock_ticket(session, actor, ticket_id)
    if not rules.works_ticket(actor.roles, ticket.assignee_id == actor.id):
        raise Forbidden()
    refuse_action(ticket, "resolve")
    text = _text(result, "result", "请填写处理结果")
    missing = rules.missing_documents(ticket.kind, documents_of(session, ticket.id))
    if missing:
        names = "、".join(rules.DOC_TYPES[m][0] for m in missing)
        raise RuleViolation("SVC-2", "请先上传：{names}", details={"missing": missing}, names=names)
    now = clock.now()
    ticket.status = RESOLVED
    ticket.result = text
    ticket.resolved_at = now
    ticket.resolution_minutes = _minutes_since(ticket.created_at, now)
    ticket.updated_at = now
    sla.refresh_next_deadline(ticket)
    log(session, ticket, actor.id, "resolve", text)
    _audit(session, actor, ticket, "resolve", "SVC-2")
    session.flush()
    return ticket


def close_ticket(session: Session, actor: User, ticket_id: int, customer_confirmed: bool) -> Ticket:
    """SVC-2/SVC-5: a resolved ticket is closed; a complaint closed with the customer's confirmation
    writes "投诉已解决" into the customer's follow-up history."""
    ticket = lock_ticket(session, actor, ticket_id)
    if not rules.follows_ticket(actor.roles, ticket.assignee_id == actor.id):
        raise Forbidden()
    refuse_action(ticket, "close")
    now = clock.now()
    ticket.status = CLOSED
    ticket.closed_at = now
    ticket.customer_confirmed = customer_confirmed
    ticket.updated_at = now
    log(session, ticket, actor.id, "close_confirmed" if customer_confirmed else "close")
    if ticket.request_type == rules.COMPLAINT and customer_confirmed:
        record_followup(
            session,
            customer_id=ticket.customer_id,
            author_id=actor.id,
            subject="致电",
            content=f"{rules.RESOLVED_FOLLOWUP}：工单 {ticket.number}，客户已确认。"
            f"处理结果：{ticket.result or ''}",
            contact_id=ticket.contact_id,
            source="ticket",
            source_id=ticket.id,
        )
    _audit(session, actor, ticket, "close", "SVC-5" if ticket.request_type == rules.COMPLAINT else "SVC-2")
    session.flush()
    return ticket


def abandon_ticket(session: Session, actor: User, ticket_id: int, reason: str) -> Ticket:
    """SVC-2: abandoned with a reason — a state, never a deletion."""
    ticket = lock_ticket(session, actor, ticket_id)
    if not rules.works_ticket(actor.roles, ticket.assignee_id == actor.id):
        raise Forbidden()
    refuse_action(ticket, "abandon")
    text = _text(reason, "reason", "请填写放弃原因")
    ticket.status = ABANDONED
    ticket.abandon_reason = text
    ticket.updated_at = clock.now()
    sla.refresh_next_deadline(ticket)
    log(session, ticket, actor.id, "abandon", text)
    _audit(session, actor, ticket, "abandon", "SVC-2", reason=text)
    session.flush()
    return ticket


def staff_choices(session: Session) -> list[tuple[User, int]]:
    """SVC-3: the active service staff a ticket can be assigned to, each with the number of open
    tickets they hold (the supervisor balances the load)."""
    people = users_by_id(session, role_holders(session, "service"))
    load = dict(
        session.execute(
            select(Ticket.assignee_id, func.count())
            .where(Ticket.assignee_id.in_(list(people)), Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.assignee_id)
        ).all()
    )
    return [(people[uid], load.get(uid, 0)) for uid in sorted(people)]


def max_upload_bytes(session: Session) -> int:
    return get_policy(session).ticket_file_max_mb * 1024 * 1024
