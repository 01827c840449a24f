"""Pure pool rules (POOL-2..17, MEM-1) on the real working-day calendar (CAL-1)."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from poolcrm.calendar.rules import WorkdayCalendar
from poolcrm.pools import rules

CAL = WorkdayCalendar({})


def test_pool6_recycles_after_five_working_days_normal_week():
    assert rules.recycle_due(date(2026, 11, 2), 5, CAL) == date(2026, 11, 10)
    assert rules.recycle_cutoff(date(2026, 11, 10), 5, CAL) == date(2026, 11, 2)
    assert rules.recycle_cutoff(date(2026, 11, 9), 5, CAL) < date(2026, 11, 2)


def test_pool6_recycle_over_national_day_2026():
    assert rules.recycle_due(date(2026, 9, 30), 5, CAL) == date(2026, 10, 14)
    assert rules.recycle_cutoff(date(2026, 10, 14), 5, CAL) >= date(2026, 9, 30)
    assert rules.recycle_cutoff(date(2026, 10, 13), 5, CAL) < date(2026, 9, 30)


def test_pool6_year_without_official_data_falls_back_to_monday_to_friday():
    # 2031-03-03 is a Monday: working days after it are Tue..Fri, then Mon 10 → due Tue 11.
    assert rules.recycle_due(date(2031, 3, 3), 5, CAL) == date(2031, 3, 11)


def test_pool6_company_override_counts():
    cal = WorkdayCalendar({date(2026, 11, 4): False})
    assert rules.recycle_due(date(2026, 11, 2), 5, cal) == date(2026, 11, 11)


@settings(max_examples=150, deadline=None)
@given(
    anchor=st.dates(date(2025, 12, 1), date(2027, 2, 1)),
    n=st.integers(1, 12),
    run=st.dates(date(2025, 12, 1), date(2027, 3, 1)),
)
def test_pool16_cutoff_agrees_with_the_countdown_function(anchor, n, run):
    """The set-based job (cutoff) and every countdown (recycle_due) decide identically."""
    due = rules.recycle_due(anchor, n, CAL)
    assert (due <= run) == (anchor <= rules.recycle_cutoff(run, n, CAL))


@settings(max_examples=80, deadline=None)
@given(
    anchor=st.dates(date(2026, 1, 1), date(2026, 12, 1)),
    warn=st.integers(1, 3),
    run=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
)
def test_pool6_warning_window_matches_countdown(anchor, warn, run):
    due = rules.recycle_due(anchor, 5, CAL)
    horizon = rules.warn_horizon(run, warn, CAL)
    left = rules.workdays_left(run, due, CAL)
    assert (run < due <= horizon) == (due > run and left <= warn)


def test_pool16_countdown_counts_working_days_left():
    due = date(2026, 11, 10)
    assert rules.workdays_left(date(2026, 11, 9), due, CAL) == 1
    assert rules.workdays_left(date(2026, 11, 6), due, CAL) == 2
    assert rules.is_due_soon(1, 1) and not rules.is_due_soon(2, 1)


def test_pool17_grade_then_tier_then_default():
    overrides = {"core": 10, "A": 8}
    assert rules.recycle_threshold("core", "A", 5, overrides) == 10
    assert rules.recycle_threshold("ordinary", "A", 5, overrides) == 8
    assert rules.recycle_threshold(None, "C", 5, overrides) == 5


def test_pool11_lock_extends_the_anchor():
    assert rules.recycle_anchor(date(2026, 11, 2), date(2026, 10, 1), date(2026, 11, 20)) == date(
        2026, 11, 20
    )
    assert rules.recycle_anchor(None, date(2026, 10, 1), None) == date(2026, 10, 1)


def test_pool2_limits_by_tenure_and_department():
    kw = dict(limit_new=300, limit_senior=250, limit_ka=330, new_rep_tenure_months=3)
    assert (
        rules.pool_limit_for(
            hired_on=date(2026, 1, 31), today=date(2026, 4, 29), department_kind="sales", **kw
        )
        == 300
    )
    assert (
        rules.pool_limit_for(
            hired_on=date(2026, 1, 31), today=date(2026, 4, 30), department_kind="sales", **kw
        )
        == 250
    )
    assert (
        rules.pool_limit_for(hired_on=date(2020, 1, 1), today=date(2026, 4, 30), department_kind="ka", **kw)
        == 330
    )


def test_pool2_refusal_names_the_numbers():
    refusal = rules.pool_full_on_apply(249, 1, 250)
    assert refusal is not None and refusal.rule == "POOL-2" and refusal.params == {"used": 250, "limit": 250}
    assert rules.pool_full_on_apply(248, 1, 250) is None
    assert rules.pool_full_on_approve(249, 250) is None
    assert rules.pool_full_on_approve(250, 250) is not None


def _claim(**kw):
    base = dict(
        pool="public",
        visible_to_applicant=True,
        entered_pool_at=None,
        now=datetime(2026, 11, 2, tzinfo=UTC),
        wait_hours=0,
        gave_up_at=None,
        cooldown_days=30,
        claims_today=0,
        daily_limit=20,
        already_applied=False,
    )
    base.update(kw)
    return rules.claim_refusal(**base)


def test_pool13_cooldown_after_giving_up():
    now = datetime(2026, 11, 2, tzinfo=UTC)
    assert _claim(gave_up_at=now - timedelta(days=29)).rule == "POOL-13"
    assert _claim(gave_up_at=now - timedelta(days=31)) is None


def test_pool14_daily_cap_and_waiting_period():
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert _claim(claims_today=20).rule == "POOL-14"
    assert _claim(claims_today=20, daily_limit=0) is None
    assert _claim(wait_hours=24, entered_pool_at=now - timedelta(hours=2), now=now).rule == "POOL-14"
    assert _claim(wait_hours=24, entered_pool_at=now - timedelta(hours=25), now=now) is None


def test_pool3_pool4_only_public_customers():
    assert _claim(pool="private").rule == "POOL-3"
    assert _claim(pool="bin").rule == "POOL-7"
    assert _claim(already_applied=True).rule == "POOL-4"


def test_pool8_three_strikes():
    assert rules.three_strikes({1, 2, 3}, 3)
    assert not rules.three_strikes({1, 2}, 3)


def test_pool7_round_robin_respects_capacity_and_givers():
    pairs, left = rules.round_robin(
        [(10, frozenset()), (11, frozenset({1})), (12, frozenset()), (13, frozenset({1, 2}))],
        [(1, 5), (2, 1)],
    )
    assert pairs == [(10, 1), (11, 2), (12, 1)]
    assert left == [13]


def test_pool7_bin_expiry_counts_working_days():
    assert not rules.bin_expired(date(2026, 11, 2), date(2026, 11, 5), 3, CAL)
    assert rules.bin_expired(date(2026, 11, 2), date(2026, 11, 6), 3, CAL)


def test_mem1_one_month_after_last_valid_followup():
    assert not rules.member_needs_redevelopment(date(2026, 1, 31), date(2026, 2, 28), 1)
    assert rules.member_needs_redevelopment(date(2026, 1, 31), date(2026, 3, 1), 1)
    assert rules.member_cutoff(date(2026, 3, 1), 1) == date(2026, 1, 31)
    for run in (date(2026, 3, 1), date(2026, 3, 31), date(2026, 12, 1)):
        cutoff = rules.member_cutoff(run, 1)
        assert rules.member_needs_redevelopment(cutoff, run, 1)
        assert not rules.member_needs_redevelopment(cutoff + timedelta(days=1), run, 1)


def test_pool10_leaving_sales():
    assert rules.leaves_sales(True, False, "sales", "sales")
    assert rules.leaves_sales(True, True, "sales", "cs")
    assert not rules.leaves_sales(True, True, "sales", "ka")


def test_pool11_lock_limit():
    kw = {"until": date(2026, 12, 1), "today": date(2026, 11, 1), "max_days": 90}
    assert rules.lock_refusal(locks_in_use=10, limit=10, **kw).rule == "POOL-11"
    assert rules.lock_refusal(locks_in_use=9, limit=10, **kw) is None


def test_pool11a_a_lock_lasts_at_most_max_days():
    today = date(2026, 11, 1)
    assert (
        rules.lock_refusal(locks_in_use=0, limit=10, until=date(2027, 1, 30), today=today, max_days=90)
        is None
    )
    refusal = rules.lock_refusal(locks_in_use=0, limit=10, until=date(2027, 1, 31), today=today, max_days=90)
    assert refusal is not None and refusal.rule == "POOL-11a"
    assert refusal.params == {"days": 90, "latest": "2027-01-30"}
    far = rules.lock_refusal(locks_in_use=0, limit=10, until=date(2199, 12, 31), today=today, max_days=90)
    assert far is not None and far.rule == "POOL-11a"


def test_pool9_needs_both_approvals():
    assert not rules.reallocation_approved(True, False)
    assert rules.reallocation_approved(True, True)


def test_pool2_usage_level_full_at_the_limit_high_from_ninety_percent():
    from poolcrm.pools.rules import usage_level

    levels = [usage_level(u, 250) for u in (0, 224, 225, 249, 250, 260)]
    assert levels == ["", "", "high", "high", "full", "full"]
    assert usage_level(5, 0) == ""
