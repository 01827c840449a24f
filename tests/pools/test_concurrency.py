"""POOL-4/POOL-2 under concurrency: threads with their own sessions through the real services
(PostgreSQL row locks; SQLite serialised writers)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from poolcrm.applications import service as applications
from poolcrm.applications.models import Application
from poolcrm.customers.models import Customer
from poolcrm.org.models import User
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.pools import claim
from poolcrm.pools import release as pools_release
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
            app_ids.append(claim.claim(s, s.get(User, rep), cid).id)
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
            app_ids.append(claim.claim(s, s.get(User, rep), cid).id)
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
        app_id = claim.claim(s, s.get(User, rep), target).id
    with database.transaction() as s:
        update_policy(s, admin, {"private_pool_limit_senior": 2})

    def release(s):
        pools_release.release(s, s.get(User, rep), owned[0], "客户注销")

    outcomes = run_all(database, [release, _approve(app_id, cs)])
    assert "ok" in outcomes
    with database.transaction() as s:
        count = s.scalar(select(func.count()).where(Customer.owner_id == rep, Customer.pool == "private"))
        assert count <= 2
        assert s.get(Customer, owned[0]).pool == "bin"
        events = s.scalar(
            select(func.count()).select_from(OwnershipEvent).where(OwnershipEvent.customer_id == owned[0])
        )
        assert events == 1
        app = s.get(Application, app_id)
        assert (app.status == "approved") == (s.get(Customer, target).owner_id == rep)


def test_job1a_daily_job_alongside_releases_and_approvals_stays_consistent(database, org):
    """The daily job (its waves side by side on PostgreSQL) while a rep releases customers the job
    recycles that very run and CS approves claims: every customer is moved once, by one rule, and
    each history is an unbroken chain of pools."""
    import threading
    import time

    from poolcrm import clock
    from poolcrm.errors import AppError
    from poolcrm.jobs.service import run_daily
    from poolcrm.policy.service import update_policy

    day = date(2026, 11, 10)
    clock.set_now(at(day, 9), frozen=True)
    rep, other, cs = org["rep1"], org["rep2"], org["cs"]
    with database.transaction() as s:
        update_policy(s, org["admin"], {"release_needs_supervisor": False})
        due = [add_customer(s, pool="private", owner_id=rep, protected_since=at(date(2026, 10, 20))).id
               for _ in range(24)]  # fmt: skip
        stale_bin = [add_customer(s, pool="bin", entered=at(date(2026, 10, 20))).id for _ in range(8)]
        public = [add_customer(s, pool="public").id for _ in range(8)]
    claims = []
    for cid in public:
        with database.transaction() as s:
            claims.append(claim.claim(s, s.get(User, other), cid).id)

    errors: list[BaseException] = []
    refused: list[str] = []
    barrier = threading.Barrier(1 + 8 + 8)

    def guarded(fn):
        def run():
            barrier.wait()
            try:
                fn()
            except AppError as exc:
                refused.append(exc.rule or exc.code)
            except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
                errors.append(exc)

        return run

    def release(cid, delay):
        def fn():
            time.sleep(delay)  # spread over the job's run: some before its recycle, some after
            with database.transaction() as s:
                pools_release.release(s, s.get(User, rep), cid, "客户已注销")

        return fn

    def approve(app_id):
        def fn():
            with database.transaction() as s:
                applications.approve(s, app_id, s.get(User, cs))

        return fn

    work = [lambda: run_daily(database, day, catch_up=False)]
    work += [release(cid, 0.03 * i) for i, cid in enumerate(due[:8])] + [approve(a) for a in claims]
    threads = [threading.Thread(target=guarded(fn)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert set(refused) <= {"POOL-5", "POOL-6", "ORG-5", "not_found"}  # released after the recycle
    with database.transaction() as s:
        events = s.execute(
            select(
                OwnershipEvent.customer_id,
                OwnershipEvent.from_pool,
                OwnershipEvent.to_pool,
                OwnershipEvent.from_owner_id,
                OwnershipEvent.rule,
            ).order_by(OwnershipEvent.id)
        ).all()
        history: dict[int, list] = {}
        for cid, src, dst, from_owner, rule in events:
            history.setdefault(cid, []).append((src, dst, from_owner, rule))
        for cid in due:  # recycled or released — once, never both
            c = s.get(Customer, cid)
            assert c.owner_id is None and c.pool in ("bin", "public"), cid
            moves = [h for h in history[cid] if h[2] == rep]
            assert len(moves) == 1 and moves[0][3] in ("POOL-5", "POOL-6"), history[cid]
        for cid in stale_bin:
            assert s.get(Customer, cid).pool == "public"
        for cid in public:
            c = s.get(Customer, cid)
            assert c.pool == "private" and c.owner_id == other
        released = [cid for cid in due[:8] if history[cid][0][3] == "POOL-5"]
        assert len(released) + refused.count("POOL-5") == 8  # a release too late is refused, not lost
        for cid, chain in history.items():
            for before, after in zip(chain, chain[1:], strict=False):
                assert before[1] == after[0], (cid, chain)  # each move starts where the last ended
