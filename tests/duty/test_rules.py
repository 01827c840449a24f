"""IN-3 / VIO-2 pure rules."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from poolcrm.duty import rules
from poolcrm.duty.rules import RepFigures


def test_in3_week_runs_monday_to_sunday_and_reads_the_week_before():
    assert rules.week_start(date(2026, 11, 25)) == date(2026, 11, 23)
    assert rules.week_start(date(2026, 11, 29)) == date(2026, 11, 23)
    assert rules.last_week(date(2026, 11, 23)) == (date(2026, 11, 16), date(2026, 11, 23))


def test_in3_eligible_reps_passed_visits_and_rank_in_top_n_by_sales():
    reps = [
        RepFigures(1, 16, Decimal(1000)),
        RepFigures(2, 20, Decimal(5000)),
        RepFigures(3, 3, Decimal(9000)),  # best sales, too few visits
        RepFigures(4, 15, Decimal(0)),
    ]
    verdicts, order = rules.weekly_eligibility(reps, min_visits=15, top_n=2)
    assert order == [2, 1]
    by = {v.user_id: v for v in verdicts}
    assert not by[3].eligible and by[3].params == {"visits": 3, "min": 15}
    assert not by[4].eligible and by[4].rank == 3 and "不在前" in by[4].reason
    assert by[2].eligible and by[2].rank == 1


def test_in3_fallback_when_nobody_is_eligible_takes_every_rep_in_ranking_order():
    reps = [RepFigures(5, 0, Decimal(0)), RepFigures(6, 2, Decimal(0))]
    _, order = rules.weekly_eligibility(reps, min_visits=15, top_n=10)
    assert order == [] and rules.fallback_order(reps) == [6, 5]


def test_in3_items_are_dealt_evenly_in_ranking_order():
    order, assigned = [7, 3, 9], Counter[int]()
    for _ in range(200):
        rep, skipped = rules.next_duty_rep(order, assigned, {7: True, 3: True, 9: True}.__getitem__)
        assert rep is not None and skipped == []
        assigned[rep] += 1
    assert assigned == {7: 67, 3: 67, 9: 66}


def test_in3_pool2_full_rep_is_passed_over():
    rep, skipped = rules.next_duty_rep([1, 2], {}, {1: False, 2: True}.__getitem__)
    assert (rep, skipped) == (2, [1])
    assert rules.next_duty_rep([1, 2], {}, {1: False, 2: False}.__getitem__) == (None, [1, 2])


def test_vio2_fake_followup_removes_the_rep_until_a_manager_reinstates():
    found = datetime(2026, 11, 25, 2, tzinfo=UTC)
    assert not rules.excluded_until_reinstated(None, None)
    assert rules.excluded_until_reinstated(found, None)
    assert rules.excluded_until_reinstated(found, found - timedelta(days=30))  # an older reinstatement
    assert not rules.excluded_until_reinstated(found, found + timedelta(hours=1))
    assert rules.reinstates(["sales_manager"]) and rules.reinstates(["gm"])
    assert not rules.reinstates(["supervisor", "sales"]) and not rules.reinstates(["cs"])


def test_in3_groups_take_whole_days_in_turn():
    days = [date(2026, 11, 23 + i) for i in range(6)]
    turns = [rules.group_on_duty(d, 3) for d in days]
    assert turns[:3] == turns[3:] and sorted(turns[:3]) == [0, 1, 2]
