# ruff: noqa: E501  (long SQL strings)
"""The service desk at scale (SVC-4, SVC-7, SVC-8): 1,000,000 tickets over two years on 200,000
customers, a service team of 20 under one supervisor, 200 reps. Measured: the SLA breach scan that
runs every minute (the first run with a backlog of every overdue open ticket, then the steady state),
the supervisor's queue, a staff member's and a rep's lists over HTTP (p50/p95 of 30 requests through
the ASGI app with a session cookie), and a month's statistics by staff, customer and product.

    .venv/bin/python bench/bench_service.py --engine sqlite
    .venv/bin/python bench/bench_service.py --engine pg

Tickets are spread evenly over the two years before the bench's "now" (2026-03-15 10:00 Beijing);
those of the last three days are still open (a third waiting unassigned, the rest in progress),
older ones closed (2 % abandoned) with their response and resolution times, 70 % rated; 10 % are
complaints, repairs name one of five products.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench_deals import NOW, Dialect, bench_database_url, filler, i_str, rnd, timed
from sqlalchemy import text

from poolcrm import clock
from poolcrm.db import Database, create_schema

TICKETS, CUSTOMERS, STAFF, REPS = 1_000_000, 200_000, 20, 200
DAYS = 730
GM, LEAD, FIRST_STAFF = 2, 3, 4
CS = FIRST_STAFF + STAFF
FIRST_REP = CS + 1
NOW_UTC = "2026-03-15 02:00:00"
START_UTC = "2024-03-15 02:00:00"
KINDS = "CASE {r} WHEN 0 THEN 'in_warranty' WHEN 1 THEN 'in_warranty' WHEN 2 THEN 'out_warranty' WHEN 3 THEN 'installation' WHEN 4 THEN 'online' WHEN 5 THEN 'online' WHEN 6 THEN 'return_visit' ELSE 'training' END"
PRODUCTS = "CASE {r} WHEN 0 THEN '高速扫描仪 FS-9000' WHEN 1 THEN '档案管理系统 V5' WHEN 2 THEN '智能密集架 MJ-200' WHEN 3 THEN '扫描软件 ScanPro' ELSE '条码打印机 BP-80' END"


def _users(conn: Any, d: Dialect) -> None:
    conn.execute(
        text(
            "INSERT INTO departments (id, name, kind, active, created_at) VALUES "
            f"(1, '总经办', 'other', {d.true()}, '2023-01-01 00:00:00'), (2, '服务部', 'service', {d.true()}, '2023-01-01 00:00:00'),"
            f" (3, '客服部', 'cs', {d.true()}, '2023-01-01 00:00:00'), (4, '销售部', 'sales', {d.true()}, '2023-01-01 00:00:00')"
        )
    )
    users = [(1, "admin", 1, "NULL"), (GM, "gm", 1, "NULL"), (LEAD, "svcsup", 2, GM)]
    users += [(FIRST_STAFF + k, f"svc{k + 1}", 2, LEAD) for k in range(STAFF)]
    users += [(CS, "cs1", 3, GM)] + [(FIRST_REP + r, f"rep{r + 1}", 4, "NULL") for r in range(REPS)]
    conn.execute(
        text(
            "INSERT INTO users (id, username, display_name, department_id, supervisor_id, password_hash, hired_on, language, active, token_version, created_at) VALUES "
            + ", ".join(
                f"({uid}, '{name}', '{name}', {dept}, {sup}, 'x', '2022-01-01', 'zh', {d.true()}, 0, '2023-01-01 00:00:00')"
                for uid, name, dept, sup in users
            )
        )
    )
    roles = [(1, "admin"), (GM, "gm"), (LEAD, "service"), (LEAD, "supervisor"), (CS, "cs")]
    roles += [(FIRST_STAFF + k, "service") for k in range(STAFF)] + [
        (FIRST_REP + r, "sales") for r in range(REPS)
    ]
    conn.execute(
        text("INSERT INTO user_roles (user_id, role) VALUES " + ", ".join(f"({u}, '{r}')" for u, r in roles))
    )


def _customers(conn: Any, d: Dialect) -> None:
    from poolcrm.customers.models import Customer

    cols, vals = filler(
        Customer.__table__,
        {
            "id": "i",
            "code": f"'SV' || {i_str('i', d)}",
            "name": f"'上海服务基准{i_str('i', d)}科技有限公司'",
            "name_key": f"'服务基准' || {i_str('i', d)}",
            "customer_type": "'direct'",
            "pool": "'private'",
            "owner_id": f"({FIRST_REP} + i % {REPS})",
            "status": "'closed'",
            "created_at": "'2023-01-01 00:00:00'",
            "updated_at": "'2023-01-01 00:00:00'",
            "version": "1",
        },
        d,
        i_str("i", d),
    )
    conn.execute(
        text(
            f"INSERT INTO customers ({', '.join(cols)}) SELECT {', '.join(vals)} FROM ({d.series(CUSTOMERS)}) AS s"
        )
    )


def _tickets(conn: Any, d: Dialect, n: int) -> None:
    from poolcrm.service.models import Ticket

    created = d.add_minutes(f"'{START_UTC}'", f"(CAST(i AS BIGINT) * {DAYS * 1440}) / {n}")
    age = f"({DAYS * 1440} - (CAST(i AS BIGINT) * {DAYS * 1440}) / {n})"  # minutes before now
    open_ = f"({age} < 3 * 1440)"
    pending = f"({open_} AND {rnd('i', 41)} % 3 = 0)"
    complaint = f"({rnd('i', 42)} % 10 = 0)"
    kind = KINDS.format(r=f"({rnd('i', 43)} % 8)")
    response = f"(5 + {rnd('i', 44)} % 300)"
    resolution = f"(120 + {rnd('i', 45)} % 4000)"
    breached = f"(({complaint} AND {response} > 30) OR {response} > 240 OR {resolution} > 2880)"
    status = f"CASE WHEN {pending} THEN 'pending' WHEN {open_} THEN 'processing' WHEN {rnd('i', 46)} % 50 = 0 THEN 'abandoned' ELSE 'closed' END"
    respond_by = d.add_minutes(created, f"CASE WHEN {complaint} THEN 30 ELSE 240 END")
    resolve_by = d.add_minutes(created, f"CASE WHEN {complaint} THEN 1440 ELSE 2880 END")
    done = f"NOT {open_}"
    product = PRODUCTS.format(r=f"({rnd('i', 48)} % 5)")
    given = {
        "id": "i",
        "number": f"'FW' || {i_str(f'{10_000_000} + i', d)}",
        "subject": "'服务'",
        "customer_id": f"(1 + {rnd('i', 47)} % {CUSTOMERS})",
        "kind": kind,
        "request_type": f"CASE WHEN {complaint} THEN 'complaint' ELSE 'tech_support' END",
        "priority": f"CASE WHEN {complaint} THEN 'high' ELSE 'medium' END",
        "urgent": f"CASE WHEN {complaint} THEN {d.true()} ELSE {d.false()} END",
        "product": f"CASE WHEN {rnd('i', 43)} % 8 < 3 THEN {product} END",
        "description": "'设备故障'",
        "status": status,
        "assignee_id": f"CASE WHEN {pending} THEN NULL ELSE {FIRST_STAFF} + i % {STAFF} END",
        "created_by": str(CS),
        "created_at": created,
        "updated_at": created,
        "dispatched_at": f"CASE WHEN {pending} THEN NULL ELSE {d.add_minutes(created, '3')} END",
        "accepted_at": f"CASE WHEN {pending} THEN NULL ELSE {d.add_minutes(created, response)} END",
        "resolved_at": f"CASE WHEN {done} THEN {d.add_minutes(created, resolution)} END",
        "closed_at": f"CASE WHEN {done} THEN {d.add_minutes(created, f'{resolution} + 600')} END",
        "response_minutes": f"CASE WHEN {pending} THEN NULL ELSE {response} END",
        "resolution_minutes": f"CASE WHEN {done} THEN {resolution} END",
        "respond_by": f"CASE WHEN {complaint} THEN NULL ELSE {respond_by} END",
        "contact_by": f"CASE WHEN {complaint} THEN {respond_by} END",
        "resolve_by": resolve_by,
        "next_deadline_at": f"CASE WHEN {pending} THEN {respond_by} WHEN {open_} THEN {resolve_by} END",
        "breaches": "'[]'",
        "breach_count": f"CASE WHEN {done} AND {breached} THEN 1 ELSE 0 END",
        "sla_clock": "'calendar'",
        "rating_score": f"CASE WHEN {done} AND {rnd('i', 49)} % 10 < 7 THEN 1 + {rnd('i', 50)} % 5 END",
        "rated_at": f"CASE WHEN {done} AND {rnd('i', 49)} % 10 < 7 THEN {d.add_minutes(created, f'{resolution} + 1440')} END",
    }
    cols, vals = filler(Ticket.__table__, given, d, i_str("i", d))
    conn.execute(
        text(f"INSERT INTO tickets ({', '.join(cols)}) SELECT {', '.join(vals)} FROM ({d.series(n)}) AS s")
    )
    conn.execute(text(f"INSERT INTO ticket_sequences (year, last) VALUES (2026, {n})"))


def build(db: Database, n: int) -> dict[str, float]:
    d = Dialect(not db.sqlite)
    timings: dict[str, float] = {}
    with db.engine.begin() as conn:
        t = time.perf_counter()
        _users(conn, d)
        _customers(conn, d)
        timings["users+customers"] = time.perf_counter() - t
        t = time.perf_counter()
        _tickets(conn, d, n)
        timings["tickets"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if d.pg else "ANALYZE")
        )
    timings["analyze"] = time.perf_counter() - t
    return timings


def breach_scan(db: Database) -> list[tuple[str, float, str]]:
    """SVC-4: the first scan meets every overdue open ticket at once (at most SCAN_BATCH per run),
    later runs find only what fell due since (here: nothing)."""
    from poolcrm.service.sla import scan_breaches

    out = []
    with db.engine.connect() as conn:
        backlog = conn.execute(
            text(f"SELECT count(*) FROM tickets WHERE next_deadline_at <= '{NOW_UTC}'")
        ).scalar()
    with db.transaction() as s:
        t = time.perf_counter()
        first = scan_breaches(s)
        out.append(
            (
                "first run (backlog)",
                1000 * (time.perf_counter() - t),
                f"{len(first):,} tickets breached of {backlog:,} due",
            )
        )
    with db.transaction() as s:
        ms, found = timed(lambda: scan_breaches(s))
        out.append(("steady state (each minute)", ms, f"{len(found)} due"))
    clock.set_now(NOW + timedelta(hours=1), frozen=True)
    with db.transaction() as s:
        t = time.perf_counter()
        hour = scan_breaches(s)
        out.append(("an hour later", 1000 * (time.perf_counter() - t), f"{len(hour):,} newly due"))
    clock.set_now(NOW, frozen=True)
    return out


def over_http(db: Database, n: int = 30) -> list[tuple[str, str, float, float, str]]:
    from fastapi.testclient import TestClient

    from poolcrm.app import create_app
    from poolcrm.auth.service import issue_token
    from poolcrm.config import Settings
    from poolcrm.org.models import User

    app = create_app(Settings(db_url=db.url, secret_key="bench", run_scheduler=False), db=db)
    out = []
    month = "/api/v1/tickets/stats?period=2026-02&by="
    with TestClient(app) as client:
        for who, uid, url in (
            ("service supervisor", LEAD, "/api/v1/tickets?status=pending"),
            ("service supervisor", LEAD, "/api/v1/tickets?assignee=none"),
            ("service supervisor", LEAD, "/api/v1/tickets?status=open&breached=true"),
            ("service supervisor", LEAD, "/tickets"),
            ("service staff", FIRST_STAFF, "/api/v1/tickets?assignee=me"),
            ("service staff", FIRST_STAFF, "/api/v1/tickets?assignee=me&status=open"),
            ("service staff", FIRST_STAFF, "/api/v1/tickets"),
            ("rep (his customers)", FIRST_REP, "/api/v1/tickets"),
            ("service supervisor", LEAD, month + "staff"),
            ("service supervisor", LEAD, month + "customer"),
            ("service supervisor", LEAD, month + "product"),
            ("service supervisor", LEAD, "/tickets/stats?period=2026-02"),
        ):
            with db.transaction() as s:
                token = issue_token(s, "bench", s.get(User, uid))
            client.cookies.set("poolcrm_session", token)
            times, note = [], ""
            for _ in range(n):
                t = time.perf_counter()
                resp = client.get(url)
                times.append(time.perf_counter() - t)
                assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
                if url.startswith("/api/v1/tickets/stats"):
                    note = f"{len(resp.json()['rows'])} rows"
                elif url.startswith("/api"):
                    note = f"{resp.json()['total']:,}{'+' if resp.json()['more'] else ''} tickets"
            times.sort()
            out.append((who, url, 1000 * statistics.median(times), 1000 * times[int(0.95 * n) - 1], note))
    return out


def stats_in_process(db: Database) -> list[tuple[str, float, str]]:
    from poolcrm.org.models import User
    from poolcrm.service.stats import ticket_stats

    out = []
    with db.transaction(write=False) as s:
        lead = s.get(User, LEAD)
        for by in ("staff", "customer", "product"):
            ms, res = timed(lambda by=by: ticket_stats(s, lead, by, date(2026, 2, 1)))
            out.append((f"stats by {by}, 2026-02 (in process)", ms, f"{len(res['rows'])} rows"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    clock.set_now(NOW, frozen=True)
    db = Database(bench_database_url(args.engine, f"service_{args.tickets}", args.reuse))
    if not args.reuse:
        create_schema(db.engine)
        t = time.perf_counter()
        timings = build(db, args.tickets)
        print(
            f"built in {time.perf_counter() - t:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        )
    with db.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
        opened = conn.execute(
            text("SELECT count(*) FROM tickets WHERE status IN ('pending', 'processing')")
        ).scalar()
    print(f"{args.engine}: {count:,} tickets, {opened:,} open")
    for what, ms, note in breach_scan(db):
        print(f"{'SLA breach scan: ' + what:62} {ms:8.1f} ms  {note}")
    for what, ms, note in stats_in_process(db):
        print(f"{what:62} {ms:8.1f} ms  {note}")
    print(f"{'who':20} {'request':50} {'p50 ms':>8} {'p95 ms':>8}  result")
    for who, url, p50, p95, note in over_http(db):
        print(f"{who:20} {url:50} {p50:8.1f} {p95:8.1f}  {note}")
    db.dispose()


if __name__ == "__main__":
    main()
