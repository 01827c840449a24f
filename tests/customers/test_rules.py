"""Pure customer rules (customers/rules.py), named after the SPEC rule they check."""

from __future__ import annotations

from datetime import UTC, date, datetime

from poolcrm.customers import rules


def _verdict(values, **kw):
    args = dict(
        kind=None,
        insurance_problem=None,
        securities_problem=None,
        phone_problems={},
        abbreviation_warning=None,
        address_warning=None,
        profile_max_chars=50,
    )
    args.update(kw)
    return rules.registration_verdict(values, **args)


FULL = {
    "name": "某某科技有限公司",
    "address": "北京市海淀区某路1号",
    "contact_name": "张三",
    "phone": "+861062345678",
}


def test_cus1_four_required_fields():
    problems = rules.required_field_problems({"name": "x", "address": " ", "phone": None})
    assert [p.field for p in problems] == ["address", "contact_name", "phone"]
    assert all(p.rule == "CUS-1" for p in problems)


def test_cus1_profile_limited_to_policy_length():
    v = _verdict({**FULL, "profile": "字" * 51})
    assert [(p.field, p.rule) for p in v.errors] == [("profile", "CUS-1")]


def test_cus3_insurance_needs_name_problem_cleared_and_mobile():
    v = _verdict(FULL, kind="insurance", insurance_problem="名称须以(联系人)结尾")
    assert {(p.field, p.rule) for p in v.errors} == {("name", "CUS-3"), ("mobile", "CUS-3")}


def test_cus4_securities_name_problem_is_an_error():
    v = _verdict(FULL, kind="securities", securities_problem="缺少营业部")
    assert [(p.field, p.rule) for p in v.errors] == [("name", "CUS-4")]


def test_cus3_cus4_industry_kind_from_configured_lists():
    assert rules.industry_kind("人寿保险", ["保险"], ["证券"]) == "insurance"
    assert rules.industry_kind("证券经纪", ["保险"], ["证券"]) == "securities"
    assert rules.industry_kind("软件", ["保险"], ["证券"]) is None


def test_cus2_cus5_are_warnings_not_errors():
    v = _verdict(FULL, abbreviation_warning="可能是简称", address_warning="建议格式")
    assert v.ok
    assert [(p.field, p.rule) for p in v.warnings] == [("name", "CUS-2"), ("address", "CUS-5")]


def test_cus6_phone_problem_is_an_error():
    v = _verdict(FULL, phone_problems={"mobile": "不是手机号"})
    assert [(p.field, p.rule) for p in v.errors] == [("mobile", "CUS-6")]


def test_cus7_exact_blocks_fuzzy_needs_confirmation():
    v = rules.duplicate_verdict([(1, True), (2, False), (3, False)], [3], False)
    assert v.blocking == (1,) and v.to_confirm == (2,) and v.confirmed == (3,)
    assert rules.duplicate_verdict([(2, False)], None, True).confirmed == (2,)


def test_cus8_code_is_prefix_year_sequence():
    assert rules.customer_code("ABC", 2024, 1) == "ABC2024001"
    assert rules.customer_code("ABC", 2024, 12345) == "ABC202412345"


def test_cus9_review_skipped_for_configured_department():
    assert rules.needs_review(5, [])
    assert not rules.needs_review(5, [5])


def test_cus11_grade_needs_eleven_fields():
    missing = rules.missing_grade_fields({"name": "x", "mobile": "+8613800138000"})
    assert "phone_or_mobile" not in missing and "address" in missing and len(missing) == 9


def test_cus11_core_direct_needs_deal_within_horizon():
    facts = rules.GradeFacts(deal_closing_within_horizon=True)
    assert rules.grade_for("direct", facts, 30) == "core"
    assert rules.grade_for("distributor", facts, 30) == "ordinary"
    assert (
        rules.grade_for("distributor", rules.GradeFacts(registered_project_ordering_this_year=True), 30)
        == "core"
    )


def test_cus11_high_growth_needs_lead_and_recent_contact():
    assert (
        rules.grade_for(
            "direct", rules.GradeFacts(lead_or_won_deal=True, days_since_substantive_contact=10), 30
        )
        == "high_growth"
    )
    assert (
        rules.grade_for(
            "direct", rules.GradeFacts(lead_or_won_deal=True, days_since_substantive_contact=31), 30
        )
        == "ordinary"
    )


def test_cus12_dormant_after_more_than_365_days():
    assert not rules.is_dormant(date(2025, 1, 1), date(2024, 1, 1), date(2026, 1, 1), 365)
    assert rules.is_dormant(date(2025, 1, 1), date(2024, 1, 1), date(2026, 1, 2), 365)
    assert rules.is_dormant(None, date(2024, 1, 1), date(2025, 6, 1), 365)


def test_cus15_tier_cadence_and_overdue():
    due = rules.contact_due("A", date(2026, 3, 1), date(2026, 1, 1), {"A": 7, "B": 14, "C": 30})
    assert due == date(2026, 3, 8)
    assert not rules.contact_overdue(due, date(2026, 3, 8))
    assert rules.contact_overdue(due, date(2026, 3, 9))
    assert rules.contact_due(None, None, date(2026, 1, 1), {"A": 7}) is None


def test_cus15_a_customer_nobody_holds_has_no_contact_due():
    assert rules.contact_due("A", date(2026, 3, 1), date(2026, 1, 1), {"A": 7}, held=False) is None


def test_cus16_membership_active_through_end_date():
    assert rules.membership(date(2026, 5, 1), date(2026, 5, 1)) == "active"
    assert rules.membership(date(2026, 5, 1), date(2026, 5, 2)) == "expired"
    assert rules.membership(None, date(2026, 5, 2)) is None


def test_cus13_key_fields_of_closed_customer_need_approval():
    assert rules.change_needs_approval("closed", ["name", "remark"]) == ["name"]
    assert rules.change_needs_approval("intent", ["name"]) == []


def test_cus14_deletion_needs_department_head_and_admin():
    assert not rules.deletion_approved(["admin"])
    assert rules.deletion_approved(["admin", "department_head"])


def test_cus10_earliest_created_survives():
    t1, t2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    assert rules.survivor([(9, t1), (3, t2)]) == 9


def test_cus14_merge_keeps_more_complete_values():
    keep = {"address": "北京", "email": None, "tags": ["a"], "remark": "r1", "member_until": date(2026, 1, 1)}
    other = {
        "address": "北京市海淀区某路1号",
        "email": "x@y.cn",
        "tags": ["b"],
        "remark": "r2",
        "member_until": date(2027, 1, 1),
    }
    out = rules.merged_values(keep, other, keep.keys())
    assert out == {
        "address": "北京市海淀区某路1号",
        "email": "x@y.cn",
        "tags": ["a", "b"],
        "remark": "r1\nr2",
        "member_until": date(2027, 1, 1),
    }
