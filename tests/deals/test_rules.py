"""Pure deal rules (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from poolcrm.deals import rules
from poolcrm.deals.rules import DEFAULT_CATEGORY_RULES as FLOORS

TODAY = date(2026, 3, 10)


def test_deal2_stage_floors_lead_one_mid_two_short_three_lost_zero():
    assert rules.stage_problem("lead", 1, FLOORS) is None
    assert rules.stage_problem("lead", 2, FLOORS) is not None
    assert rules.stage_problem("mid", 1, FLOORS) is not None and rules.stage_problem("mid", 2, FLOORS) is None
    assert (
        rules.stage_problem("short", 2, FLOORS) is not None
        and rules.stage_problem("short", 3, FLOORS) is None
    )
    assert (
        rules.stage_problem("lost", 0, FLOORS) is None and rules.stage_problem("lost", 3, FLOORS) is not None
    )
    assert rules.stage_problem("short", 11, FLOORS) is not None
    assert rules.stage_problem("nonsense", 3, FLOORS) is not None


def test_deal2_category_change_requires_stage_status_and_close_date():
    assert rules.category_change_missing("mid", "short", ["category"]) == [
        "stage",
        "status",
        "expected_close_on",
    ]
    assert (
        rules.category_change_missing("mid", "short", ["category", "stage", "status", "expected_close_on"])
        == []
    )
    assert rules.category_change_missing("mid", "mid", ["category"]) == []
    assert rules.category_change_missing("mid", None, ["stage"]) == []


def test_deal2_horizon_warnings():
    kw = {"short_months": 3, "mid_months": 12}
    assert rules.horizon_warning("short", date(2026, 6, 10), TODAY, **kw) is None
    assert rules.horizon_warning("short", date(2026, 6, 11), TODAY, **kw) is not None
    assert rules.horizon_warning("mid", date(2027, 3, 10), TODAY, **kw) is None
    assert rules.horizon_warning("mid", date(2027, 3, 11), TODAY, **kw) is not None
    assert rules.horizon_warning("lead", date(2027, 6, 1), TODAY, **kw) is None
    assert rules.horizon_warning("lead", date(2026, 6, 1), TODAY, **kw) is not None


def test_deal2_horizon_problem_refuses_short_and_mid_past_their_horizon_only():
    kw = {"short_months": 3, "mid_months": 12}
    assert rules.horizon_problem("short", date(2026, 6, 10), TODAY, **kw) is None
    assert rules.horizon_problem("short", date(2026, 6, 11), TODAY, **kw) is not None
    assert rules.horizon_problem("short", date(2199, 12, 31), TODAY, **kw) is not None
    assert rules.horizon_problem("mid", date(2027, 3, 10), TODAY, **kw) is None
    assert rules.horizon_problem("mid", date(2027, 3, 11), TODAY, **kw) is not None
    assert rules.horizon_problem("lead", date(2199, 12, 31), TODAY, **kw) is None
    assert rules.horizon_problem("lead", date(2026, 4, 1), TODAY, **kw) is None  # warned, not refused
    assert rules.close_horizon_months("mid", **kw) == 12 and rules.close_horizon_months("lead", **kw) is None


def test_deal2_category_table_must_stay_coherent():
    assert rules.category_rules_problem(FLOORS) is None
    assert rules.category_rules_problem({**FLOORS, "mid": rules.CategoryRule(5, 3)}) is not None
    assert rules.category_rules_problem({k: v for k, v in FLOORS.items() if k != "won"}) is not None


def test_deal3_seed_stage_table_and_its_edits():
    assert [s.probability for s in rules.DEFAULT_STAGES] == list(range(0, 101, 10))
    assert rules.DEFAULT_STAGES[8].customer_desc == "签订合同" == rules.DEFAULT_STAGES[8].agent_desc
    assert rules.stage_table_problem(rules.DEFAULT_STAGES) is None
    edited = list(rules.DEFAULT_STAGES)
    edited[3] = rules.StageDef(3, 45, "x", "y")
    assert rules.stage_table_problem(edited) is not None  # 45 % above stage 4's 40 %
    assert rules.stage_table_problem(rules.DEFAULT_STAGES[:10]) is not None


def test_deal4_content_required_and_totals():
    lines = [
        rules.ProductLine("扫描仪", Decimal("3"), Decimal("1999.99")),
        rules.ProductLine("软件", Decimal("1.5"), Decimal("100")),
    ]
    assert rules.line_total(Decimal("3"), Decimal("1999.99")) == Decimal("5999.97")
    assert rules.deal_amount(lines) == Decimal("6149.97")
    details = dict.fromkeys(rules.DETAIL_FIELDS, "有")
    assert rules.deal_content_problems("扫描仪", ["扫描仪"], lines, details) == {}
    problems = rules.deal_content_problems(
        "汽车", ["扫描仪"], [rules.ProductLine(" ", Decimal("0"), Decimal("-1"))], {**details, "budget": " "}
    )
    assert set(problems) == {
        "intention",
        "products.0.name",
        "products.0.quantity",
        "products.0.unit_price",
        "details.budget",
    }
    assert "products" in rules.deal_content_problems("扫描仪", ["扫描仪"], [], details)


def test_deal5_default_close_date_refused():
    assert rules.close_date_problem(date(2026, 3, 11), TODAY, TODAY) is not None
    assert rules.close_date_problem(date(2026, 3, 12), TODAY, TODAY) is None
    assert rules.close_date_problem(date(2026, 3, 9), TODAY, TODAY) is not None
    # on a later edit the default is still the day after creation
    assert rules.close_date_problem(date(2026, 3, 11), TODAY, date(2026, 3, 11)) is not None


def test_deal7_monthly_category_counts_once_in_latest():
    history = [
        (date(2026, 3, 2), "lead"),
        (date(2026, 3, 15), "mid"),
        (date(2026, 3, 28), "short"),
        (date(2026, 5, 3), "won"),
    ]
    assert rules.monthly_category(history, 202603) == "short"
    assert rules.monthly_category(history, 202604) == "short"
    assert rules.monthly_category(history, 202605) == "won"
    assert rules.monthly_category(history, 202606) is None
    assert rules.monthly_category(history, 202602) is None


def test_deal8_number_win_and_lose_requirements():
    assert rules.deal_number("ABC2024001", 1) == "ABC2024001OP001"
    assert rules.deal_number("ABC2024001", 1234) == "ABC2024001OP1234"
    assert set(rules.win_problems(None, " ")) == {"actual_amount", "contract_no"}
    assert rules.win_problems(Decimal("1"), "HT-1") == {}
    assert rules.lose_problems("") and not rules.lose_problems("客户取消预算")


def test_dsp3_credit_for_a_win():
    owner, other = 1, 2
    assert rules.credit_for_win(
        winner_id=owner, customer_owner_id=owner, member_active=True, open_for_redevelopment=True
    ) == rules.WinCredit(owner, False, "DEAL-8")
    assert rules.credit_for_win(
        winner_id=other, customer_owner_id=owner, member_active=True, open_for_redevelopment=True
    ) == rules.WinCredit(other, False, "DSP-3")
    assert rules.credit_for_win(
        winner_id=other, customer_owner_id=owner, member_active=False, open_for_redevelopment=True
    ) == rules.WinCredit(owner, True, "DSP-1")
    assert rules.credit_for_win(
        winner_id=other, customer_owner_id=owner, member_active=True, open_for_redevelopment=False
    ) == rules.WinCredit(owner, True, "DSP-1")


def test_deal10_who_may_open_a_deal():
    base = {
        "actor_is_sales": True,
        "actor_manages_owner": False,
        "actor_sees_all": False,
        "open_for_redevelopment": False,
    }
    assert rules.who_owns_new_deal(actor_id=1, customer_owner_id=1, **base).owner_id == 1
    assert not rules.who_owns_new_deal(actor_id=2, customer_owner_id=1, **base).allowed
    assert not rules.who_owns_new_deal(actor_id=1, customer_owner_id=None, **base).allowed
    assert (
        rules.who_owns_new_deal(
            actor_id=2, customer_owner_id=1, **{**base, "open_for_redevelopment": True}
        ).owner_id
        == 2
    )
    assert (
        rules.who_owns_new_deal(
            actor_id=9, customer_owner_id=1, **{**base, "actor_manages_owner": True}
        ).owner_id
        == 1
    )


def test_deal2_reminder_cadence_and_overdue():
    cadence = {"lead": 15, "mid": 15, "short": 7}
    assert rules.reminder_due_on(TODAY, "short", cadence) == date(2026, 3, 17)
    assert rules.reminder_due_on(TODAY, "mid", cadence) == date(2026, 3, 25)
    assert rules.reminder_due_on(TODAY, "won", cadence) is None
    assert rules.reminder_cutoff(date(2026, 3, 17), "short", cadence) == TODAY
    assert not rules.is_overdue(date(2026, 3, 17), date(2026, 3, 17))
    assert rules.is_overdue(date(2026, 3, 17), date(2026, 3, 18))


def test_deal9_weighted_and_conversion():
    assert rules.weighted(Decimal("58000"), 40) == Decimal("23200.00")
    conv = rules.stage_conversion({2: 1, 4: 1, 10: 2})
    first = conv[0]
    assert (first["from"], first["reached"], first["advanced"], first["rate"]) == (1, 4, 4, 1.0)
    by = {c["from"]: c for c in conv}
    assert (by[4]["reached"], by[4]["advanced"], by[4]["rate"]) == (3, 2, round(2 / 3, 4))
    assert rules.shift_month(202601, -1) == 202512 and rules.shift_month(202612, 1) == 202701


def test_vio4_scorecard_classes_and_cadence():
    core_short = rules.CustomerDeals(1, frozenset({"short"}), date(2026, 5, 1), False, date(2026, 3, 4))
    assert rules.scorecard_class(core_short, TODAY, 12) == "core"
    days = rules.contact_cadence_days(core_short, "core", {"short": 7, "mid": 14}, 30)
    assert days == 7 and rules.contact_ok(core_short.last_contact_on, TODAY, days)
    mid = rules.CustomerDeals(2, frozenset({"mid"}), date(2026, 9, 1), False, date(2026, 2, 20))
    assert rules.contact_cadence_days(mid, "core", {"short": 7, "mid": 14}, 30) == 14
    assert not rules.contact_ok(mid.last_contact_on, TODAY, 14)
    lead = rules.CustomerDeals(3, frozenset({"lead"}), None, False, None)
    assert rules.scorecard_class(lead, TODAY, 12) == "high_growth"
    won = rules.CustomerDeals(4, frozenset(), None, True, None)
    assert rules.scorecard_class(won, TODAY, 12) == "high_growth"
    assert rules.scorecard_class(rules.CustomerDeals(5, frozenset(), None, False, None), TODAY, 12) is None
