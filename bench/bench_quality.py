# ruff: noqa: E501  (long SQL and report lines)
"""Data quality (GOV-4) and backups (GOV-3) at scale (issue 21): 1,000,000 customers and 5,000,000
follow-ups (the pools bench's company: 2,400 reps, 60 % of customers private), with tiers on a
tenth of them, a third of the private ones verified this quarter, and a supervisor over 10 reps.

Measured (medians of repeated calls, in-process service calls):
- the daily snapshot of every rep's figures (`quality.snapshot`, the daily job's cost);
- the dashboard for the GM (whole company) from the snapshot, and computed live for reference;
- the dashboard for a supervisor of 10 reps;
- each drill-down list (live, 200 rows and the count) for one rep and for the whole company;
- on SQLite, the scheduled backup while a writer commits a small transaction every 10 ms: the
  writer's longest wait and p99, against the same writer with no backup running (baseline).

    .venv/bin/python bench/bench_quality.py --engine sqlite
    .venv/bin/python bench/bench_quality.py --engine pg
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
os.environ.setdefault("POOLCRM_SCHEDULER", "0")

from bench_pools import PG_SERVER, build  # noqa: E402
from sqlalchemy import create_engine, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from poolcrm import clock  # noqa: E402
from poolcrm.backup import backup  # noqa: E402
from poolcrm.customers.models import Customer  # noqa: E402
from poolcrm.db import Database, create_schema  # noqa: E402
from poolcrm.followups.models import FollowUp  # noqa: E402
from poolcrm.followups.service import refresh_next_planned  # noqa: E402
from poolcrm.org.models import User  # noqa: E402
from poolcrm.quality import dashboard, rules  # noqa: E402

NOW = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # the pools bench's run date, 10:00 Beijing


def median_ms(fn: Any, runs: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def shape(db: Database) -> None:
    """Tiers, blank grade fields, shared phones, verifications and a supervisor over 10 reps."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE customers SET tier = CASE WHEN id % 30 = 0 THEN 'A' WHEN id % 30 = 1 THEN 'B' WHEN id % 30 = 2 THEN 'C' END WHERE id % 10 < 3 AND id % 30 < 3"
            )
        )
        conn.execute(
            text(
                "UPDATE customers SET region = '华北', industry = '制造业', source = '展会推广', postal_code = '100000', profile = '设备', contact_position = '经理', mobile = '+8613800000000' WHERE id % 4 <> 0"
            )
        )
        conn.execute(text("UPDATE customers SET phone = '01000000000' WHERE id % 1000 = 7"))
        conn.execute(text("UPDATE customers SET email = 'wrong-address' WHERE id % 200 = 3"))
        first = conn.execute(text("SELECT MIN(id) FROM users WHERE username LIKE 'rep%'")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO users (username, password_hash, display_name, department_id, hired_on, language, active, token_version, created_at) "
                "SELECT 'sup1', 'x', '主管', department_id, hired_on, 'zh', TRUE, 0, created_at FROM users WHERE id = :first"
            ),
            {"first": first},
        )
        sup = conn.execute(text("SELECT id FROM users WHERE username = 'sup1'")).scalar_one()
        conn.execute(
            text("INSERT INTO user_roles (user_id, role) VALUES (:s, 'supervisor'), (:s, 'sales')"),
            {"s": sup},
        )
        conn.execute(
            text("UPDATE users SET supervisor_id = :s WHERE id >= :f AND id < :f + 10"),
            {"s": sup, "f": first},
        )
        conn.execute(
            text(
                "INSERT INTO contact_verifications (customer_id, user_id, at, period, outcome, fields) "
                "SELECT id, owner_id, '2026-10-15 02:00:00.000000', '2026-10-01/2026-12-31', 'verified', '[]' FROM customers WHERE pool = 'private' AND id % 3 = 0"
            )
        )
        planned = select(FollowUp.customer_id).where(FollowUp.next_followup_on.is_not(None))
        refresh_next_planned(Session(bind=conn), planned)  # FU-4: the row's copy of the latest plan
        conn.execute(text("ANALYZE"))


class Rows(list[tuple[str, float, str]]):
    """The figures, each printed as a table row the moment it is measured."""

    def append(self, row: tuple[str, float, str]) -> None:
        super().append(row)
        print(f"| {row[0]} | {row[1]:,.1f} ms | {row[2]} |", flush=True)


def measure(db: Database) -> list[tuple[str, float, str]]:
    out = Rows()
    with db.transaction(write=False) as s:
        gm = s.query(User).filter_by(username="admin").one()
        sup = s.query(User).filter_by(username="sup1").one()
        rep = s.query(User).filter_by(username="rep1").one()
        live, board = median_ms(lambda: dashboard.board(s, gm), runs=1)
        out.append(("GM board, live (no snapshot)", live, f"{board.total:,} private customers"))
    t = time.perf_counter()
    with db.transaction() as s:
        owners = dashboard.snapshot(s, date(2026, 11, 10))
    out.append(("daily snapshot (quality.snapshot)", (time.perf_counter() - t) * 1000, f"{owners:,} reps"))
    with db.transaction(write=False) as s:
        ms, board = median_ms(lambda: dashboard.board(s, gm))
        out.append(("GM board from the snapshot", ms, f"{len(board.rows):,} rows"))
        ms, board = median_ms(lambda: dashboard.board(s, sup))
        out.append(("supervisor board (10 reps)", ms, f"{board.total:,} customers"))
        for check in rules.CHECK_KEYS:
            ms, (_, items, total) = median_ms(lambda check=check: dashboard.drill(s, gm, check, rep.id))
            out.append((f"drill {check}, one rep", ms, f"{total:,}"))
        for check in rules.CHECK_KEYS:
            ms, (_, items, total) = median_ms(lambda check=check: dashboard.drill(s, gm, check), runs=3)
            out.append((f"drill {check}, whole company", ms, f"{total:,}"))
    # a working day later: 2,000 records edited since the snapshot are re-checked beside its flags
    with db.transaction() as s:
        s.execute(
            update(Customer)
            .where(Customer.id % 500 == 11)
            .values(remark="edited", updated_at=NOW + timedelta(hours=1))
        )
    clock.set_now(NOW + timedelta(hours=8), frozen=True)
    with db.transaction(write=False) as s:
        gm = s.query(User).filter_by(username="admin").one()
        for check in rules.CHECK_KEYS:
            ms, (_, items, total) = median_ms(lambda check=check: dashboard.drill(s, gm, check), runs=3)
            out.append((f"drill {check}, whole company, 2,000 edited since", ms, f"{total:,}"))
    clock.set_now(NOW, frozen=True)
    return out


def writer_latencies(db: Database, stop: threading.Event) -> list[float]:
    waits: list[float] = []
    n = 0
    while not stop.is_set():
        t = time.perf_counter()
        with db.transaction() as s:
            s.execute(
                text("UPDATE customers SET remark = :r WHERE id = :i"), {"r": f"w{n}", "i": 1 + n % 1000}
            )
        waits.append((time.perf_counter() - t) * 1000)
        n += 1
        time.sleep(0.01)
    return waits


def bench_backup(db: Database, folder: Path) -> list[tuple[str, float, str]]:
    """GOV-3 on SQLite: how long a writer waits while the scheduled backup runs."""
    out = Rows()
    stop = threading.Event()
    result: dict[str, list[float]] = {}
    writer = threading.Thread(target=lambda: result.setdefault("w", writer_latencies(db, stop)))
    writer.start()
    time.sleep(5)
    stop.set()
    writer.join()
    base = result.pop("w")
    out.append(
        (
            "writer alone: longest / p99 wait",
            max(base),
            f"p99 {statistics.quantiles(base, n=100)[98]:.1f} ms, {len(base)} commits",
        )
    )
    stop = threading.Event()
    writer = threading.Thread(target=lambda: result.setdefault("w", writer_latencies(db, stop)))
    writer.start()
    t = time.perf_counter()
    path = backup(db.url, folder / "poolcrm-bench.db")
    took = time.perf_counter() - t
    stop.set()
    writer.join()
    during = result["w"]
    size = path.stat().st_size / 1e6
    out.append(("backup duration", took * 1000, f"{size:,.0f} MB"))
    out.append(
        (
            "writer during the backup: longest / p99 wait",
            max(during),
            f"p99 {statistics.quantiles(during, n=100)[98]:.1f} ms, {len(during)} commits",
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--followups", type=int, default=5_000_000)
    args = parser.parse_args()
    clock.set_now(NOW, frozen=True)
    folder = Path(tempfile.mkdtemp(prefix="bench_quality_"))
    admin = None
    if args.engine == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        name = f"bench_quality_{uuid.uuid4().hex[:6]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                text(
                    f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
        url = f"{PG_SERVER}/{name}"
    db = Database(url)
    create_schema(db.engine)
    t = time.perf_counter()
    build(db, args.customers, args.followups)
    shape(db)
    print(
        f"{args.engine}: built {args.customers:,} customers / {args.followups:,} follow-ups in {time.perf_counter() - t:.0f} s"
    )
    with db.engine.connect() as conn:
        base_ms, _ = median_ms(lambda: conn.execute(text("SELECT count(*) FROM customers")).scalar_one())
    print(f"| baseline: SELECT count(*) FROM customers | {base_ms:,.1f} ms | |", flush=True)
    measure(db)
    if db.sqlite:
        bench_backup(db, folder)
    db.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
