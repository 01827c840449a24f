"""SVC-4: a ticket's deadlines on the clock in force (calendar time, or working hours on the company
calendar with its holidays and 调休 make-up days), the time left, and the breach scan that runs every
minute: each missed deadline is counted once, logged, and notified to the assignee, the service
supervisor and one level above."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.calendar.rules import add_business_minutes, business_minutes_between
from poolcrm.calendar.service import get_calendar
from poolcrm.db import for_update
from poolcrm.i18n import TERMS
from poolcrm.notify.service import Note, notify_each
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import get_policy
from poolcrm.service import rules
from poolcrm.service.access import service_supervisors
from poolcrm.service.models import DEADLINES, OPEN_STATUSES, Ticket, TicketLog

BUSINESS = "business"
SCAN_BATCH = 2000
DEADLINE_NAMES: dict[str, str] = {
    "assign_by": "分派",
    "respond_by": "首次响应",
    "contact_by": "首次联系",
    "resolve_by": "解决",
}


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def targets(policy: Policy) -> rules.SlaTargets:
    return rules.SlaTargets(
        response={
            "high": policy.sla_high_response_minutes,
            "medium": policy.sla_medium_response_minutes,
            "low": policy.sla_low_response_minutes,
        },
        resolve={
            "high": policy.sla_high_resolve_hours * 60,
            "medium": policy.sla_medium_resolve_hours * 60,
            "low": policy.sla_low_resolve_hours * 60,
        },
        complaint_assign=policy.sla_complaint_assign_minutes,
        complaint_contact=policy.sla_complaint_contact_minutes,
        complaint_resolve=policy.sla_complaint_resolve_hours * 60,
    )


def _later(session: Session, policy: Policy, mode: str, start: datetime, minutes: int) -> datetime:
    if mode != BUSINESS:
        return start + timedelta(minutes=minutes)
    zone = ZoneInfo(policy.timezone)
    wall = clock.local(start, policy.timezone).replace(tzinfo=None)
    due = add_business_minutes(
        wall,
        minutes,
        get_calendar(session),
        _hhmm(policy.working_hours_start),
        _hhmm(policy.working_hours_end),
    )
    return due.replace(tzinfo=zone).astimezone(UTC)


def set_deadlines(session: Session, ticket: Ticket) -> None:
    """SVC-4: fix the ticket's deadlines from its opening time, type and priority, on the clock the
    policy names now (a later policy change does not move an open ticket's deadlines)."""
    policy = get_policy(session)
    ticket.sla_clock = policy.sla_clock
    minutes = rules.sla_minutes(ticket.request_type, ticket.priority, targets(policy))
    due = {
        name: _later(session, policy, ticket.sla_clock, ticket.created_at, m) for name, m in minutes.items()
    }
    ticket.assign_by = due.get("assign_by")
    ticket.contact_by = due.get("contact_by")
    ticket.respond_by = due.get("respond_by")
    ticket.resolve_by = due.get("resolve_by")
    ticket.breaches = []
    ticket.breach_count = 0
    refresh_next_deadline(ticket)


def deadlines(ticket: Ticket) -> dict[str, datetime | None]:
    """The ticket's deadlines (a complaint has no `respond_by`: its first contact is its first
    response, `rules.sla_minutes`)."""
    return {name: getattr(ticket, name) for name in DEADLINES}


def shown_deadlines(ticket: Ticket) -> dict[str, datetime]:
    """API.md's `deadlines`: those set, `respond_by` always there (a complaint's first contact)."""
    out = {name: due for name, due in deadlines(ticket).items() if due is not None}
    if "respond_by" not in out and ticket.contact_by is not None:
        out["respond_by"] = ticket.contact_by
    return out


def met(ticket: Ticket) -> dict[str, bool]:
    return {name: getattr(ticket, rules.milestone_of(name)) is not None for name in DEADLINES}


def refresh_next_deadline(ticket: Ticket) -> None:
    """SVC-4: what the breach scan watches next; nothing once the ticket is no longer open."""
    if ticket.status not in OPEN_STATUSES:
        ticket.next_deadline_at = None
        return
    ticket.next_deadline_at = rules.next_deadline(deadlines(ticket), met(ticket), ticket.breaches or [])


def time_left(session: Session, ticket: Ticket, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """SVC-4: per deadline, when it is, whether it was met, and the minutes left (negative: overdue),
    counted on the ticket's own clock."""
    now = now or clock.now()
    policy = get_policy(session)
    flags = met(ticket)
    out: dict[str, dict[str, Any]] = {}
    for name, due in deadlines(ticket).items():
        if due is None:
            continue
        if ticket.sla_clock == BUSINESS:
            tz = policy.timezone
            left = business_minutes_between(
                clock.local(now, tz).replace(tzinfo=None),
                clock.local(due, tz).replace(tzinfo=None),
                get_calendar(session),
                _hhmm(policy.working_hours_start),
                _hhmm(policy.working_hours_end),
            )
        else:
            left = int((due - now).total_seconds() // 60)
        out[name] = {
            "due": due,
            "met": flags[name],
            "breached": name in (ticket.breaches or []),
            "minutes_left": left,
            "label": DEADLINE_NAMES[name],
        }
    return out


Recipients = tuple[list[int], list[int]]


def breach_recipients(
    session: Session, ticket: Ticket, known: dict[int | None, Recipients] | None = None
) -> Recipients:
    """SVC-4: who hears of a breach — the assignee and the service supervisor — and, one level up,
    the supervisor's own supervisor (the escalation). `known` caches the answer per assignee over a
    scan: a backlog of a thousand tickets asks a few dozen times, not a thousand."""
    if known is not None and ticket.assignee_id in known:
        return known[ticket.assignee_id]
    assignee = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    if assignee is not None and rules.is_service_supervisor(assignee.roles):
        leads = [assignee.id]
    elif assignee is not None and assignee.supervisor_id is not None:
        leads = [assignee.supervisor_id]
    else:
        leads = service_supervisors(session)
    first = sorted({*leads, *([assignee.id] if assignee is not None else [])})
    above = {u.supervisor_id for u in users_by_id(session, leads).values() if u.supervisor_id is not None}
    answer = (first, sorted(above - set(first)))
    if known is not None:
        known[ticket.assignee_id] = answer
    return answer


def scan_breaches(session: Session, now: datetime | None = None) -> list[int]:
    """SVC-4, every minute: the open tickets whose next deadline has passed (an indexed read of the
    few due, whatever the number of tickets), each missed deadline counted once and notified."""
    now = now or clock.now()
    due = session.scalars(
        for_update(
            select(Ticket)
            .where(Ticket.next_deadline_at.is_not(None), Ticket.next_deadline_at <= now)
            .order_by(Ticket.next_deadline_at)
            .limit(SCAN_BATCH)
        )
    ).all()
    notes: list[Note] = []
    breached: list[int] = []
    known: dict[int | None, Recipients] = {}
    for ticket in due:
        names = rules.newly_breached(deadlines(ticket), met(ticket), ticket.breaches or [], now)
        if names:
            breached.append(ticket.id)
            ticket.breaches = [*(ticket.breaches or []), *names]
            ticket.breach_count = len(ticket.breaches)
            notes.extend(_breach_notes(session, ticket, names, now, known))
        refresh_next_deadline(ticket)
    session.flush()
    if notes:
        notify_each(
            session, notes, "service.sla_breach", "工单 {number} 超时：{deadline}（{subject}）", rule="SVC-4"
        )
    return breached


def _breach_notes(
    session: Session, ticket: Ticket, names: list[str], now: datetime, known: dict[int | None, Recipients]
) -> list[Note]:
    first, above = breach_recipients(session, ticket, known)
    notes: list[Note] = []
    for name in names:
        label = DEADLINE_NAMES[name]
        session.add(TicketLog(ticket_id=ticket.id, author_id=None, action="breach", text=name, at=now))
        # the deadline's name is a catalogue term: each reader gets it in their language
        params = {"number": ticket.number, "deadline": label, "subject": ticket.subject, TERMS: ["deadline"]}
        link = f"/tickets/{ticket.id}"
        notes.extend(Note(uid, f"SVC-4:{ticket.id}:{name}", params, link) for uid in first)
        notes.extend(Note(uid, f"SVC-4:{ticket.id}:{name}:up", params, link) for uid in above)
    return notes
