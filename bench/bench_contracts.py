# ruff: noqa: E501  (long SQL strings)
"""Contracts and payments at scale (CTR-3): 1,000,000 deals (bench_deals' generator), 600,000
contracts with three installments each, 2,000,000 payments; the signed-vs-collected analytics, the
overdue-installment scan and the daily reminder step, and a contract page over HTTP.

    .venv/bin/python bench/bench_contracts.py --engine pg
    .venv/bin/python bench/bench_contracts.py --engine sqlite

Contracts sit on 60 % of the deals (every deal whose id % 5 < 3), signed over the three years of
the deals; the ones signed in the last 180 days are still being paid (approved, their third
installment open), older ones are fully paid. Each timing is the median of 5 runs, except the
page: p50/p95 of 30 requests through the ASGI app with a session token.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench_deals import GROUPS, NOW, Dialect, bench_database_url, build, i_str, rnd, timed
from bench_deals import measure as measure_deals
from sqlalchemy import text

from poolcrm import clock
from poolcrm.db import Database, create_schema

CONTRACTS, PAYMENTS = 600_000, 2_000_000


def build_contracts(db: Database) -> dict[str, float]:
    d = Dialect(not db.sqlite)
    timings: dict[str, float] = {}
    with db.engine.begin() as conn:
        t = time.perf_counter()
        signed = d.add_days_date("'2023-03-16'", f"({rnd('x.id', 21)} % 1090)")
        conn.execute(
            text(
                "CREATE TEMPORARY TABLE bench_contracts AS SELECT x.id AS deal_id, x.customer_id, x.owner_id,"
                f" x.amount, {signed} AS signed_on FROM (SELECT id, customer_id, owner_id, amount FROM deals"
                f" WHERE id % 5 < 3 ORDER BY id LIMIT {CONTRACTS}) AS x"
            )
        )
        recent = "'2025-09-16'"  # 180 days before NOW: still being paid
        conn.execute(
            text(
                "INSERT INTO contracts (id, number, customer_id, deal_id, owner_id, created_by, amount, received,"
                " signed_on, terms, status, migrated, created_at, updated_at)"
                f" SELECT deal_id, 'HT' || {i_str('deal_id', d)}, customer_id, deal_id, owner_id, owner_id, amount,"
                f" CASE WHEN signed_on >= {recent} THEN amount * 2 / 3 ELSE amount END, signed_on, '',"
                f" CASE WHEN signed_on >= {recent} THEN 'approved' ELSE 'paid' END, {d.false()},"
                " '2024-01-01 00:00:00', '2024-01-01 00:00:00' FROM bench_contracts"
            )
        )
        timings["contracts"] = time.perf_counter() - t
        t = time.perf_counter()
        for seq in (1, 2, 3):
            due = d.add_days_date("c.signed_on", str(30 * seq))
            open_ = f"c.signed_on >= {recent} AND {seq} = 3"
            conn.execute(
                text(
                    "INSERT INTO contract_installments (contract_id, seq, due_on, amount, received, settled)"
                    f" SELECT c.deal_id, {seq}, {due}, c.amount / 3,"
                    f" CASE WHEN {open_} THEN 0 ELSE c.amount / 3 END,"
                    f" CASE WHEN {open_} THEN {d.false()} ELSE {d.true()} END FROM bench_contracts c"
                )
            )
        conn.execute(
            text(
                "INSERT INTO contract_lines (contract_id, product, quantity, unit_price, line_total)"
                " SELECT c.deal_id, CASE c.deal_id % 4 WHEN 0 THEN '高速文档扫描仪' WHEN 1 THEN '扫描管理软件'"
                " WHEN 2 THEN '维保服务' ELSE '档案管理系统' END, 1, c.amount, c.amount FROM bench_contracts c"
            )
        )
        timings["installments+lines"] = time.perf_counter() - t
        t = time.perf_counter()
        k = f"((s.i - 1) / {CONTRACTS})"
        conn.execute(
            text(
                "INSERT INTO contract_payments (contract_id, received_on, amount, method, created_at)"
                f" SELECT c.deal_id, {d.add_days_date('c.signed_on', f'25 + 20 * {k}')}, c.amount / 4, '银行转账',"
                f" '2024-01-01 00:00:00' FROM ({d.series(PAYMENTS)}) AS s"
                f" JOIN (SELECT deal_id, signed_on, amount, ROW_NUMBER() OVER (ORDER BY deal_id) AS n FROM bench_contracts) c"
                f" ON c.n = 1 + (s.i - 1) % {CONTRACTS}"
            )
        )
        timings["payments"] = time.perf_counter() - t
        t = time.perf_counter()
        rollup(conn, d)
        timings["rollup"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM ANALYZE" if d.pg else "ANALYZE"))
    timings["analyze"] = time.perf_counter() - t
    return timings


def rollup(conn: Any, d: Dialect) -> None:
    """CTR-3b: the rollup the writers keep, built set-based for the generated rows."""
    month = (
        (lambda col: f"CAST(to_char({col}, 'YYYYMM') AS integer)")
        if d.pg
        else (lambda col: f"CAST(strftime('%Y%m', {col}) AS integer)")
    )
    upsert = (
        " WHERE true ON CONFLICT (yyyymm, owner_key, product) DO UPDATE SET"
        " collected_amount = contract_month_totals.collected_amount + excluded.collected_amount"
    )
    cols = "INSERT INTO contract_month_totals (yyyymm, owner_key, product, signed_count, signed_amount, collected_amount)"
    conn.execute(
        text(
            f"{cols} SELECT {month('c.signed_on')}, c.owner_id, '', count(*), sum(c.amount), 0 FROM contracts c"
            f" GROUP BY {month('c.signed_on')}, c.owner_id"
        )
    )
    conn.execute(
        text(
            f"{cols} SELECT {month('c.signed_on')}, c.owner_id, l.product, count(*), sum(l.line_total), 0"
            f" FROM contracts c JOIN contract_lines l ON l.contract_id = c.id GROUP BY {month('c.signed_on')}, c.owner_id, l.product"
        )
    )
    for product in (False, True):
        key = "l.product" if product else "''"
        join = " JOIN contract_lines l ON l.contract_id = c.id" if product else ""
        conn.execute(
            text(
                f"{cols} SELECT * FROM (SELECT {month('p.received_on')} AS m, c.owner_id AS o, {key} AS k, 0, 0, sum(p.amount) AS s"
                f" FROM contract_payments p JOIN contracts c ON c.id = p.contract_id{join}"
                f" GROUP BY {month('p.received_on')}, c.owner_id{', l.product' if product else ''}) AS x{upsert}"
            )
        )


def measure(db: Database) -> list[tuple[str, str, float, str]]:
    from poolcrm.contracts import analytics, output
    from poolcrm.contracts.payments import overdue_installments, remind_overdue
    from poolcrm.org.models import User

    out = []
    today = NOW.date()
    with db.transaction(write=False) as s:
        admin, sup, rep = s.get(User, 1), s.get(User, 2), s.get(User, 2 + GROUPS)
        for who, user in (("admin (all)", admin), ("supervisor (1 group)", sup), ("rep", rep)):
            for by in ("month", "owner", "team", "product"):
                ms, res = timed(
                    lambda by=by, user=user: analytics.signed_and_collected(
                        s, user, by, date(2025, 4, 1), date(2026, 4, 1)
                    )
                )
                total = res["totals"]
                out.append(
                    (
                        who,
                        f"signed vs collected by={by}, 12 months",
                        ms,
                        f"{total['signed_count']:,} signed, ¥{total['collected_amount']:,.0f} collected",
                    )
                )
            ms, res = timed(
                lambda user=user: output.list_contracts(s, user, output.ContractFilter(overdue=True), 1, 50)
            )
            out.append((who, "contract list, overdue, first page", ms, f"{res[1]:,} overdue contracts"))
        ms, rows = timed(lambda: overdue_installments(s, today))
        out.append(("job", "overdue-installment scan (all)", ms, f"{len(rows):,} overdue installments"))
    samples = []
    for day in range(3):
        with db.transaction() as s:
            t = time.perf_counter()
            res = remind_overdue(s, today + timedelta(days=day))
            samples.append((time.perf_counter() - t) * 1000)
            s.rollback()
    out.append(
        (
            "job",
            "daily reminder step (fell due in 7 days)",
            statistics.median(samples),
            f"{res['installment_notes'][0]:,} notes written",
        )
    )
    return out


def contract_page(db: Database, n: int = 30) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from poolcrm.app import create_app
    from poolcrm.auth.service import issue_token
    from poolcrm.config import Settings
    from poolcrm.org.models import User

    app = create_app(Settings(db_url=db.url, secret_key="bench", run_scheduler=False), db=db)
    with db.transaction() as s:
        token = issue_token(s, "bench", s.get(User, 2 + GROUPS))
        contract_id = s.execute(
            text("SELECT id FROM contracts WHERE owner_id = :o AND status = 'approved' ORDER BY id LIMIT 1"),
            {"o": 2 + GROUPS},
        ).scalar()
    times = []
    with TestClient(app) as client:
        client.cookies.set("poolcrm_session", token)
        for _ in range(n):
            t = time.perf_counter()
            resp = client.get(f"/contracts/{contract_id}")
            times.append(time.perf_counter() - t)
            assert resp.status_code == 200 and "HT" in resp.text, resp.status_code
    times.sort()
    return {"p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * n) - 1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure an existing bench database")
    args = parser.parse_args()
    clock.set_now(NOW, frozen=True)
    url = bench_database_url(args.engine, f"contracts_{args.deals}", args.reuse)
    db = Database(url)
    if not args.reuse:
        create_schema(db.engine)
        t = time.perf_counter()
        timings = build(db, args.deals, args.deals)
        timings.update(build_contracts(db))
        print(
            f"built in {time.perf_counter() - t:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        )
    with db.engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("deals", "contracts", "contract_installments", "contract_payments")
        }
    print(f"{args.engine}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"{'who':22} {'measure':44} {'median ms':>10}  result")
    for who, what, ms, note in measure(db):
        print(f"{who:22} {what:44} {ms:10.1f}  {note}")
    print("deal analytics (DEAL-9) on the same database:")
    for who, chart, ms, note in measure_deals(db):
        print(f"{who:22} {chart:44} {ms:10.1f}  {note}")
    page = contract_page(db)
    print(
        f"{'rep':22} {'contract page over HTTP (p50 / p95)':44} {page['p50_ms']:10.1f}  p95 {page['p95_ms']:.1f} ms"
    )
    db.dispose()


if __name__ == "__main__":
    main()
