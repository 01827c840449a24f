"""MEM-2 (000 §6.4): a duplicate of an active member customer that turns up in the public pool or
the bin is invalid — the daily job merges it into the member's record, which stays with its owner."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from poolcrm.jobs.service import run_daily
from tests.pools.conftest import add_customer, at


def test_mem2_public_duplicate_of_a_member_is_merged_into_the_members_record(org, database):
    rep = org["ids"]["rep"]
    with database.transaction() as s:
        member = add_customer(
            s,
            pool="private",
            owner_id=rep,
            name="北京友好创达科技有限公司",
            protected_since=at(date(2026, 3, 1)),
            member_until=date(2027, 6, 30),
        )
        member.name_key = "友好创达科技"
        dup = add_customer(s, pool="public", name="友好创达科技有限公司", entered=at(date(2026, 11, 9), 15))
        dup.name_key = "友好创达科技"
        lapsed = add_customer(
            s,
            pool="private",
            owner_id=rep,
            name="上海晨光档案管理有限公司",
            protected_since=at(date(2026, 3, 1)),
            member_until=date(2026, 6, 30),
        )
        other = add_customer(s, pool="public", name="晨光档案", entered=at(date(2026, 11, 9), 15))
        other.phone = lapsed.phone  # the same company, but its membership has lapsed: not MEM-2
        ids = {"member": member.id, "dup": dup.id, "other": other.id}
    result = run_daily(database, date(2026, 11, 10), catch_up=False)
    assert result["member_duplicates_merged"] == [ids["dup"]]
    with database.transaction() as s:
        kept, gone = s.get(Customer, ids["member"]), s.get(Customer, ids["dup"])
        assert (kept.pool, kept.owner_id) == ("private", rep)
        assert (gone.pool, gone.merged_into_id) == ("merged", ids["member"])
        assert s.get(Customer, ids["other"]).pool == "public"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.merge"))
        assert entry.actor_id is None and "MEM-2" in entry.reason


def test_mem2_the_nights_check_is_two_queries_however_many_entered(org, database):
    """Issue 22: the day's entries into the public pool are matched against the active members in
    one query (an import of a million leads made it a query per entry), by name key and by phone."""
    from poolcrm.customers.merge import member_duplicates
    from tests.pools.test_lists_scale import counted

    rep = org["ids"]["rep"]
    with database.transaction() as s:
        member = add_customer(
            s, pool="private", owner_id=rep, name="北京友好创达科技有限公司", member_until=date(2027, 6, 30)
        )
        member.mobile = "13800138000"
        by_phone = add_customer(s, pool="public", name="友好创达", entered=at(date(2026, 11, 9), 15))
        by_phone.mobile = "13800138000"
        for n in range(30):
            add_customer(s, pool="public", name=f"无关公司{n}有限公司", entered=at(date(2026, 11, 9), 15))
        ids = (member.id, by_phone.id)
    with database.transaction() as s, counted(database) as seen:
        pairs = member_duplicates(s, at(date(2026, 11, 9)), at(date(2026, 11, 10)))
    assert pairs == [ids]
    assert len([q for q in seen if q.startswith("SELECT")]) <= 3, seen
