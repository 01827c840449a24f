from sqlalchemy import delete

from poolcrm.policy.models import PolicyValue
from poolcrm.policy.service import get_policy, update_policy


def test_policy_a_change_in_another_session_counts_at_once_and_unchanged_values_are_not_revalidated(
    database, make_user
):
    """SPEC intro (every number a policy parameter, editable at run time): each session reads the
    stored values, so another session's (or process's) change counts in the next one; what is
    skipped while the stored values are unchanged is only their validation (issue 22)."""
    admin = make_user("pol_admin", ["admin"])
    with database.transaction(write=False) as s:
        first = get_policy(s)
    with database.transaction(write=False) as s:
        assert get_policy(s) is first  # same stored values: the validated policy is reused
    with database.transaction() as s:
        update_policy(s, admin, {"recycle_idle_workdays": first.recycle_idle_workdays + 2})
    with database.transaction(write=False) as s:
        changed = get_policy(s)
        assert changed.recycle_idle_workdays == first.recycle_idle_workdays + 2
    with database.transaction() as s:  # back to the default: the row goes, as a reset would
        s.execute(delete(PolicyValue).where(PolicyValue.name == "recycle_idle_workdays"))
    with database.transaction(write=False) as s:
        assert get_policy(s).recycle_idle_workdays == first.recycle_idle_workdays


def test_policy_a_stored_value_todays_bounds_refuse_gives_way_to_its_default(database, make_user):
    """A value stored before a bound existed (a pool limit of 0) does not fail every request: the
    default counts instead, the others stay."""
    from poolcrm import clock

    with database.transaction() as s:
        for name, value in (("private_pool_limit_senior", 0), ("warn_days", 2)):
            s.add(PolicyValue(name=name, value=value, updated_at=clock.now(), updated_by=None))
    with database.transaction(write=False) as s:
        policy = get_policy(s)
        assert policy.private_pool_limit_senior == 250 and policy.warn_days == 2
