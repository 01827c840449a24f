"""SVC-4 on the company calendar: a ticket opened on the eve of National Day, with the SLA clock in
business hours, is due on the make-up Saturday; the policy's clock applies to new tickets only."""

from __future__ import annotations

from datetime import datetime

from poolcrm import clock
from tests.service.conftest import SHANGHAI


def test_svc4_business_hours_sla_across_national_day_and_a_make_up_saturday(client, h, open_ticket):
    resp = client.patch("/api/v1/policy", json={"sla_clock": "business"}, headers=h("admin"))
    assert resp.status_code == 200, resp.text
    clock.set_now(datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI), frozen=True)
    t = open_ticket(request_type="complaint", emotion="agitated", kind="online")
    due = {
        k: datetime.fromisoformat(v).astimezone(SHANGHAI).replace(tzinfo=None)
        for k, v in t["deadlines"].items()
    }
    assert due["assign_by"] == datetime(2026, 9, 30, 17, 10)
    assert due["contact_by"] == datetime(2026, 9, 30, 17, 30)
    assert due["resolve_by"] == datetime(2026, 10, 10, 14, 0)  # 1 h + 9 h + 9 h + 5 h (调休 Saturday)
    assert t["sla_clock"] == "business"
    clock.set_now(datetime(2026, 10, 5, 12, 0, tzinfo=SHANGHAI), frozen=True)  # mid-holiday
    left = {
        x["name"]: x["minutes_left"]
        for x in client.get(f"/api/v1/tickets/{t['id']}", headers=h("cs")).json()["sla"]
    }
    assert left["resolve_by"] == 23 * 60  # the holiday does not eat into the clock


def test_svc4_calendar_clock_is_the_default(client, h, open_ticket):
    clock.set_now(datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI), frozen=True)
    t = open_ticket(priority="low")
    due = datetime.fromisoformat(t["deadlines"]["resolve_by"]).astimezone(SHANGHAI).replace(tzinfo=None)
    assert due == datetime(2026, 10, 3, 17, 0) and t["sla_clock"] == "calendar"


def test_cal1_working_hours_policy_must_end_after_it_starts(client, h, team):
    resp = client.patch("/api/v1/policy", json={"working_hours_end": "08:00"}, headers=h("admin"))
    assert resp.status_code == 422 and "working_hours_end" in resp.json()["error"]["details"]["fields"]
