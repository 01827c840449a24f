"""Pure service desk rules (SVC-1..6) and the business-hours clock (CAL-1/SVC-4)."""

from __future__ import annotations

from datetime import date, datetime, time

from poolcrm.calendar.rules import WorkdayCalendar, add_business_minutes, business_minutes_between
from poolcrm.service import rules

NINE, SIX = time(9, 0), time(18, 0)


def test_svc2_number_and_subject():
    assert rules.ticket_number(2026, 1) == "FW2026001"
    assert rules.ticket_number(2026, 1234) == "FW20261234"
    assert rules.ticket_subject(date(2026, 12, 2), "in_warranty") == "2026年12月2日 保内维修服务"


def test_svc2_required_documents_by_kind():
    assert rules.missing_documents("in_warranty", []) == ["service_sheet"]
    assert rules.missing_documents("out_warranty", ["service_sheet"]) == []
    assert rules.missing_documents("installation", ["acceptance"]) == ["service_sheet", "commissioning"]
    assert rules.missing_documents("online", []) == []


def test_svc2_state_machine():
    assert rules.action_problem("accept", "pending") is None
    assert rules.action_problem("resolve", "pending") == {"state": "待分配", "action": "解决"}
    assert rules.action_problem("close", "resolved") is None
    assert rules.action_problem("abandon", "closed") is not None


def test_svc5_a_complaint_is_high_and_urgent():
    assert rules.effective_priority("complaint", "low") == ("high", True)
    assert rules.effective_priority("consultation", "low") == ("low", False)
    assert rules.ticket_problems("online", "complaint", "low", "x", None) == {
        "emotion": "投诉须记录客户情绪（激动/平和/失望）"
    }


def test_svc4_deadlines_by_type_and_priority():
    targets = rules.SlaTargets(
        {"high": 60, "medium": 240, "low": 480}, {"high": 1440, "medium": 2880, "low": 4320}, 10, 30, 1440
    )
    assert rules.sla_minutes("tech_support", "high", targets) == {"respond_by": 60, "resolve_by": 1440}
    assert rules.sla_minutes("complaint", "high", targets) == {
        "assign_by": 10,
        "contact_by": 30,
        "resolve_by": 1440,
    }


def test_svc4_each_breach_counted_once_and_met_deadlines_never_breach():
    due = {"respond_by": datetime(2026, 12, 2, 10), "resolve_by": datetime(2026, 12, 3, 10)}
    now = datetime(2026, 12, 2, 11)
    assert rules.newly_breached(due, {}, [], now) == ["respond_by"]
    assert rules.newly_breached(due, {}, ["respond_by"], now) == []
    assert rules.newly_breached(due, {"respond_by": True}, [], now) == []
    assert rules.next_deadline(due, {}, ["respond_by"]) == datetime(2026, 12, 3, 10)
    assert rules.next_deadline(due, {"resolve_by": True}, ["respond_by"]) is None


def test_svc8_who_sees_and_dispatches():
    assert rules.sees_all_tickets(["cs"]) and rules.sees_all_tickets(["service", "supervisor"])
    assert not rules.sees_all_tickets(["service"]) and not rules.sees_all_tickets(["supervisor", "sales"])
    assert rules.dispatches_tickets(["service", "supervisor"]) and not rules.dispatches_tickets(["cs"])
    assert rules.follows_ticket(["cs"], False) and not rules.works_ticket(["cs"], False)


def test_svc6_score_between_one_and_five():
    assert rules.rating_problem(5, "") == {}
    assert "score" in rules.rating_problem(0, "") and "score" in rules.rating_problem(None, "")
    assert "comment" in rules.rating_problem(3, "好" * 1001)


def test_cal1_business_minutes_stop_over_national_day_and_count_the_make_up_saturday():
    cal = WorkdayCalendar()
    # Wed 30 Sep 2026, 17:00: one working hour left that day; 1–7 Oct is the holiday; Thu 8 Oct and
    # Fri 9 Oct are working days, and so is Sat 10 Oct (调休 make-up day).
    start = datetime(2026, 9, 30, 17, 0)
    assert add_business_minutes(start, 60, cal, NINE, SIX) == datetime(2026, 9, 30, 18, 0)
    assert add_business_minutes(start, 120, cal, NINE, SIX) == datetime(2026, 10, 8, 10, 0)
    # 24 working hours: 1 on 30 Sep, 9 on 8 Oct, 9 on 9 Oct, 5 on the make-up Saturday.
    assert add_business_minutes(start, 24 * 60, cal, NINE, SIX) == datetime(2026, 10, 10, 14, 0)
    assert business_minutes_between(start, datetime(2026, 10, 10, 14, 0), cal, NINE, SIX) == 24 * 60
    assert business_minutes_between(datetime(2026, 10, 10, 14, 0), start, cal, NINE, SIX) == -24 * 60


def test_cal1_business_clock_starts_at_the_next_opening_and_honours_company_overrides():
    cal = WorkdayCalendar({date(2026, 12, 4): False})  # the company gives Friday off
    assert add_business_minutes(datetime(2026, 12, 3, 20, 0), 30, cal, NINE, SIX) == datetime(
        2026, 12, 7, 9, 30
    )
    assert add_business_minutes(datetime(2026, 12, 3, 7, 0), 30, cal, NINE, SIX) == datetime(
        2026, 12, 3, 9, 30
    )
