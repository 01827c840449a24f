import os
import subprocess
import sys

from typer.testing import CliRunner

from poolcrm.cli import app


def test_cli_init_is_safe_to_run_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["init", "--admin", "boss", "--password", "boss-pass-1", "--db", url])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    second = runner.invoke(app, ["init", "--admin", "boss", "--password", "boss-pass-1", "--db", url])
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output


def test_cli_jobs_run_daily_rejects_a_bad_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    bad = runner.invoke(app, ["jobs", "run-daily", "--as-of", "2026-13-01", "--db", url])
    assert bad.exit_code == 2
    good = runner.invoke(app, ["jobs", "run-daily", "--as-of", "2026-11-10", "--db", url])
    assert good.exit_code == 0, good.output


def test_cli_demo_with_synthetic_customers(tmp_path):
    """`poolcrm demo --customers N` (CUS-18 bulk path, generator in a worker process): N more
    customers in the public pool, each with its normal form, initials, grams and POOL-12 event,
    found by the duplicate check; a second run says the demo is there and changes nothing."""
    from sqlalchemy import func, select

    from poolcrm.customers import dedupe, synth
    from poolcrm.customers.models import Customer, CustomerNameGram
    from poolcrm.db import Database
    from poolcrm.ownership.models import OwnershipEvent

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--customers", "3000", "--db", url])
    assert first.exit_code == 0, first.output
    assert "demo company ready" in first.output
    made = synth.generate_companies(3000, 2026)
    db = Database(url)
    with db.engine.connect() as conn:  # the load ran under the rollback journal; WAL again now
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with db.transaction(write=False) as s:
        rows = s.execute(
            select(Customer.id, Customer.name, Customer.name_key, Customer.name_initials, Customer.source)
            .where(Customer.name.in_([c["name"] for c in made]))
            .order_by(Customer.id)
        ).all()
        assert [r.name for r in rows] == [c["name"] for c in made]
        assert all(
            r.name_key == c["name_key"] and r.name_initials == c["name_initials"]
            for r, c in zip(rows, made, strict=True)
        )
        assert all(r.source for r in rows)
        ids = [r.id for r in rows]
        events = s.scalar(
            select(func.count()).where(OwnershipEvent.customer_id.in_(ids), OwnershipEvent.rule == "CUS-18")
        )
        with_grams = s.scalar(
            select(func.count(func.distinct(CustomerNameGram.customer_id))).where(
                CustomerNameGram.customer_id.in_(ids)
            )
        )
        assert events == with_grams == 3000
        target = made[1234]["name"]
        found = dedupe.find_duplicates(s, target.replace("有限公司", ""))
        assert found and found[0].customer.name == target
        total = s.scalar(select(func.count()).select_from(Customer))
    second = runner.invoke(app, ["demo", "--customers", "3000", "--db", url])
    assert second.exit_code == 0 and "already present" in second.output
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == total
    db.dispose()


def test_sec1_run_daily_refuses_an_absurd_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    for day in ("0001-01-01", "9999-12-31"):
        assert runner.invoke(app, ["jobs", "run-daily", "--as-of", day, "--db", url]).exit_code == 2


def test_demo_never_prints_an_admin_password_that_would_fail(tmp_path):
    """Issue 22: after `init --admin admin --password X`, `demo` printed admin / admin12345."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    runner = CliRunner()
    assert (
        runner.invoke(app, ["init", "--admin", "admin", "--password", "Secret-123", "--db", url]).exit_code
        == 0
    )
    out = runner.invoke(app, ["demo", "--db", url]).output
    assert "admin12345" not in out and "the password given to poolcrm init" in out


def test_demo_staff_is_a_sales_force_with_its_own_pools(tmp_path):
    """Issue 22: `poolcrm demo --staff N` makes N more salespeople in groups of STAFF_GROUP under a
    supervisor each (ORG-1/ORG-2), customer service to match, and each salesperson claims
    (POOL-4, approved by CS) up to STAFF_PRIVATE synthetic customers, with follow-ups (FU-1), deals
    (DEAL-*, some won with contracts) and service tickets (SVC-*) in proportion — so that a load
    test has an account per simulated person and the lists have a company's history to page."""
    from sqlalchemy import func, select

    from poolcrm.applications.models import KIND_CLAIM, STATUS_APPROVED, Application
    from poolcrm.contracts.models import Contract
    from poolcrm.customers.models import POOL_PRIVATE, Customer
    from poolcrm.db import Database
    from poolcrm.deals.demo import STAFF_STORIES
    from poolcrm.deals.models import Deal
    from poolcrm.demo import STAFF_GROUP, STAFF_PRIVATE, staff_usernames
    from poolcrm.followups.models import FollowUp
    from poolcrm.org.models import User
    from poolcrm.org.passwords import verify_password
    from poolcrm.org.service import visible_owner_ids
    from poolcrm.ownership.models import OwnershipEvent
    from poolcrm.service.demo import STAFF_TICKETS
    from poolcrm.service.models import Ticket

    assert [len(names) for names in staff_usernames(81)] == [81, 11, 2]
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    out = runner.invoke(app, ["demo", "--customers", "600", "--staff", "10", "--db", url])
    assert out.exit_code == 0, out.output
    db = Database(url)
    with db.transaction(write=False) as s:
        assert "sales0001…sales0010 / demo12345" in out.output and "lead001…lead002" in out.output
        users = {u.username: u for u in s.scalars(select(User))}
        manager = users["manager"]
        for g, lead in enumerate(("lead001", "lead002")):
            assert users[lead].supervisor_id == manager.id
            assert {"supervisor", "sales"} <= set(users[lead].roles)
            members = [
                users[f"sales{i:04d}"] for i in range(g * STAFF_GROUP + 1, min((g + 1) * STAFF_GROUP, 10) + 1)
            ]
            assert {m.supervisor_id for m in members} == {users[lead].id}
            assert {m.department_id for m in members} == {users[lead].department_id}
            assert {m.id for m in members} <= set(visible_owner_ids(s, users[lead]))  # ORG-2
        rep = users["sales0007"]
        assert rep.roles == ["sales"] and verify_password(rep.password_hash, "demo12345")
        owned = list(s.scalars(select(Customer.id).where(Customer.owner_id == rep.id)))
        assert len(owned) == STAFF_PRIVATE
        assert (
            s.scalar(select(func.count()).where(Customer.id.in_(owned), Customer.pool != POOL_PRIVATE)) == 0
        )
        claims = s.scalar(
            select(func.count()).where(
                Application.applicant_id == rep.id,
                Application.kind == KIND_CLAIM,
                Application.status == STATUS_APPROVED,
                Application.decided_by == users["cs1"].id,
            )
        )
        assert claims == STAFF_PRIVATE
        followed = s.scalar(
            select(func.count(func.distinct(FollowUp.customer_id))).where(FollowUp.author_id == rep.id)
        )
        assert followed == STAFF_PRIVATE
        # issue 22: deals (with their contracts and payments) and service tickets in proportion
        staff_ids = [u.id for name, u in users.items() if name.startswith("sales")]
        deals = list(s.scalars(select(Deal).where(Deal.owner_id.in_(staff_ids))))
        assert len(deals) == STAFF_STORIES * 10
        assert {d.owner_id for d in deals} == set(staff_ids)
        assert {d.status for d in deals} >= {"won", "lost"}
        assert s.scalar(select(func.count()).where(Contract.deal_id.in_([d.id for d in deals]))) > 0
        ticketed = list(s.scalars(select(Customer.owner_id).join(Ticket, Ticket.customer_id == Customer.id)))
        assert sum(owner in staff_ids for owner in ticketed) == STAFF_TICKETS * 10
        # claimed when they came, months ago: every deal begins after its customer was theirs
        for deal in deals:
            customer = s.get(Customer, deal.customer_id)
            assert customer is not None and customer.protected_since is not None
            assert customer.created_at <= customer.protected_since <= deal.created_at
        first = s.scalar(select(func.min(OwnershipEvent.at)).where(OwnershipEvent.customer_id == owned[0]))
        assert first == s.get(Customer, owned[0]).created_at
    db.dispose()


def test_a_worker_that_crashes_writes_its_threads_stacks_to_the_log(tmp_path):
    """The served app (`poolcrm.asgi`, what each `poolcrm serve` worker imports) turns on
    `faulthandler`: a crash inside a C extension leaves every thread's Python stack on stderr, not
    only uvicorn's "Child process died" (issue 22's load runs)."""
    crash = "import ctypes, poolcrm.asgi\ndef in_a_handler():\n    ctypes.string_at(0)\nin_a_handler()\n"
    env = {**os.environ, "POOLCRM_DB": f"sqlite:///{tmp_path / 'crm.db'}", "POOLCRM_SCHEDULER": "0"}
    env.pop("PYTHONFAULTHANDLER", None)
    done = subprocess.run(
        [sys.executable, "-c", crash], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "Fatal Python error: Segmentation fault" in done.stderr
    assert "in in_a_handler" in done.stderr


def test_a_served_worker_collects_garbage_less_often_and_never_walks_what_starting_made(tmp_path):
    """Issue 22: each worker (`poolcrm.asgi`) freezes the objects made while starting and raises the
    collector's thresholds (a request allocates thousands of objects; at CPython's 700 the collector
    ran several times per request)."""
    probe = (
        "import gc, poolcrm.asgi as a\n"
        "print(gc.get_threshold() == a.GC_THRESHOLDS, gc.get_freeze_count() > 10000)\n"
    )
    env = {**os.environ, "POOLCRM_DB": f"sqlite:///{tmp_path / 'crm.db'}", "POOLCRM_SCHEDULER": "0"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_job1b_cli_refuses_a_day_to_come_and_follows_the_shared_test_clock(tmp_path, monkeypatch):
    """JOB-1b: the operator may run a past day, never one to come (a clear message, exit 2). With
    POOLCRM_TEST_CLOCK=1 the CLI's today is the day an admin moved the shared clock to (CAL-2)."""
    from datetime import UTC, datetime

    from poolcrm import clock
    from poolcrm.calendar import service as calendar_service
    from poolcrm.db import Database

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    today = clock.today()
    ahead = runner.invoke(app, ["jobs", "run-daily", "--as-of", "2199-12-31", "--db", url])
    assert ahead.exit_code == 2
    assert (
        "JOB-1b" in ahead.output and "has not come yet" in ahead.output and today.isoformat() in ahead.output
    )
    assert runner.invoke(app, ["jobs", "run-daily", "--as-of", "2026-11-10", "--db", url]).exit_code == 0
    db = Database(url)
    with db.transaction() as s:  # an admin moved the shared clock to 2199-12-31 (another process)
        clock.set_now(datetime(2199, 12, 31, 1, 0, tzinfo=UTC))
        calendar_service.share_test_clock(s)
    db.dispose()
    clock.reset()
    monkeypatch.setattr(calendar_service, "_applied_clock_version", None)
    args = ["jobs", "run-daily", "--as-of", "2199-12-31", "--db", url]
    assert runner.invoke(app, args, env={"POOLCRM_TEST_CLOCK": "0"}).exit_code == 2
    moved = runner.invoke(app, args, env={"POOLCRM_TEST_CLOCK": "1"})
    assert moved.exit_code == 0, moved.output
