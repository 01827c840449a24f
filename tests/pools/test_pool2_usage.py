"""POOL-2 usage: counted private customers (active members excluded) plus the rep's own pending
registrations and claims, against the limit — both counts read in one statement (issue 22)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from poolcrm.applications.models import KIND_CLAIM, KIND_NEW_CUSTOMER
from poolcrm.applications.service import open_application
from poolcrm.org.models import User
from poolcrm.ownership.usage import pool_usage, usage_figures
from tests.conftest import counted
from tests.pools.conftest import add_customer


def test_pool2_usage_counts_owned_and_pending_in_one_statement(database, org):
    rep = org["rep1"]
    with database.transaction() as s:
        for _ in range(3):
            add_customer(s, pool="private", owner_id=rep)
        add_customer(s, pool="private", owner_id=rep, member_until=date(2099, 1, 1))  # a member: not counted
        add_customer(s, pool="private", owner_id=org["rep2"])
        for kind in (KIND_NEW_CUSTOMER, KIND_CLAIM):
            c = add_customer(s, pool="public")
            open_application(s, kind=kind, customer_id=c.id, applicant_id=rep, rule="CUS-9")
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.id == rep)).one()
        usage = pool_usage(s, user)
        assert (usage["owned"], usage["pending"]) == (3, 2) and usage["limit"] > 0
        with counted(database) as seen:
            assert usage_figures(s, user, date(2026, 3, 2))[:2] == (3, 2)
        assert len(seen) == 1, seen
