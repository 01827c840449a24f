"""POOL-4/POOL-2 under concurrency: threads with their own sessions through the real services
(PostgreSQL row locks; SQLite serialised writers)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from poolcrm.applications import service as applications
from poolcrm.applications.models import Application
from poolcrm.customers.models import Customer
from poolcrm.org.models import User
from poolcrm.pools import service
from tests.concurrency import run_all
from tests.pools.conftest import add_customer, at


def _approve(app_id, cs_id):
    def fn(s):
        applications.approve(s, app_id, s.get(User, cs_id))

    return fn


def test_pool4_fifty_simultaneous_approvals_one_owner(database, make_user):
    cs = make_user("cs", ["cs"], dept="客服部", kind="cs")
    reps = [make_user(f"r{i}", ["sales"]) for i in range(50)]
    with database.transaction() as s:
        cid = add_customer(s, pool="public").id
    app_ids = []
    for rep in reps:
        with database.transaction() as s:
            app_ids.append(service.claim(s, s.get(User, rep), cid).id)
    outcomes = run_all(database, [_approve(a, cs) for a in app_ids])
    assert outcomes.count("ok") == 1
    with database.transaction() as s:
        customer = s.get(Customer, cid)
        assert customer.pool == "private" and customer.owner_id in reps
        statuses = s.execute(select(Application.status, Application.decision_rule)).all()
        assert sorted(st for st, _ in statuses).count("approved") == 1
        assert all(st == "rejected" and rule == "POOL-4" for st, rule in statuses if st != "approved")


def test_pool2_simultaneous_approvals_never_exceed_limit(database, make_user):
    from poolcrm.policy.service import update_policy

    cs = make_user("cs", ["cs"], dept="客服部", kind="cs")
    admin = make_user("admin", ["admin"], dept="总经办", kind="other")
    rep = make_user("rep", ["sales"])
    with database.transaction() as s:
        update_policy(s, admin, {"private_pool_limit_senior": 10})
        for _ in range(5):
            add_customer(s, pool="private", owner_id=rep, protected_since=at(date(2026, 11, 2)))
        targets = [add_customer(s, pool="public").id for _ in range(5)]
    app_ids = []
    for cid in targets:
        with database.transaction() as s:
            app_ids.append(service.claim(s, s.get(User, rep), cid).id)
    with database.transaction() as s:  # the limit drops to one above what the rep owns
        update_policy(s, admin, {"private_pool_limit_senior": 6})
    outcomes = run_all(database, [_approve(a, cs) for a in app_ids])
    assert outcomes.count("ok") == 1 and outcomes.count("POOL-2") == 4
    with database.transaction() as s:
        assert s.scalar(select(func.count()).where(Customer.owner_id == rep)) == 6


def test_pool5_simultaneous_release_and_claim_approval_consistent(database, make_user):
    from poolcrm.policy.service import update_policy

    cs = make_user("cs", ["cs"], dept="客服部", kind="cs")
    admin = make_user("admin", ["admin"], dept="总经办", kind="other")
    rep = make_user("rep", ["sales"])
    with database.transaction() as s:
        update_policy(s, admin, {"private_pool_limit_senior": 3, "release_needs_supervisor": False})
        owned = [
            add_customer(s, pool="private", owner_id=rep, protected_since=at(date(2026, 11, 2))).id
            for _ in range(2)
        ]
        target = add_customer(s, pool="public").id
    with database.transaction() as s:
        app_id = service.claim(s, s.get(User, rep), target).id
    with database.transaction() as s:
        update_policy(s, admin, {"private_pool_limit_senior": 2})

    def release(s):
        service.release(s, s.get(User, rep), owned[0], "客户注销")

    outcomes = run_all(database, [release, _approve(app_id, cs)])
    assert "ok" in outcomes
    with database.transaction() as s:
        count = s.scalar(select(func.count()).where(Customer.owner_id == rep, Customer.pool == "private"))
        assert count <= 2
        assert s.get(Customer, owned[0]).pool == "bin"
        events = s.scalar(
            select(func.count())
            .select_from(service.OwnershipEvent)
            .where(service.OwnershipEvent.customer_id == owned[0])
        )
        assert events == 1
        app = s.get(Application, app_id)
        assert (app.status == "approved") == (s.get(Customer, target).owner_id == rep)
