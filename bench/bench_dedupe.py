"""CUS-7 duplicate check at scale (not a test): build N synthetic customers into a fresh SQLite file
and a fresh PostgreSQL database, then measure, on each engine,

- the generator's insert rate (rows/s, `customers.bulk.bulk_create`),
- duplicate-check latency p50/p95 in-process and over HTTP (uvicorn on 127.0.0.1), beside a plain
  indexed exact-name lookup in the same run (the ratio tells the cost of the fuzzy search),
- recall and precision on the labelled variant pairs (`customers.synth.variant_pairs`),
- the server's RSS after the HTTP run.

    .venv/bin/python bench/bench_dedupe.py --n 1000000 [--engines sqlite,pg] [--queries 500]
    .venv/bin/python bench/bench_dedupe.py --demo-only --n 100000 --engines sqlite   # demo path only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
os.environ.setdefault("POOLCRM_SCHEDULER", "0")

import httpx
from sqlalchemy import create_engine, select, text

from poolcrm import clock
from poolcrm.customers import bulk, dedupe, names, synth
from poolcrm.customers.demo import create_synthetic, synth_record
from poolcrm.customers.models import Customer
from poolcrm.db import Database, create_schema
from poolcrm.org.models import User
from poolcrm.org.schemas import DepartmentIn, UserIn
from poolcrm.org.service import create_department, create_user
from poolcrm.policy.service import update_policy

PG_SERVER = os.environ.get("POOLCRM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-pass-1"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def pair_parts(pair: Any) -> tuple[str, str, bool]:
    """(original, variant, same company?) from whatever shape synth gives."""
    if isinstance(pair, dict):
        return (
            pair["a"] if "a" in pair else pair["original"],
            pair.get("b") or pair["variant"],
            bool(pair.get("same", pair.get("label", True))),
        )
    if isinstance(pair, tuple | list):
        return str(pair[0]), str(pair[1]), bool(pair[2]) if len(pair) > 2 else True
    return (
        getattr(pair, "a", None) or pair.original,
        getattr(pair, "b", None) or pair.variant,
        bool(getattr(pair, "same", getattr(pair, "label", True))),
    )


def fresh_database(engine_name: str, workdir: Path) -> tuple[Database, Any]:
    if engine_name == "sqlite":
        path = workdir / "bench.db"
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        create_schema(db.engine)
        return db, path
    name = f"poolcrm_bench_{os.getpid()}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(
            text(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
        )
    db = Database(f"{PG_SERVER}/{name}")
    create_schema(db.engine)
    return db, (admin, name)


def drop(cleanup: Any, db: Database) -> None:
    """Remove the database made for the run (the SQLite file with its WAL, or the PostgreSQL
    database)."""
    db.dispose()
    if isinstance(cleanup, Path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cleanup}{suffix}").unlink(missing_ok=True)
    elif cleanup:
        admin, name = cleanup
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build(db: Database, n: int, pairs: list[tuple[str, str, bool]]) -> dict[str, Any]:
    with db.transaction() as s:
        dept = create_department(s, None, DepartmentIn(name="销售一部", kind="sales")).id
        create_user(
            s,
            None,
            UserIn(
                username="rep",
                password=PASSWORD,
                display_name="张伟",
                roles=["sales"],
                department_id=dept,
                hired_on=date(2024, 1, 1),
            ),
        )
    t0, c0 = time.perf_counter(), time.process_time()
    companies = synth.generate_companies(n, 2026)
    gen_s, gen_cpu = time.perf_counter() - t0, time.process_time() - c0
    originals = [{"name": a, "address": "", "contact_name": "", "phone": ""} for a, _, _ in pairs]
    t0, c0 = time.perf_counter(), time.process_time()
    with db.transaction() as s:
        ids = bulk.bulk_create(s, (synth_record(c) for c in companies), at=clock.now())
    insert_s, insert_cpu = time.perf_counter() - t0, time.process_time() - c0
    with db.transaction() as s:
        pair_ids = bulk.bulk_create(s, originals, at=clock.now(), initials=False)
    if not db.sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return {
        "rows": len(ids),
        "generate_s": round(gen_s, 2),
        "insert_s": round(insert_s, 2),
        "rows_per_s": int(len(ids) / insert_s),
        # generate, then insert, one after the other in this process; `poolcrm demo` overlaps
        # them (worker process, load transaction): `--demo-only` times that path
        "generate_then_insert_rows_per_s": int(len(ids) / (gen_s + insert_s)),
        "cpu_s": round(gen_cpu + insert_cpu, 2),
        "pair_ids": pair_ids,
    }


def demo_path(db: Database, n: int) -> dict[str, Any]:
    """What `poolcrm demo --customers N` does for the synthetic customers
    (`customers.demo.create_synthetic`: the generator in a worker process, consumed lazily by
    `bulk_create`, pinyin initials), in one `load_transaction` as `run_demo` does; timed end to
    end, commit included."""
    t0, c0 = time.perf_counter(), time.process_time()
    with db.load_transaction() as s:
        create_synthetic(s, n)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"rows": n, "s": round(wall, 2), "cpu_s": round(cpu, 2), "rows_per_s": int(n / wall)}


def quality(db: Database, pairs: list[tuple[str, str, bool]], pair_ids: list[int]) -> dict[str, Any]:
    tp = fn = fp = tn = 0
    with db.transaction(write=False) as s:
        from poolcrm.policy.service import get_policy

        min_score = get_policy(s).fuzzy_match_min_score
        for (_, variant, same), cid in zip(pairs, pair_ids, strict=True):
            found = {f.customer.id for f in dedupe.find_duplicates(s, variant, min_score=min_score)}
            hit = cid in found
            if same:
                tp, fn = tp + hit, fn + (not hit)
            else:
                fp, tn = fp + hit, tn + (not hit)
    return {
        "pairs": len(pairs),
        "recall": round(tp / max(1, tp + fn), 4),
        "precision": round(tp / max(1, tp + fp), 4),
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "tn": tn,
    }


def in_process(db: Database, queries: list[str]) -> dict[str, Any]:
    fuzzy, exact, cpu = [], [], []
    keys = {q: names.name_key(q) for q in queries}
    with db.transaction(write=False) as s:
        for q in queries[:20]:
            dedupe.find_duplicates(s, q)
        for q in queries:
            t0, c0 = time.perf_counter(), time.thread_time()
            dedupe.find_duplicates(s, q)
            fuzzy.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
            t0 = time.perf_counter()
            s.execute(select(Customer.id, Customer.code).where(Customer.name_key == keys[q])).all()
            exact.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": round(pct(fuzzy, 50), 2),
        "p95_ms": round(pct(fuzzy, 95), 2),
        "exact_p50_ms": round(pct(exact, 50), 3),
        "exact_p95_ms": round(pct(exact, 95), 3),
        "ratio_p50": round(pct(fuzzy, 50) / max(pct(exact, 50), 1e-6), 1),
        # CPU time of this process per check (on SQLite: all of the work; robust to a busy machine)
        "cpu_p50_ms": round(pct(cpu, 50), 2),
        "cpu_p95_ms": round(pct(cpu, 95), 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_until_serving(base: str, seconds: float = 30) -> None:
    """Until the server at `base` answers (its login page), at most `seconds`."""
    for _ in range(int(seconds * 10)):
        try:
            httpx.get(f"{base}/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)


def over_http(db: Database, queries: list[str], ids: list[int]) -> dict[str, Any]:
    """Duplicate checks through the API, beside `GET /customers/{id}` (a primary-key look-up
    through the same HTTP, auth and session path) as the plain indexed baseline."""
    with db.transaction() as s:  # CUS-7a throttles a person to 60 checks a minute; the bench asks more
        admin_id = s.scalar(select(User.id).order_by(User.id).limit(1))
        update_policy(s, admin_id, {"duplicate_checks_per_minute": 1000}, reason="bench")
    port = free_port()
    env = {**os.environ, "POOLCRM_DB": db.url, "POOLCRM_SECRET": "bench"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "poolcrm.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post("/api/v1/auth/token", json={"username": "rep", "password": PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            fuzzy, exact = [], []
            for q in queries[:20]:
                client.post("/api/v1/customers/duplicates", json={"name": q}, headers=headers)
            for q in queries:
                t0 = time.perf_counter()
                resp = client.post("/api/v1/customers/duplicates", json={"name": q}, headers=headers)
                fuzzy.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, resp.text
                t0 = time.perf_counter()
                resp = client.get(f"/api/v1/customers/{ids[len(exact) % len(ids)]}", headers=headers)
                exact.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, resp.text
        return {
            "p50_ms": round(pct(fuzzy, 50), 2),
            "p95_ms": round(pct(fuzzy, 95), 2),
            "baseline_p50_ms": round(pct(exact, 50), 2),
            "baseline_p95_ms": round(pct(exact, 95), 2),
            "server_rss_mb": round(rss_mb(proc.pid), 1),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--pg-n", type=int, default=None, help="N for PostgreSQL (default: --n)")
    parser.add_argument("--engines", default="sqlite,pg")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--workdir", default=None)
    parser.add_argument(
        "--demo-only", action="store_true", help="only time the demo path (generate + insert N) per engine"
    )
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-dedupe-"))
    if args.demo_only:
        for engine_name in args.engines.split(","):
            n = args.pg_n if engine_name == "pg" and args.pg_n else args.n
            db, cleanup = fresh_database(engine_name, workdir)
            try:
                out = demo_path(db, n) | {"load_avg_1m": os.getloadavg()[0]}
                print(json.dumps({engine_name: out}, ensure_ascii=False), flush=True)
            finally:
                drop(cleanup, db)
        if not args.workdir:
            workdir.rmdir()  # made for this run and empty again (the full run keeps results.json)
        return
    pairs = [pair_parts(p) for p in synth.variant_pairs(args.pairs, 7)]
    rng = random.Random(3)
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "n": args.n}
    for engine_name in args.engines.split(","):
        n = args.pg_n if engine_name == "pg" and args.pg_n else args.n
        db, cleanup = fresh_database(engine_name, workdir)
        try:
            print(f"[{engine_name}] building {n} customers …", flush=True)
            built = build(db, n, pairs)
            pair_ids = built.pop("pair_ids")
            variants = [v for _, v, _ in pairs]
            queries = rng.sample(variants, min(args.queries, len(variants)))
            out = {
                "n": n,
                "build": built,
                "in_process": in_process(db, queries),
                "quality": quality(db, pairs, pair_ids),
                "http": over_http(db, queries, pair_ids),
            }
            out["load_avg_1m"] = os.getloadavg()[0]
            results[engine_name] = out
            print(json.dumps({engine_name: out}, ensure_ascii=False, indent=1), flush=True)
        finally:
            drop(cleanup, db)
    (workdir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"results: {workdir / 'results.json'}")


if __name__ == "__main__":
    main()
