"""IN-2/POOL-2/POOL-4 under concurrency: CS agents in threads, each with its own transaction, through
the real service (PostgreSQL row locks; SQLite serialised writers)."""

from __future__ import annotations

from sqlalchemy import func, select

from poolcrm.customers.models import Customer
from poolcrm.inbound import service
from poolcrm.inbound.models import InboundItem
from poolcrm.inbound.schemas import InboundIn
from poolcrm.org.models import User
from poolcrm.policy.service import update_policy
from tests.concurrency import run_all
from tests.inbound.conftest import add_customer


def _inbound(cs_id, company):
    def fn(s):
        return service.record_inbound(s, s.get(User, cs_id), InboundIn(company=company)).outcome

    return fn


def test_in2_two_cs_at_once_on_one_public_customer_yield_exactly_one_owner(database, crm):
    with database.transaction() as s:
        cid = add_customer(s, "天津海河数据科技有限公司").id
    outcomes = run_all(
        database,
        [_inbound(crm["cs"], "天津海河数据科技有限公司"), _inbound(crm["cs2"], "天津海河数据科技有限公司")],
    )
    assert sorted(outcomes) == ["assigned_to_duty", "owner_notified"]
    with database.transaction() as s:
        c = s.get(Customer, cid)
        items = list(s.scalars(select(InboundItem).order_by(InboundItem.id)))
        assert c.pool == "private" and c.owner_id is not None
        assert {i.assigned_to for i in items} == {c.owner_id}  # the second call told the new owner


def test_pool2_simultaneous_inbound_moves_never_overfill_a_duty_pool(database, crm):
    reps = [crm["rep1"], crm["rep2"], crm["rep3"], crm["rep4"]]
    with database.transaction() as s:
        update_policy(s, crm["admin"], {"private_pool_limit_senior": 2})
        for rep in reps:
            add_customer(s, f"已有客户{rep}号有限公司", pool="private", owner_id=rep)
        names = [f"来电客户{i}号科技有限公司" for i in range(8)]
        for name in names:
            add_customer(s, name)
    outcomes = run_all(
        database, [_inbound(crm["cs"] if i % 2 else crm["cs2"], n) for i, n in enumerate(names)]
    )
    assert outcomes.count("assigned_to_duty") == 4 and outcomes.count("POOL-2") == 4
    with database.transaction() as s:
        owned = dict(
            (owner, count)
            for owner, count in s.execute(
                select(Customer.owner_id, func.count())
                .where(Customer.pool == "private")
                .group_by(Customer.owner_id)
            )
        )
        assert owned == {rep: 2 for rep in reps}
