"""CUS-16: the SQL conditions the set-based steps use (`customers.models.active_member`,
`not_active_member`) decide as the rule does (`pools.rules.is_active_member`)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from poolcrm import clock
from poolcrm.customers import bulk, synth
from poolcrm.customers.demo import synth_record
from poolcrm.customers.models import Customer, active_member, not_active_member
from poolcrm.pools.rules import is_active_member


def test_cus16_the_sql_conditions_agree_with_the_rule(session):
    today = date(2026, 12, 4)
    dates = [None, today - timedelta(days=1), today, today + timedelta(days=1)]
    companies = synth.generate_companies(len(dates), 7)
    ids = bulk.bulk_create(session, [synth_record(c) for c in companies], at=clock.now())
    by_id = dict(zip(ids, dates, strict=True))
    for cid, until in by_id.items():
        session.execute(update(Customer).where(Customer.id == cid).values(member_until=until))
    active = set(session.scalars(select(Customer.id).where(Customer.id.in_(ids), active_member(today))))
    inactive = set(session.scalars(select(Customer.id).where(Customer.id.in_(ids), not_active_member(today))))
    assert active == {cid for cid, until in by_id.items() if is_active_member(until, today)}
    assert inactive == set(ids) - active
