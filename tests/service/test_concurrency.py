"""Races on both engines (PostgreSQL row locks, SQLite's single writer): two supervisors assigning
one ticket at once end with one assignment and one 409; tickets opened at the same moment never
share a number; the minute scan run by two nodes at once counts each breach once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from poolcrm import clock
from poolcrm.jobs.service import run_minute_steps
from poolcrm.notify.models import Notification
from poolcrm.org.models import User
from poolcrm.service.models import Ticket, TicketLog
from poolcrm.service.schemas import TicketIn
from poolcrm.service.sla import scan_breaches
from poolcrm.service.tickets import assign_ticket, open_ticket
from tests.concurrency import run_all
from tests.service.conftest import NOW


def test_svc3_two_supervisors_assign_one_ticket_at_once_one_wins(database, team, make_user, make_customer):
    second = make_user(
        "svcsup2", ["service", "supervisor"], dept="服务部", kind="service", supervisor_id=team["gm"]
    )
    cid = make_customer(team["rep"])
    with database.transaction() as s:
        body = TicketIn(
            customer_id=cid, kind="online", request_type="consultation", description="咨询导入方法"
        )
        ticket_id = open_ticket(s, s.get(User, team["cs"]), body).id

    def assign(by: int, to: int):
        def run(s):
            assign_ticket(s, s.get(User, by), ticket_id, to)

        return run

    outcomes = run_all(database, [assign(team["svcsup"], team["svc1"]), assign(second, team["svc2"])])
    assert sorted(outcomes) == ["SVC-3", "ok"], outcomes
    with database.transaction() as s:
        logs = s.scalar(
            select(func.count()).where(TicketLog.ticket_id == ticket_id, TicketLog.action == "assign")
        )
        assert logs == 1 and s.get(Ticket, ticket_id).assignee_id in (team["svc1"], team["svc2"])


def test_svc2_tickets_opened_at_once_get_distinct_numbers(database, team, make_customer):
    cid = make_customer(team["rep"])

    def opener(s):
        body = TicketIn(customer_id=cid, kind="online", request_type="consultation", description="咨询")
        open_ticket(s, s.get(User, team["cs"]), body)

    assert run_all(database, [opener] * 6) == ["ok"] * 6
    with database.transaction() as s:
        numbers = sorted(s.scalars(select(Ticket.number)))
    assert numbers == [f"FW2026{i:03d}" for i in range(1, 7)]


def test_svc4_breaches_are_counted_once_when_two_nodes_scan_at_once(database, team, make_customer):
    cid = make_customer(team["rep"])
    with database.transaction() as s:
        body = TicketIn(
            customer_id=cid, kind="online", request_type="complaint", description="投诉", emotion="calm"
        )
        ticket_id = open_ticket(s, s.get(User, team["cs"]), body).id
    clock.set_now(NOW + timedelta(minutes=45), frozen=True)
    outcomes = run_all(database, [scan_breaches] * 3)
    assert sorted(outcomes, key=len) == [[], [], [ticket_id]]  # one node counts it, the others find it done
    assert run_minute_steps(database)["service.sla_breaches"] == []
    with database.transaction() as s:
        assert s.get(Ticket, ticket_id).breaches == ["assign_by", "contact_by"]
        notes = s.scalar(select(func.count()).where(Notification.kind == "service.sla_breach"))
        assert notes == 4  # the supervisor twice (assign, contact) and, one level up, the GM twice
