"""Daily pool steps through the real services on each engine (set-based, POOL-6..10, MEM-1)."""

from datetime import date, timedelta

from sqlalchemy import func, select

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.jobs.service import run_daily
from poolcrm.notify.models import Notification
from poolcrm.org.models import User
from poolcrm.ownership import countdown
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.policy.service import update_policy
from poolcrm.pools import allocation
from poolcrm.pools.models import DepartureTask
from tests.pools.conftest import at


def _pool(database, cid):
    with database.transaction() as s:
        c = s.get(Customer, cid)
        return c.pool, c.owner_id


def test_pool6_recycles_after_five_working_days_normal_week(database, org, customers):
    cid = customers(
        pool="private",
        owner_id=org["rep1"],
        protected_since=at(date(2026, 10, 20)),
        last_valid=at(date(2026, 11, 2), 23),
    )
    assert run_daily(database, date(2026, 11, 9))["recycled"] == []
    assert _pool(database, cid) == ("private", org["rep1"])
    assert run_daily(database, date(2026, 11, 10))["recycled"] == [cid]
    assert _pool(database, cid) == ("bin", None)
    with database.transaction() as s:
        event = s.scalar(select(OwnershipEvent).where(OwnershipEvent.customer_id == cid))
        assert (event.rule, event.from_owner_id, event.to_pool) == ("POOL-6", org["rep1"], "bin")


def test_pool6_recycle_over_national_day_2026(database, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 9, 30), 9))
    with database.transaction() as s:
        assert countdown.recycle_due_on(s, s.get(Customer, cid)) == date(2026, 10, 14)
    assert run_daily(database, date(2026, 10, 13))["recycled"] == []
    assert run_daily(database, date(2026, 10, 14))["recycled"] == [cid]


def test_pool6_anchor_uses_local_dates(database, org, customers):
    # 2026-11-02 23:30 in Shanghai is 15:30 UTC the same day; 2026-11-03 00:30 local is still 11-02 in UTC.
    early = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2), 23))
    late = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 3), 0))
    result = run_daily(database, date(2026, 11, 10))
    assert early in result["recycled"] and late not in result["recycled"]


def test_pool6_warns_owner_one_working_day_before(database, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    assert run_daily(database, date(2026, 11, 6))["warned"] == []
    assert run_daily(database, date(2026, 11, 9))["warned"] == [cid]
    with database.transaction() as s:
        notes = s.scalars(
            select(Notification).where(Notification.user_id == org["rep1"], Notification.rule == "POOL-6")
        ).all()
        assert len(notes) == 1


def test_pool6_members_and_locked_customers_exempt(database, org, customers):
    member = customers(
        pool="private",
        owner_id=org["rep1"],
        protected_since=at(date(2026, 10, 1)),
        member_until=date(2027, 1, 1),
    )
    locked = customers(
        pool="private",
        owner_id=org["rep1"],
        protected_since=at(date(2026, 10, 1)),
        locked_until=date(2026, 11, 30),
    )
    plain = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 10, 1)))
    assert run_daily(database, date(2026, 11, 10))["recycled"] == [plain]
    assert _pool(database, member)[0] == _pool(database, locked)[0] == "private"


def test_pool17_per_grade_threshold(database, org, customers):
    with database.transaction() as s:
        update_policy(s, org["admin"], {"recycle_idle_workdays_by_grade": {"core": 10}})
    core = customers(
        pool="private",
        owner_id=org["rep1"],
        protected_since=at(date(2026, 11, 2)),
        grade="core",
        grade_override="core",  # CUS-11: a supervisor's grade survives the daily recompute
    )
    normal = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    assert run_daily(database, date(2026, 11, 10))["recycled"] == [normal]
    with database.transaction() as s:
        assert countdown.recycle_due_on(s, s.get(Customer, core)) == date(2026, 11, 17)
    assert run_daily(database, date(2026, 11, 17), catch_up=False)["recycled"] == [core]


def _two_earlier_recycles(database, org, customers) -> int:
    cid = customers(pool="private", owner_id=org["rep3"], protected_since=at(date(2026, 11, 2)))
    with database.transaction() as s:
        for rep in ("rep1", "rep2"):
            s.add(
                OwnershipEvent(
                    customer_id=cid,
                    at=at(date(2026, 6, 1)),
                    from_owner_id=org[rep],
                    to_owner_id=None,
                    from_pool="private",
                    to_pool="bin",
                    rule="POOL-6",
                )
            )
    return cid


def test_pool8_three_strikes_goes_public_when_policy_counts_recycles(database, org, customers):
    cid = _two_earlier_recycles(database, org, customers)
    with database.transaction() as s:  # POOL-8 (revised): counting recycles is a policy option
        update_policy(s, org["admin"], {"three_strikes_counts": ["release", "recycle"]})
    result = run_daily(database, date(2026, 11, 10))
    assert result["recycled"] == [cid] and result["to_public"] == [cid]
    assert _pool(database, cid) == ("public", None)


def test_pool8_by_default_only_releases_count_as_giving_up(database, org, customers):
    cid = _two_earlier_recycles(database, org, customers)
    result = run_daily(database, date(2026, 11, 10))
    assert result["recycled"] == [cid] and result["to_public"] == []
    assert _pool(database, cid) == ("bin", None)


def test_pool7_unplanned_bin_customers_go_public_after_bin_days(database, org, customers):
    cid = customers(pool="bin", entered=at(date(2026, 11, 2), 1))
    assert cid not in run_daily(database, date(2026, 11, 5))["to_public"]
    assert run_daily(database, date(2026, 11, 6))["to_public"] == [cid]


def test_pool7_planned_bin_customers_stay(database, org, customers):
    cid = customers(pool="bin", entered=at(date(2026, 11, 2), 1))
    with database.transaction() as s:
        gm = s.get(User, org["gm"])
        allocation.create_plan(s, gm, items=[{"customer_id": cid, "to_user_id": org["rep1"]}])
    assert run_daily(database, date(2026, 11, 6))["to_public"] == []


def test_mem1_member_opened_for_redevelopment(database, org, customers):
    cid = customers(
        pool="private",
        owner_id=org["rep1"],
        protected_since=at(date(2026, 1, 10)),
        last_valid=at(date(2026, 9, 30)),
        member_until=date(2027, 12, 31),
    )
    assert run_daily(database, date(2026, 10, 30))["opened_for_redevelopment"] == []
    assert run_daily(database, date(2026, 10, 31))["opened_for_redevelopment"] == [cid]


def test_pool10_departure_opens_task_reminds_and_escalates(database, org, customers):
    from poolcrm.org.schemas import UserPatch
    from poolcrm.org.service import update_user

    customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    with database.transaction() as s:
        update_user(s, org["admin"], org["rep1"], UserPatch(active=False))
    with database.transaction() as s:
        task = s.scalar(select(DepartureTask))
        assert task.supervisor_id == org["sup"] and task.status == "open"
        due = task.due_on
    clock.set_now(at(due + timedelta(days=1), 1), frozen=True)  # JOB-1b: the night after the due day
    result = run_daily(database, due + timedelta(days=1))
    assert result["departure_escalated"] == [task.id]
    with database.transaction() as s:
        assert s.scalar(select(DepartureTask.escalated_to)) == org["manager"]
        # a departing rep's customers are not recycled while the plan is pending (POOL-10)
        assert s.scalar(select(func.count()).where(Customer.pool == "private")) == 1


def test_pool10_move_between_sales_departments_keeps_pool(database, org, customers, make_user):
    from poolcrm.org.models import Department
    from poolcrm.org.schemas import UserPatch
    from poolcrm.org.service import update_user

    customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    make_user("x2", ["sales"], dept="销售二部")
    with database.transaction() as s:
        dept2 = s.scalar(select(Department.id).where(Department.name == "销售二部"))
        update_user(s, org["admin"], org["rep1"], UserPatch(department_id=dept2))
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DepartureTask)) == 0
