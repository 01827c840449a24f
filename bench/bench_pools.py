# ruff: noqa: E501  (long SQL and report lines)
"""Pools benchmark (issue 4): the daily job over a million customers and millions of follow-ups,
claim approval latency and the "my pool" page for a KA rep with 330 customers.

    .venv/bin/python bench/bench_pools.py --engine sqlite --customers 1000000 --followups 5000000
    .venv/bin/python bench/bench_pools.py --engine pg --customers 1000000 --followups 5000000

To work on the job, build once and run on copies:  --keep NAME, then --reuse NAME --job-only.

Data is generated set-based (INSERT … SELECT over a number series), not through the services."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from datetime import date, datetime
from typing import Any

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
os.environ.setdefault("POOLCRM_SCHEDULER", "0")

from sqlalchemy import create_engine, text  # noqa: E402

from poolcrm import clock  # noqa: E402
from poolcrm.db import Database, create_schema  # noqa: E402
from poolcrm.pools import claim

RUN_DATE = date(2026, 11, 10)
REPS = 2400
PG_SERVER = os.environ.get("POOLCRM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def series(db: Database, n: int) -> str:
    """A FROM clause yielding i = 1..n."""
    if db.sqlite:
        return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) AS g"
    return f"generate_series(1, {n}) AS g(i)"


def ts(db: Database, base: str, seconds_expr: str) -> str:
    """A naive-UTC timestamp `base` minus `seconds_expr` seconds, in each engine's storage format."""
    if db.sqlite:
        return f"strftime('%Y-%m-%d %H:%M:%f000', '{base}', '-' || ({seconds_expr}) || ' seconds')"
    return f"(TIMESTAMP '{base}' - ({seconds_expr}) * INTERVAL '1 second')"


def build(db: Database, customers: int, followups: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    from poolcrm.org.schemas import DepartmentIn, UserIn
    from poolcrm.org.service import create_department, create_user

    t = time.perf_counter()
    with db.transaction() as s:
        sales = create_department(s, None, DepartmentIn(name="销售部", kind="sales")).id
        ka = create_department(s, None, DepartmentIn(name="KA部", kind="ka")).id
        create_user(
            s,
            None,
            UserIn(
                username="admin",
                password="bench-pass-1",
                display_name="admin",
                roles=["admin"],
                hired_on=date(2020, 1, 1),
            ),
        )
        create_user(
            s,
            None,
            UserIn(
                username="cs",
                password="bench-pass-1",
                display_name="客服",
                roles=["cs"],
                hired_on=date(2020, 1, 1),
            ),
        )
        create_user(
            s,
            None,
            UserIn(
                username="karep",
                password="bench-pass-1",
                display_name="KA销售",
                roles=["sales"],
                department_id=ka,
                hired_on=date(2020, 1, 1),
            ),
        )
    with db.engine.begin() as conn:
        first = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM users")).scalar_one() + 1
        conn.execute(
            text(
                f"INSERT INTO users (id, username, password_hash, display_name, department_id, hired_on, language, "
                f"active, token_version, created_at) SELECT {first} + i - 1, 'rep' || i, 'x', '销售' || i, {sales}, "
                f"'2020-01-01', 'zh', TRUE, 0, '2020-01-01 00:00:00.000000' FROM {series(db, REPS)}"
            )
        )
        conn.execute(
            text(f"INSERT INTO user_roles (user_id, role) SELECT id, 'sales' FROM users WHERE id >= {first}")
        )
        if not db.sqlite:
            conn.execute(text("SELECT setval('users_id_seq', (SELECT MAX(id) FROM users))"))
            conn.execute(text("SELECT setval('user_roles_id_seq', (SELECT MAX(id) FROM user_roles))"))
    timings["users"] = time.perf_counter() - t

    base = "2026-11-09 16:00:00"
    # pools: 60 % private (owner = a rep), 35 % public, 5 % bin; anchors spread over 20 days so
    # that a few percent are due on RUN_DATE.
    t = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(f"""
            INSERT INTO customers (id, code, name, name_key, address, customer_type, contact_name, phone, tags,
                status, open_for_redevelopment, pool, owner_id, protected_since, pool_entered_at,
                last_valid_followup_at, member_until, created_at, updated_at, version)
            SELECT i, 'B' || i, '基准客户' || i || '科技有限公司', '基准客户' || i, '北京市某路' || i || '号', 'direct',
                '联系人', '010' || i, '[]', 'potential', FALSE,
                CASE WHEN i % 20 < 12 THEN 'private' WHEN i % 20 < 19 THEN 'public' ELSE 'bin' END,
                CASE WHEN i % 20 < 12 THEN {first} + (i % {REPS}) END,
                CASE WHEN i % 20 < 12 THEN {ts(db, base, "86400 * (20 + i % 40)")} END,
                {ts(db, base, "86400 * (i % 9)")},
                CASE WHEN i % 20 < 12 THEN {ts(db, base, "86400 * (i % 7) + 600 + CASE WHEN i % 33 = 0 THEN 864000 ELSE 0 END")} END,
                CASE WHEN i % 50 = 0 THEN {"'2027-06-30'" if db.sqlite else "DATE '2027-06-30'"} END,
                '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1
            FROM {series(db, customers)}""")
        )
    timings["customers"] = time.perf_counter() - t

    t = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"""
            INSERT INTO followups (id, customer_id, author_id, subject, content, content_key, valid, invalid_reasons,
                source, created_at, next_followup_on, remind_user_id)
            SELECT i, 1 + (CAST(i AS BIGINT) * 7919) % {customers}, {first} + (i % {REPS}), '致电',
                '与客户电话沟通采购计划和预算第' || i || '次', 'k' || i, i % 10 <> 0, '[]', 'followup',
                {ts(db, base, "(i * 37) % 5184000")},
                CASE WHEN i % 25 = 0 THEN DATE '2026-11-01' + (i % 20) END,
                CASE WHEN i % 25 = 0 THEN {first} + (i % {REPS}) END
            FROM {series(db, followups)}""".replace(
                    "DATE '2026-11-01' + (i % 20)",
                    "date('2026-11-01', '+' || (i % 20) || ' days')"
                    if db.sqlite
                    else "DATE '2026-11-01' + (i % 20)",
                )
            )
        )
        if not db.sqlite:
            conn.execute(text("SELECT setval('customers_id_seq', (SELECT MAX(id) FROM customers))"))
            conn.execute(text("SELECT setval('followups_id_seq', (SELECT MAX(id) FROM followups))"))
    timings["followups"] = time.perf_counter() - t

    t = time.perf_counter()
    with db.engine.begin() as conn:
        karep = conn.execute(text("SELECT id FROM users WHERE username = 'karep'")).scalar_one()
        conn.execute(
            text(
                f"UPDATE customers SET owner_id = {karep}, pool = 'private', "
                f"protected_since = {ts(db, base, '86400 * (id % 5)')} WHERE id <= 330"
            )
        )
        if db.sqlite:
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    timings["analyze"] = time.perf_counter() - t
    return timings


CURRENT_STEP = threading.local()


def profile_sql(db: Database) -> dict[tuple[str, str], list[float]]:
    """Time spent per (step, statement) — for --profile."""
    from sqlalchemy import event

    stats: dict[tuple[str, str], list[float]] = {}

    @event.listens_for(db.engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        key = (getattr(CURRENT_STEP, "name", "-"), " ".join(statement.split())[:110])
        entry = stats.setdefault(key, [0.0, 0.0])
        entry[0] += time.perf_counter() - conn.info.pop("t0", time.perf_counter())
        entry[1] += 1

    return stats


def timed_steps() -> dict[str, float]:
    from poolcrm.jobs import registry

    spent: dict[str, float] = {}
    for step in registry.steps():

        def wrap(fn: Any, name: str) -> Any:
            def run(session: Any, as_of: date) -> Any:
                CURRENT_STEP.name = name
                t = time.perf_counter()
                out = fn(session, as_of)
                session.flush()
                spent[name] = time.perf_counter() - t
                CURRENT_STEP.name = "-"
                return out

            return run

        registry._steps[step.name] = registry.Step(step.name, step.order, wrap(step.fn, step.name))
    return spent


def bench_job(db: Database, customers: int) -> dict[str, Any]:
    from poolcrm.jobs.service import run_daily

    with db.engine.connect() as conn:
        t = time.perf_counter()
        conn.execute(text("SELECT count(*) FROM customers")).scalar_one()
        count_s = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute(
            text("SELECT count(*) FROM customers WHERE last_valid_followup_at IS NOT NULL")
        ).scalar_one()
        scan_s = time.perf_counter() - t
    spent = timed_steps()
    clock.set_now(datetime(2026, 11, 10, 1, 0, tzinfo=clock.local(datetime(2026, 1, 1)).tzinfo), frozen=True)
    t = time.perf_counter()
    result = run_daily(db, RUN_DATE, catch_up=False)
    job_s = time.perf_counter() - t
    return {
        "count_star_s": count_s,
        "column_scan_s": scan_s,
        "job_s": job_s,
        "steps": spent,
        "recycled": len(result.get("recycled", [])),
        "warned": len(result.get("warned", [])),
        "to_public": len(result.get("to_public", [])),
        "reminded": len(result.get("reminded", [])),
        "customers_per_s": customers / job_s,
    }


def bench_claims(db: Database, n: int = 200) -> dict[str, float]:
    from sqlalchemy import select

    from poolcrm.applications import service as applications
    from poolcrm.customers.models import Customer
    from poolcrm.org.models import User

    with db.transaction() as s:
        reps = list(s.scalars(select(User.id).where(User.username.like("rep%")).order_by(User.id).limit(n)))
        public = list(
            s.scalars(select(Customer.id).where(Customer.pool == "public").order_by(Customer.id).limit(n))
        )
        cs = s.scalar(select(User.id).where(User.username == "cs"))
        s.execute(
            text("UPDATE customers SET owner_id = NULL, pool = 'public' WHERE owner_id IN :ids").bindparams(
                __import__("sqlalchemy").bindparam("ids", expanding=True)
            ),
            {"ids": reps},
        )
    apps = []
    for rep, cid in zip(reps, public, strict=False):
        with db.transaction() as s:
            apps.append(claim.claim(s, s.get(User, rep), cid).id)
    times = []
    for app_id in apps:
        t = time.perf_counter()
        with db.transaction() as s:
            applications.approve(s, app_id, s.get(User, cs))
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "approvals": len(times),
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[int(0.95 * len(times)) - 1],
    }


def bench_my_pool(db: Database, n: int = 30) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from poolcrm.app import create_app
    from poolcrm.config import Settings

    app = create_app(Settings(db_url=db.url, secret_key="bench", run_scheduler=False), db=db)
    with TestClient(app) as client:
        client.post(
            "/login",
            data={"username": "karep", "password": "bench-pass-1", "next": "/"},
            follow_redirects=False,
        )
        times = []
        for _ in range(n):
            t = time.perf_counter()
            resp = client.get("/pools/mine", headers={"Accept": "text/html"})
            times.append(time.perf_counter() - t)
            assert resp.status_code == 200 and resp.text.count("data-customer=") == 330, resp.status_code
    times.sort()
    return {"rows": 330, "p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * n) - 1]}


def _pg_admin() -> Any:
    return create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")


def _pg_create(admin: Any, name: str, template: str = "template0") -> None:
    with admin.connect() as conn:
        conn.execute(
            text(
                f"CREATE DATABASE {name} TEMPLATE {template} ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' STRATEGY FILE_COPY"
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--followups", type=int, default=5_000_000)
    parser.add_argument(
        "--keep", metavar="NAME", help="build into this database (pg) / file (sqlite) and keep it"
    )
    parser.add_argument(
        "--reuse", metavar="NAME", help="skip the build: run on a fresh copy of a database made with --keep"
    )
    parser.add_argument("--job-only", action="store_true", help="only the daily job (no claims, no page)")
    parser.add_argument(
        "--profile", action="store_true", help="print the costliest SQL statements of the job"
    )
    args = parser.parse_args()
    admin = None
    drop = True
    if args.engine == "sqlite":
        if args.keep:
            path, drop = os.path.abspath(args.keep), False
        else:
            path = os.path.join(tempfile.mkdtemp(prefix="bench_pools_"), "bench.db")
            if args.reuse:
                shutil.copyfile(args.reuse, path)
        url = f"sqlite:///{path}"
    else:
        admin = _pg_admin()
        name = args.keep or f"bench_pools_{uuid.uuid4().hex[:6]}"
        drop = not args.keep
        _pg_create(admin, name, template=args.reuse or "template0")
        url = f"{PG_SERVER}/{name}"
    db = Database(url)
    try:
        print(
            f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, {platform.python_version()}, "
            f"{date.today().isoformat()}, engine {args.engine}, load {os.getloadavg()[0]:.1f}"
        )
        if not args.reuse:
            create_schema(db.engine)
            build_t = build(db, args.customers, args.followups)
            print("build (s):", {k: round(v, 1) for k, v in build_t.items()})
        if args.keep:
            print("kept:", args.keep)
            return
        stats = profile_sql(db) if args.profile else {}
        job = bench_job(db, args.customers)
        print(
            f"SELECT count(*) FROM customers: {job['count_star_s']:.3f} s; column scan {job['column_scan_s']:.3f} s"
        )
        print(
            f"daily job over {args.customers:,} customers / {args.followups:,} follow-ups: {job['job_s']:.2f} s "
            f"({job['customers_per_s']:,.0f} customers/s); recycled {job['recycled']:,}, warned {job['warned']:,}, "
            f"to public {job['to_public']:,}, reminded {job['reminded']:,}"
        )
        print("steps (s):", {k: round(v, 2) for k, v in job["steps"].items()})
        for (step, stmt), (spent_s, calls) in sorted(stats.items(), key=lambda kv: -kv[1][0])[:25]:
            print(f"  {spent_s:7.3f} s {int(calls):6d}× {step:28s} {stmt}")
        if args.job_only:
            return
        # The job runs at night; approvals and pages are measured by day, not while the server
        # is still writing the job's changes out (a checkpoint of ≈ 1 GB of WAL on PostgreSQL).
        with db.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)" if db.sqlite else "CHECKPOINT"))
        print("claim approval:", {k: round(v, 1) for k, v in bench_claims(db).items()})
        print("my pool page (KA rep, 330 customers):", {k: round(v, 1) for k, v in bench_my_pool(db).items()})
    finally:
        db.dispose()
        if admin is not None:
            if drop:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)"))
            admin.dispose()
        elif drop:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)


if __name__ == "__main__":
    main()
