"""FU-1/FU-2/FU-5 validity, pure."""

from datetime import UTC, datetime, timedelta

from poolcrm.followups import rules
from poolcrm.policy.rules import NONCONTACT_DEFAULT


def _reasons(content, subject="致电", duplicate=False):
    return rules.followup_validity(
        subject=subject,
        content=content,
        min_chars=15,
        noncontact_phrases=NONCONTACT_DEFAULT,
        duplicate=duplicate,
    )


def test_fu1_counts_only_letters_and_digits():
    assert rules.counted_chars("拜访张总，谈了 2 个方案！🙂") == 10
    assert rules.counted_chars("，。！？ 　…—🙂★") == 0
    assert rules.counted_chars("Met Mr. Li at 3pm") == 12


def test_fu1_fourteen_characters_is_invalid_fifteen_valid():
    fourteen = "与王经理电话沟通了采购预算情况"[:14]
    assert [r.clause for r in _reasons(fourteen + "。。。!!!   ")] == ["b"]
    assert _reasons("与王经理电话沟通了采购预算情况，下周再约") == []


def test_fu1_subject_and_content_required():
    clauses = [r.clause for r in _reasons("", subject="")]
    assert clauses == ["a", "a"]


def test_fu2_subject_must_be_from_the_list():
    assert [r.rule for r in _reasons("与王经理电话沟通了采购预算情况，下周再约", subject="闲聊")] == ["FU-2"]


def test_fu1_duplicate_flagged():
    assert [r.clause for r in _reasons("与王经理电话沟通了采购预算情况，下周再约", duplicate=True)] == ["c"]


def test_fu1_normalisation_sees_through_traditional_punctuation_and_width():
    from poolcrm.customers.names import to_simplified

    a = rules.content_key("與王經理電話溝通了採購預算情況，下週再約！", to_simplified)
    b = rules.content_key("与王经理电话沟通了采购预算情况 下周再约", to_simplified)
    c = rules.content_key("与王经理电话沟通了采购预算情况，下周再约ＡＢ", to_simplified)
    d = rules.content_key("与王经理电话沟通了采购预算情况，下周再约ab", to_simplified)
    assert a == b and c == d and a != c


def test_fu1_noncontact_note_is_invalid():
    reasons = _reasons("电话未接通，明天上午再打给王经理确认采购预算安排")
    assert [r.clause for r in reasons] == ["d"]
    assert reasons[0].params == {"phrase": "电话未接通"}


def test_fu2_template_labels_do_not_count():
    assert [r.clause for r in _reasons(rules.TEMPLATE)] == ["b"]


def test_fu5_first_contact_overdue():
    since = datetime(2026, 11, 2, 2, tzinfo=UTC)
    assert not rules.first_contact_overdue(since, None, since + timedelta(hours=23), 24)
    assert rules.first_contact_overdue(since, None, since + timedelta(hours=25), 24)
    assert not rules.first_contact_overdue(since, since + timedelta(hours=1), since + timedelta(hours=25), 24)


def test_mem1_who_may_write():
    assert rules.may_write(
        is_owner=True, manages_owner=False, is_sales=True, open_for_redevelopment=False, active_member=False
    )
    assert not rules.may_write(
        is_owner=False, manages_owner=False, is_sales=True, open_for_redevelopment=False, active_member=True
    )
    assert rules.may_write(
        is_owner=False, manages_owner=False, is_sales=True, open_for_redevelopment=True, active_member=True
    )
