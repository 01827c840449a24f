# ruff: noqa: E501  (long SQL strings)
"""Deal analytics at scale (DEAL-7, DEAL-9): N deals, M progress records, each chart timed.

    .venv/bin/python bench/bench_deals.py --engine sqlite --deals 1000000 --progress 5000000
    .venv/bin/python bench/bench_deals.py --engine pg --deals 1000000 --progress 5000000

The data are generated set-based (INSERT … SELECT over a generated series), deterministic, over
three years ending at the bench's fixed "now" (2026-03-15): 200 reps in 10 groups, 300,000 direct
customers, deals in every category and stage, their DEAL-7 month rows, progress records.
Each chart is the service function the API and the page call, timed as admin (all deals),
as a supervisor (one group) and as a rep; the median of 5 runs is reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Text, text  # noqa: E402
from sqlalchemy.types import JSON  # noqa: E402

from poolcrm import clock  # noqa: E402
from poolcrm.db import Database, create_schema  # noqa: E402
from poolcrm.deals import analytics, output

NOW = datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
START = "2023-03-16"  # three years of history before NOW
DAYS = 1095
REPS, GROUPS = 200, 10
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def rnd(expr: str, salt: int) -> str:
    """A deterministic pseudo-random integer in [0, 1000003) from an integer SQL expression."""
    return f"((({expr}) * 2654435761 + {salt * 40503}) % 1000003)"


class Dialect:
    def __init__(self, pg: bool) -> None:
        self.pg = pg

    def series(self, n: int) -> str:
        if self.pg:
            return f"SELECT g AS i FROM generate_series(1, {n}) AS g"
        return (
            f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
        )

    def add_minutes(self, base: str, minutes: str) -> str:
        if self.pg:
            return f"(CAST({base} AS timestamp) + ({minutes}) * interval '1 minute')"
        return f"datetime({base}, ({minutes}) || ' minutes')"

    def add_days_date(self, base: str, days: str) -> str:
        if self.pg:
            return f"(CAST({base} AS date) + ({days})::int)"
        return f"date({base}, ({days}) || ' days')"

    def yyyymm(self, ts: str) -> str:
        if self.pg:
            return f"CAST(to_char({ts}, 'YYYYMM') AS integer)"
        return f"CAST(strftime('%Y%m', {ts}) AS integer)"

    def true(self) -> str:
        return "true" if self.pg else "1"

    def false(self) -> str:
        return "false" if self.pg else "0"


def filler(table: Any, given: dict[str, str], d: Dialect, i: str) -> tuple[list[str], list[str]]:
    """Column list and SQL values for every NOT NULL column of `table` (other domains may add some)."""
    cols, vals = [], []
    for col in table.columns:
        if col.name in given:
            cols.append(col.name)
            vals.append(given[col.name])
            continue
        if col.nullable or (col.primary_key and col.name == "id"):
            continue
        kind = col.type
        if isinstance(kind, Boolean):
            v = d.false()
        elif isinstance(kind, (Integer, Numeric)):
            v = "0"
        elif isinstance(kind, Date):
            v = "'2024-01-01'"
        elif isinstance(kind, DateTime) or getattr(kind, "impl", None).__class__.__name__ == "DateTime":
            v = "'2024-01-01 00:00:00'"
        elif isinstance(kind, JSON):
            v = "'[]'"
        elif isinstance(kind, (String, Text)):
            v = f"'x' || {i}"
        else:
            v = "'x'"
        cols.append(col.name)
        vals.append(v)
    return cols, vals


def build(db: Database, n_deals: int, n_progress: int) -> dict[str, float]:
    from poolcrm.customers.models import Customer
    from poolcrm.deals.rules import month_key, shift_month

    d = Dialect(not db.sqlite)
    timings: dict[str, float] = {}
    n_customers = min(300_000, max(1000, n_deals // 3))
    now_ym = month_key(NOW.date())
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
        users = ["(1, 'admin', 'x', '管理员', NULL, NULL)"]
        users += [f"({2 + g}, 'sup{g + 1}', 'x', '主管{g + 1}', {g + 1}, NULL)" for g in range(GROUPS)]
        first_rep = 2 + GROUPS
        users += [
            f"({first_rep + r}, 'rep{r + 1}', 'x', '销售{r + 1:03d}', {r % GROUPS + 1}, {2 + r % GROUPS})"
            for r in range(REPS)
        ]
        conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, display_name, department_id, supervisor_id,"
                " hired_on, language, active, token_version, created_at) VALUES "
                + ", ".join(
                    u[:-1] + f", '2022-01-01', 'zh', {d.true()}, 0, '2023-01-01 00:00:00')" for u in users
                )
            )
        )
        roles = ["(1, 'admin')"] + [f"({2 + g}, 'supervisor')" for g in range(GROUPS)]
        roles += [f"({first_rep + r}, 'sales')" for r in range(REPS)]
        conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES " + ", ".join(roles)))
        owner = f"({first_rep} + (i % {REPS}))"
        cols, vals = filler(
            Customer.__table__,
            {
                "id": "i",
                "code": f"'BC' || {i_str('i', d)}",
                "name": f"'北京基准{i_str('i', d)}科技有限公司'",
                "name_key": f"'基准' || {i_str('i', d)}",
                "customer_type": "'direct'",
                "pool": "'private'",
                "owner_id": owner,
                "status": "'intent'",
                "created_at": "'2023-01-01 00:00:00'",
                "updated_at": "'2023-01-01 00:00:00'",
                "version": "1",
            },
            d,
            i_str("i", d),
        )
        conn.execute(
            text(
                f"INSERT INTO customers ({', '.join(cols)}) SELECT {', '.join(vals)} FROM ({d.series(n_customers)}) AS s"
            )
        )
        timings["users+customers"] = time.perf_counter() - t

        t = time.perf_counter()
        i = "i"
        offset_days = f"({rnd(i, 2)} % {DAYS})"
        cycle = f"(20 + {rnd(i, 3)} % 200)"
        closed = f"({offset_days} + {cycle} < {DAYS})"
        won = f"({rnd(i, 4)} % 100 < 40)"
        kind = f"({rnd(i, 5)} % 10)"
        open_cat = f"(CASE WHEN {kind} < 3 THEN 'lead' WHEN {kind} < 7 THEN 'mid' ELSE 'short' END)"
        open_stage = f"(CASE WHEN {kind} < 3 THEN 1 WHEN {kind} < 7 THEN 2 + {rnd(i, 6)} % 5 ELSE 3 + {rnd(i, 6)} % 7 END)"
        created = d.add_minutes(f"'{START} 01:00:00'", f"{offset_days} * 1440 + {rnd(i, 7)} % 600")
        closed_at = d.add_minutes(f"'{START} 01:00:00'", f"({offset_days} + {cycle}) * 1440 + 600")
        conn.execute(
            text(
                "CREATE TEMPORARY TABLE bench_deals AS SELECT i AS id, "
                f"1 + (i - 1) % {n_customers} AS customer_id, 1 + (i - 1) / {n_customers} AS seq, "
                f"CASE WHEN {closed} THEN (CASE WHEN {won} THEN 'won' ELSE 'lost' END) ELSE {open_cat} END AS category, "
                f"{open_cat} AS open_category, "
                f"CASE WHEN {closed} THEN (CASE WHEN {won} THEN 10 ELSE 0 END) ELSE {open_stage} END AS stage, "
                f"{open_stage} AS open_stage, "
                f"CASE WHEN {closed} AND {won} THEN 10 ELSE {open_stage} END AS max_stage, "
                f"1000 * (5 + {rnd(i, 8)} % 500) AS amount, {cycle} AS cycle, "
                f"{created} AS created_at, CASE WHEN {closed} THEN {closed_at} END AS closed_at "
                f"FROM ({d.series(n_deals)}) AS s"
            )
        )
        conn.execute(text("CREATE UNIQUE INDEX bench_deals_id ON bench_deals (id)"))
        owner_of = f"({first_rep} + (b.customer_id % {REPS}))"
        details = "'bench'"
        last = d.add_minutes("'2026-03-15 02:00:00'", f"-({rnd('b.id', 9)} % 30) * 1440")
        conn.execute(
            text(
                "INSERT INTO deals (id, number, seq, customer_id, owner_id, created_by, name, category, stage, max_stage,"
                " status, expected_close_on, intention, amount, purchase_reason, purchase_form, budget, requirements,"
                " execution_time, competitors, actual_amount, contract_no, lost_reason, closed_at, credited_to,"
                " credit_rule, dispute_needed, last_activity_at, created_at, updated_at, version) "
                f"SELECT b.id, 'BC' || {i_str('b.customer_id', d)} || 'OP' || {i_str('b.seq', d)}, b.seq, b.customer_id,"
                f" {owner_of}, {owner_of}, '项目' || {i_str('b.id', d)}, b.category, b.stage, b.max_stage,"
                " CASE WHEN b.category IN ('won', 'lost') THEN b.category ELSE 'active' END,"
                f" {d.add_days_date('b.created_at', 'b.cycle')}, '扫描仪', b.amount,"
                f" {details}, {details}, {details}, {details}, {details}, {details},"
                " CASE WHEN b.category = 'won' THEN b.amount END,"
                f" CASE WHEN b.category = 'won' THEN 'HT' || {i_str('b.id', d)} END,"
                " CASE WHEN b.category = 'lost' THEN '预算取消' END, b.closed_at,"
                f" CASE WHEN b.category = 'won' THEN {owner_of} END, CASE WHEN b.category = 'won' THEN 'DEAL-8' END,"
                f" {d.false()}, CASE WHEN b.closed_at IS NULL THEN {last} ELSE b.closed_at END, b.created_at,"
                " COALESCE(b.closed_at, b.created_at), 1 FROM bench_deals b"
            )
        )
        timings["deals"] = time.perf_counter() - t

        t = time.perf_counter()
        months = [shift_month(month_key(datetime(2023, 3, 1).date()), k) for k in range(40)]
        months = [m for m in months if m <= now_ym]
        conn.execute(text("CREATE TEMPORARY TABLE bench_months (yyyymm integer PRIMARY KEY)"))
        conn.execute(text("INSERT INTO bench_months VALUES " + ", ".join(f"({m})" for m in months)))
        created_ym, closed_ym = d.yyyymm("b.created_at"), d.yyyymm("b.closed_at")
        conn.execute(
            text(
                "INSERT INTO deal_months (deal_id, yyyymm, owner_id, category, stage, max_stage, amount, cycle_days) "
                f"SELECT b.id, m.yyyymm, {owner_of},"
                f" CASE WHEN m.yyyymm = {closed_ym} THEN b.category ELSE b.open_category END,"
                f" CASE WHEN m.yyyymm = {closed_ym} THEN b.stage ELSE b.open_stage END,"
                f" CASE WHEN m.yyyymm = {closed_ym} THEN b.max_stage ELSE b.open_stage END, b.amount,"
                f" CASE WHEN m.yyyymm = {closed_ym} AND b.category = 'won' THEN b.cycle END"
                f" FROM bench_deals b JOIN bench_months m ON m.yyyymm >= {created_ym}"
                f" AND m.yyyymm <= COALESCE({closed_ym}, {now_ym})"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO deal_rollup_state (yyyymm, carried_at) VALUES ({now_ym}, '2026-03-01 00:00:00')"
            )
        )
        timings["deal_months"] = time.perf_counter() - t

        t = time.perf_counter()
        per = max(1, n_progress // n_deals)
        step = f"((s.i - 1) / {n_deals})"
        conn.execute(
            text(
                "INSERT INTO deal_progress (deal_id, author_id, details, next_plan, stage, counts_as_contact, valid,"
                " invalid_reasons, created_at) "
                f"SELECT b.id, {owner_of}, '客户确认预算并安排技术交流，进展顺利', '下周提交方案', b.open_stage, {d.true()},"
                f" CASE WHEN {rnd('s.i', 11)} % 10 = 0 THEN {d.false()} ELSE {d.true()} END, '[]',"
                f" {d.add_minutes('b.created_at', f'{step} * b.cycle * 1440 / {per}')}"
                f" FROM ({d.series(n_progress)}) AS s JOIN bench_deals b ON b.id = 1 + (s.i - 1) % {n_deals}"
            )
        )
        timings["progress"] = time.perf_counter() - t
        t = time.perf_counter()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM ANALYZE" if d.pg else "ANALYZE"))
    timings["analyze"] = time.perf_counter() - t
    t = time.perf_counter()
    from poolcrm.deals.rollup import freeze_past_months

    with db.transaction() as session:  # what the daily job does once per finished month (DEAL-9 rollup)
        freeze_past_months(session, now_ym)
    timings["freeze past months (daily job, first run)"] = time.perf_counter() - t
    return timings


def i_str(expr: str, d: Dialect) -> str:
    return f"CAST({expr} AS text)" if d.pg else f"CAST({expr} AS TEXT)"


def timed(fn: Any, runs: int = 5) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result


def measure(db: Database) -> list[tuple[str, str, float, str]]:
    from poolcrm.org.models import User

    out = []
    with db.transaction(write=False) as s:
        admin = s.get(User, 1)
        sup = s.get(User, 2)
        rep = s.get(User, 2 + GROUPS)
        for who, user in (("admin (all)", admin), ("supervisor (1 group)", sup), ("rep", rep)):
            for by in ("stage", "owner", "category", "team"):
                ms, res = timed(
                    lambda by=by, user=user: analytics.analytics(s, user, period="2026-03", by=by)
                )
                out.append((who, f"analytics by={by} 2026-03", ms, f"{res['totals']['count']} deals"))
            ms, res = timed(lambda user=user: analytics.analytics(s, user, period="2025-06", by="stage"))
            out.append((who, "analytics by=stage 2025-06", ms, f"{res['totals']['count']} deals"))
            ms, res = timed(lambda user=user: analytics.trend(s, user, period="2026-03", months=12))
            out.append(
                (who, "trend 12 months (by month + cycle time)", ms, f"{sum(res['count']['won'])} won")
            )
            ms, res = timed(
                lambda user=user: output.list_deals(s, user, output.DealFilter(state="open"), page_size=50)
            )
            out.append((who, "deal list, open, first page", ms, f"{res[1]} open"))
    return out


def bench_database_url(engine: str, name: str, reuse: bool) -> str:
    """A fresh (or, with `reuse`, the existing) bench database: bench/out/<name>.db or poolcrm_bench_<name>."""
    if engine == "sqlite":
        out = Path(__file__).parent / "out"
        out.mkdir(exist_ok=True)
        path = out / f"{name}.db"
        if not reuse and path.exists():
            path.unlink()
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine

    database = f"poolcrm_bench_{name}"
    if not reuse:
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(
                text(
                    f"CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
        admin.dispose()
    return f"{PG_SERVER}/{database}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--progress", type=int, default=5_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure an existing bench database")
    args = parser.parse_args()
    clock.set_now(NOW, frozen=True)
    url = bench_database_url(args.engine, f"deals_{args.deals}", args.reuse)
    db = Database(url)
    if not args.reuse:
        create_schema(db.engine)
        t = time.perf_counter()
        timings = build(db, args.deals, args.progress)
        print(
            f"built in {time.perf_counter() - t:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        )
    with db.engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("deals", "deal_progress", "deal_months", "customers")
        }
    print(f"{args.engine}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"{'who':22} {'chart':42} {'median ms':>10}  result")
    for who, chart, ms, note in measure(db):
        print(f"{who:22} {chart:42} {ms:10.1f}  {note}")
    db.dispose()


if __name__ == "__main__":
    main()
