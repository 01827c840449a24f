# ruff: noqa: E501  (report lines)
"""Lists and search over HTTP (issue 22), driven by ApacheBench (`ab`): throughput of the customer list, a common and a rare
search and "my pool" beside `GET /api/v1/me` on the same server (the baseline: auth, session and
HTTP with no list behind it), with 8 clients, on one and two app processes; and each list's p95
at one client.

N synthetic customers (`customers.bulk.bulk_create`, the demo's generator), 60 % of them in the
private pools of 50 reps, the rest public. Each figure is the median of three rounds, the
endpoints alternating inside each round, so the machine's noise falls on all of them alike.

    .venv/bin/python bench/bench_lists.py --engine pg --n 100000
    .venv/bin/python bench/bench_lists.py --engine sqlite --n 100000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
os.environ.setdefault("POOLCRM_SCHEDULER", "0")

import httpx  # noqa: E402
from bench_dedupe import (  # noqa: E402
    PASSWORD,
    ROOT,
    drop,
    free_port,
    fresh_database,
    pct,
    rss_mb,
    wait_until_serving,
)
from sqlalchemy import select, text  # noqa: E402

from poolcrm import clock  # noqa: E402
from poolcrm.customers import bulk, names, synth  # noqa: E402
from poolcrm.customers.demo import synth_record  # noqa: E402
from poolcrm.customers.models import Customer  # noqa: E402
from poolcrm.db import Database  # noqa: E402
from poolcrm.org.schemas import DepartmentIn, UserIn  # noqa: E402
from poolcrm.org.service import create_department, create_user  # noqa: E402

REPS = 50
CLIENTS = 8


def build(db: Database, n: int) -> None:
    with db.transaction() as s:
        dept = create_department(s, None, DepartmentIn(name="销售一部", kind="sales")).id
        people = [("gm", "总经理", ["gm"])] + [(f"rep{i}", f"销售{i}", ["sales"]) for i in range(1, REPS + 1)]
        for username, display, roles in people:
            create_user(
                s,
                None,
                UserIn(
                    username=username,
                    password=PASSWORD,
                    display_name=display,
                    roles=roles,
                    department_id=dept,
                    hired_on=date(2024, 1, 1),
                ),
            )
    with db.transaction() as s:
        bulk.bulk_create(s, (synth_record(c) for c in synth.generate_companies(n, 2026)), at=clock.now())
    with db.engine.begin() as conn:
        first = conn.execute(text("SELECT MIN(id) FROM users WHERE username LIKE 'rep%'")).scalar_one()
        conn.execute(
            text(
                f"UPDATE customers SET pool = 'private', owner_id = {first} + (id % {REPS}), "
                "protected_since = created_at WHERE id % 10 < 6"
            )
        )
    # as autovacuum would after the load and that UPDATE (the visibility map lets a count read the
    # index alone); PostgreSQL's VACUUM runs outside a transaction
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if db.sqlite else "VACUUM (ANALYZE)"))


def terms(db: Database) -> tuple[str, str]:
    """A common term (a trade word most names hold) and a rare one (the core of one company's name)."""
    with db.transaction() as s:
        keys = s.scalars(select(Customer.name_key).order_by(Customer.id).limit(2000)).all()
    rare = next(k[:4] for k in keys if len(k) >= 6 and names.name_key(k[:4]) == k[:4])
    return "科技", rare


def serve(db: Database, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "POOLCRM_DB": db.url, "POOLCRM_SECRET": "bench"}
    args = [sys.executable, "-m", "uvicorn", "poolcrm.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*args, "--workers", str(workers), "--log-level", "warning"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base)
    return proc, base


def token(base: str, username: str) -> dict[str, str]:
    resp = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def ab(
    base: str, path: str, headers: dict[str, str], clients: int, seconds: float = 0, count: int = 0
) -> dict[str, float]:
    """ApacheBench (`ab`, Debian's apache2-utils): a C client, so the client is not what is measured.
    Requests per second, failures (non-2xx included) and the 50th/95th percentiles in ms."""
    args = ["ab", "-q", "-k", "-c", str(clients)]
    args += ["-t", str(seconds), "-n", "1000000"] if seconds else ["-n", str(count)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*args, base + quote(path, safe="/?=&")], capture_output=True, text=True, check=True
    ).stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    return {
        "rps": number(r"Requests per second:\s+([\d.]+)"),
        "failed": number(r"Failed requests:\s+(\d+)") + number(r"Non-2xx responses:\s+(\d+)"),
        "p50": number(r"\n\s+50%\s+(\d+)"),
        "p95": number(r"\n\s+95%\s+(\d+)"),
    }


def latency(base: str, path: str, headers: dict[str, str], count: int = 200) -> tuple[float, float]:
    """p50 and p95 at one client, in ms, timed here (ab rounds to whole milliseconds)."""
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        for _ in range(count):
            t0 = time.perf_counter()
            assert c.get(path).status_code == 200
            times.append((time.perf_counter() - t0) * 1000)
    return pct(times, 50), pct(times, 95)


def measure(db: Database, workers: int, seconds: float, common: str, rare: str) -> dict[str, Any]:
    proc, base = serve(db, workers)
    try:
        gm, rep = token(base, "gm"), token(base, "rep1")
        paths = {
            "GET /api/v1/me (baseline)": ("/api/v1/me", gm),
            "customer list, all pools": ("/api/v1/customers?pool=all", gm),
            f"search, common term ({common})": (f"/api/v1/customers?pool=all&q={common}", gm),
            f"search, rare term ({rare})": (f"/api/v1/customers?pool=all&q={rare}", gm),
            "my pool": ("/api/v1/customers?pool=mine", rep),
        }
        for path, headers in paths.values():
            latency(base, path, headers, 20)  # warm
        rounds: dict[str, list[float]] = {k: [] for k in paths}
        failures = 0
        for _ in range(3):
            for label, (path, headers) in paths.items():
                run = ab(base, path, headers, CLIENTS, seconds=seconds)
                rounds[label].append(run["rps"])
                failures += int(run["failed"])
        single = {label: latency(base, path, headers) for label, (path, headers) in paths.items()}
        return {
            "rps": {k: statistics.median(v) for k, v in rounds.items()},
            "single": single,
            "failures": failures,
            "rss_mb": rss_total(proc.pid),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def rss_total(pid: int) -> float:
    """The server's resident memory: the process and its worker children."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(k) for k in children.read_text().split()] if children.exists() else []
    return max([rss_mb(pid), *(rss_mb(k) for k in kids)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "pg"), default="pg")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint per round")
    parser.add_argument(
        "--db", help="a database this script filled before (kept): measure it again, no build"
    )
    args = parser.parse_args()
    if args.db:
        db, cleanup = Database(args.db), None
    else:
        db, cleanup = fresh_database(args.engine, Path(tempfile.mkdtemp(prefix="bench-lists-")))
    try:
        if cleanup is not None:
            t = time.perf_counter()
            build(db, args.n)
            print(f"{args.engine}: built {args.n:,} customers in {time.perf_counter() - t:.0f} s", flush=True)
        common, rare = terms(db)
        results = {w: measure(db, w, args.seconds, common, rare) for w in (1, 2)}
        one, two = results[1], results[2]
        base1, base2 = one["rps"]["GET /api/v1/me (baseline)"], two["rps"]["GET /api/v1/me (baseline)"]
        print(
            f"\n{args.engine}, {args.n:,} customers, {CLIENTS} clients, medians of 3 rounds of {args.seconds:g} s"
        )
        print("| | 1 process rps | ÷ /me | 2 processes rps | ÷ /me | 2 ÷ 1 | p50 / p95 at 1 client |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label in one["rps"]:
            r1, r2 = one["rps"][label], two["rps"][label]
            p50, p95 = one["single"][label]
            print(
                f"| {label} | {r1:,.0f} | {r1 / base1:.2f} | {r2:,.0f} | {r2 / base2:.2f} | {r2 / r1:.2f}× "
                f"| {p50:.1f} / {p95:.1f} ms |"
            )
        print(
            f"\nfailed requests: {one['failures']} / {two['failures']}; "
            f"largest process RSS: {one['rss_mb']:.0f} MB / {two['rss_mb']:.0f} MB"
        )
    finally:
        if cleanup is not None:
            drop(cleanup, db)


if __name__ == "__main__":
    main()
