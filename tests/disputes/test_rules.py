"""DSP-1 / DSP-2 pure rules on the PRC calendar (National Day 2026: 1–7 Oct off, Sat 10 Oct worked)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from poolcrm.calendar.rules import WorkdayCalendar
from poolcrm.disputes import rules

CAL = WorkdayCalendar()


def _attr(last: date | None, signed: date):
    return rules.win_attribution(
        owner_id=1, signer_id=2, owner_last_valid_on=last, signed_on=signed, owner_workdays=5, calendar=CAL
    )


def test_dsp1_owner_keeps_the_win_within_five_working_days_over_national_day():
    rec = _attr(date(2026, 9, 30), date(2026, 10, 13))  # 8, 9, 10 (Sat), 12 Oct: 4 working days
    assert rec.user_id == 1 and rec.rule == "DSP-1" and rec.params["idle"] == 4


def test_dsp1_signer_proposed_once_pool6_would_have_recycled():
    rec = _attr(date(2026, 9, 30), date(2026, 10, 14))  # 8, 9, 10, 12, 13 Oct: 5 working days
    assert rec.user_id == 2 and rec.params["idle"] == 5


def test_dsp1_no_valid_followup_before_signing_proposes_the_signer():
    assert _attr(None, date(2026, 10, 14)).user_id == 2


def test_dsp2_earlier_protection_wins():
    early = datetime(2026, 10, 1, tzinfo=UTC)
    late = datetime(2026, 11, 24, tzinfo=UTC)
    assert rules.earlier_protection([(5, late), (6, early)]).user_id == 6
    assert rules.earlier_protection([(5, early), (6, early)]).user_id is None
    assert rules.earlier_protection([(5, None), (6, early)]).user_id is None


def test_dsp_decision_needs_a_claimant_and_a_reason():
    assert rules.decision_problem(3, [1, 2], "x") == {"winner_user_id": "必须是争议双方之一"}
    assert rules.decision_problem(1, [1, 2], " ") == {"reason": "请填写裁定理由"}
    assert rules.decision_problem(1, [1, 2], "依据跟进记录") == {}


def test_dsp2a_same_company_in_two_pools_by_normal_form_or_phone_of_different_reps():
    a = rules.PoolRecord(1, "友好创达科技", ("+861062345678",), owner_id=10)
    same_name = rules.PoolRecord(2, "友好创达科技", (), owner_id=11)
    same_phone = rules.PoolRecord(3, "别的名字", ("+8613800000000", "+861062345678"), owner_id=12)
    assert rules.same_company_in_two_pools(a, same_name)
    assert rules.same_company_in_two_pools(a, same_phone)
    assert not rules.same_company_in_two_pools(a, rules.PoolRecord(4, "友好创达科技", (), owner_id=10))
    assert not rules.same_company_in_two_pools(a, a)
    assert not rules.same_company_in_two_pools(a, rules.PoolRecord(5, "别家", ("+8613900000000",), 11))
    assert not rules.same_company_in_two_pools(a, rules.PoolRecord(6, "友好创达科技", (), None))
    assert not rules.same_company_in_two_pools(
        rules.PoolRecord(7, None, (), 1), rules.PoolRecord(8, None, (), 2)
    )


def test_dsp2_another_citys_namesake_is_not_the_same_company_cus7_revised():
    hz = rules.PoolRecord(1, "恒通科技", (), owner_id=10, places=frozenset({"杭州"}))
    sz = rules.PoolRecord(2, "恒通科技", (), owner_id=11, places=frozenset({"深圳"}))
    bare = rules.PoolRecord(3, "恒通科技", (), owner_id=12)
    assert not rules.same_company_in_two_pools(hz, sz)
    assert rules.same_company_in_two_pools(hz, bare) and rules.same_company_in_two_pools(bare, sz)
