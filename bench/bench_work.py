# ruff: noqa: E501  (long SQL strings)
"""Work records at scale (WORK-1, WORK-3): 1,000,000 expenses and 200,000 reports for 200 reps in 10
groups; a supervisor's approval queue and a rep's lists over HTTP (p50/p95 of 30 requests through
the ASGI app with a session cookie), and the monthly totals per rep (median of 5).

    .venv/bin/python bench/bench_work.py --engine sqlite
    .venv/bin/python bench/bench_work.py --engine pg
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from bench_deals import GROUPS, NOW, REPS, Dialect, bench_database_url, i_str, rnd, timed
from sqlalchemy import text

from poolcrm import clock
from poolcrm.db import Database, create_schema

EXPENSES, REPORTS = 1_000_000, 200_000
STATES = "CASE WHEN {r} < 5 THEN 'draft' WHEN {r} < 15 THEN 'submitted' WHEN {r} < 55 THEN 'approved' WHEN {r} < 60 THEN 'rejected' ELSE 'reimbursed' END"


def build(db: Database) -> dict[str, float]:
    d = Dialect(not db.sqlite)
    timings: dict[str, float] = {}
    first_rep = 2 + GROUPS
    with db.engine.begin() as conn:
        t = time.perf_counter()
        conn.execute(
            text(
                "INSERT INTO departments (id, name, kind, active, created_at) VALUES "
                + ", ".join(
                    f"({g + 1}, '销售{g + 1}组', 'sales', {d.true()}, '2023-01-01 00:00:00')"
                    for g in range(GROUPS)
                )
            )
        )
        users = ["(1, 'admin', '管理员', NULL, NULL)"]
        users += [f"({2 + g}, 'sup{g + 1}', '主管{g + 1}', {g + 1}, NULL)" for g in range(GROUPS)]
        users += [
            f"({first_rep + r}, 'rep{r + 1}', '销售{r + 1:03d}', {r % GROUPS + 1}, {2 + r % GROUPS})"
            for r in range(REPS)
        ]
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, department_id, supervisor_id, password_hash, hired_on, language, active, token_version, created_at) VALUES "
                + ", ".join(
                    u[:-1] + f", 'x', '2022-01-01', 'zh', {d.true()}, 0, '2023-01-01 00:00:00')"
                    for u in users
                )
            )
        )
        roles = (
            ["(1, 'admin')"]
            + [f"({2 + g}, 'supervisor')" for g in range(GROUPS)]
            + [f"({first_rep + r}, 'sales')" for r in range(REPS)]
        )
        conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES " + ", ".join(roles)))
        timings["users"] = time.perf_counter() - t

        t = time.perf_counter()
        spent = d.add_days_date("'2023-03-16'", f"({rnd('i', 31)} % 1095)")
        status = STATES.format(r=f"({rnd('i', 32)} % 100)")
        submitted = d.add_minutes("'2023-03-16 02:00:00'", f"({rnd('i', 31)} % 1095) * 1440 + 600")
        conn.execute(
            text(
                "INSERT INTO expenses (id, user_id, subject, spent_on, type, amount, description, status, approval_level, created_at, submitted_at) "
                f"SELECT i, {first_rep} + i % {REPS}, '费用' || {i_str('i', d)}, {spent}, '交通', 50 + {rnd('i', 33)} % 2000, '拜访客户',"
                f" {status}, CASE WHEN {rnd('i', 32)} % 100 BETWEEN 5 AND 14 THEN 'supervisor' END, {submitted}, {submitted}"
                f" FROM ({d.series(EXPENSES)}) AS s"
            )
        )
        timings["expenses"] = time.perf_counter() - t

        t = time.perf_counter()
        per = REPORTS // REPS
        k = f"((i - 1) / {REPS})"
        year, week = f"(2000 + {k} / 52)", f"(1 + {k} % 52)"
        due = d.add_days_date("'2000-01-10'", f"{k} * 7")
        filed = d.add_minutes("'2000-01-10 02:00:00'", f"{k} * 7 * 1440")
        period = f"{i_str(year, d)} || '-W' || " + (
            f"lpad({i_str(week, d)}, 2, '0')" if d.pg else f"substr('0' || {i_str(week, d)}, -2, 2)"
        )
        conn.execute(
            text(
                "INSERT INTO work_reports (id, user_id, kind, period, subject, body, supervisor_id, status, due_on, submitted_at) "
                f"SELECT i, {first_rep} + (i - 1) % {REPS}, 'weekly', {period}, '周报' || {i_str('i', d)}, '详情见附件',"
                f" 2 + ((i - 1) % {REPS}) % {GROUPS}, CASE WHEN {rnd('i', 34)} % 3 = 0 THEN 'submitted' ELSE 'read' END,"
                f" {due}, {filed}"
                f" FROM ({d.series(per * REPS)}) AS s"
            )
        )
        timings["reports"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if d.pg else "ANALYZE")
        )
    timings["analyze"] = time.perf_counter() - t
    return timings


def over_http(db: Database, n: int = 30) -> list[tuple[str, str, float, float, str]]:
    from fastapi.testclient import TestClient

    from poolcrm.app import create_app
    from poolcrm.auth.service import issue_token
    from poolcrm.config import Settings
    from poolcrm.org.models import User

    app = create_app(Settings(db_url=db.url, secret_key="bench", run_scheduler=False), db=db)
    out = []
    with TestClient(app) as client:
        for who, uid, url in (
            ("supervisor (20 reps)", 2, "/api/v1/expenses?status=submitted"),
            ("rep", 2 + GROUPS, "/api/v1/expenses"),
            ("supervisor (20 reps)", 2, "/api/v1/reports?status=submitted"),
            ("rep", 2 + GROUPS, "/api/v1/reports"),
            ("supervisor (20 reps)", 2, "/work/expenses"),
        ):
            with db.transaction() as s:
                token = issue_token(s, "bench", s.get(User, uid))
            client.cookies.set("poolcrm_session", token)
            times, rows = [], 0
            for _ in range(n):
                t = time.perf_counter()
                resp = client.get(url)
                times.append(time.perf_counter() - t)
                assert resp.status_code == 200, (url, resp.status_code)
                rows = len(resp.json()) if url.startswith("/api") else resp.text.count("/work/expenses/")
            times.sort()
            out.append(
                (who, url, 1000 * statistics.median(times), 1000 * times[int(0.95 * n) - 1], f"{rows} rows")
            )
    return out


def totals(db: Database) -> list[tuple[str, float, str]]:
    from poolcrm.org.models import User
    from poolcrm.work.expenses import monthly_totals

    out = []
    with db.transaction(write=False) as s:
        for who, uid in (("admin (200 reps)", 1), ("supervisor (20 reps)", 2), ("rep", 2 + GROUPS)):
            user = s.get(User, uid)
            ms, rows = timed(lambda user=user: monthly_totals(s, user, date(2026, 2, 1), date(2026, 3, 1)))
            out.append((who, ms, f"{len(rows)} reps, {sum(r.count for r in rows):,} expenses"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    clock.set_now(NOW, frozen=True)
    db = Database(bench_database_url(args.engine, "work", args.reuse))
    if not args.reuse:
        create_schema(db.engine)
        t = time.perf_counter()
        timings = build(db)
        print(
            f"built in {time.perf_counter() - t:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        )
    with db.engine.connect() as conn:
        print(
            f"{args.engine}: "
            + ", ".join(
                f"{t} {conn.execute(text(f'SELECT count(*) FROM {t}')).scalar():,}"
                for t in ("expenses", "work_reports")
            )
        )
    print(f"{'who':22} {'request':40} {'p50 ms':>8} {'p95 ms':>8}  result")
    for who, url, p50, p95, note in over_http(db):
        print(f"{who:22} {url:40} {p50:8.1f} {p95:8.1f}  {note}")
    for who, ms, note in totals(db):
        print(f"{who:22} {'monthly totals per rep (2026-02)':40} {ms:8.1f} {'':8}  {note}")
    db.dispose()


if __name__ == "__main__":
    main()
