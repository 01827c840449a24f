"""VIO-1..3 pure rules."""

from __future__ import annotations

from poolcrm.violations import rules


def test_vio1_second_violation_is_a_written_warning_third_a_dismissal_proposal():
    assert [rules.violation_level(n, 2, 3) for n in (1, 2, 3, 4)] == [
        "none",
        "warning",
        "dismissal",
        "dismissal",
    ]


def test_vio2_spot_check_sample_is_per_rep_and_reproducible():
    by_author = {1: list(range(10)), 2: [20, 21], 3: []}
    sample = rules.spot_check_sample(by_author, 3, "2026-11-25")
    assert len([i for i in sample if i < 10]) == 3 and {20, 21} <= set(sample)
    assert sample == rules.spot_check_sample(by_author, 3, "2026-11-25")


def test_vio3_any_shortfall_zeroes_the_month_by_default_points_are_the_policy_alternative():
    weights = {"missing_fields": 2, "invalid_followups": 1, "overdue_deals": 3, "fake_followups": 10}
    short = {"missing_fields": 5, "invalid_followups": 4, "overdue_deals": 2}
    clean = {"missing_fields": 0, "invalid_followups": 0, "overdue_deals": 0, "fake_followups": 0}
    assert rules.assessment_score(short, weights) == 0
    assert rules.assessment_score(clean, weights) == 100
    assert rules.assessment_score(short, weights, "points") == 80
    assert rules.assessment_score({"fake_followups": 20}, weights, "points") == 0
    assert rules.assessment_score(clean, weights, "points", concealed=True) == 0


def test_vio3_probation_and_quarters():
    from datetime import date

    assert rules.in_probation(date(2026, 11, 15), date(2026, 10, 31))
    assert not rules.in_probation(date(2026, 10, 31), date(2026, 10, 31))
    assert not rules.in_probation(None, date(2026, 10, 31))
    assert rules.quarter_months(202611) == (202610, 202611, 202612)


def test_vio3_assesses_the_previous_month():
    assert rules.previous_month(2026, 12) == 202611 and rules.previous_month(2027, 1) == 202612
    assert rules.month_bounds(202612) == ((2026, 12, 1), (2027, 1, 1))


def test_vio1_recorders_record_against_anyone_but_themselves():
    for role in ("cs", "supervisor", "sales_manager", "gm", "admin"):
        assert rules.is_recorder([role]) and rules.records_violations([role], 1, 2)
        assert not rules.records_violations([role], 2, 2)
    assert not rules.is_recorder(["sales", "finance", "service"])
    assert not rules.records_violations(["sales"], 1, 2)
