"""The CS inbox page under a backlog (issue 22, LIST-2): GET /applications with 200 registrations
waiting over the demo company plus N synthetic public customers, as CS reads it — one page of 20
(each pending application's duplicate check, CUS-7, runs as the page is read) against the former
page of up to 200, in the same run. Medians of repeated requests through the app (TestClient).

    .venv/bin/python bench/bench_inbox.py [--customers 20000] [--backlog 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
os.environ.setdefault("POOLCRM_SCHEDULER", "0")

from fastapi.testclient import TestClient  # noqa: E402

from poolcrm.app import create_app  # noqa: E402
from poolcrm.config import Settings  # noqa: E402
from poolcrm.customers import inbox  # noqa: E402
from poolcrm.db import Database  # noqa: E402
from poolcrm.demo import DEMO_PASSWORD, run_demo  # noqa: E402
from poolcrm.migrate import upgrade  # noqa: E402

CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京")
TRADES = ("科技", "贸易", "信息技术", "数据服务", "办公设备", "电子")


def _token(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _backlog(client: TestClient, n: int) -> None:
    reps = [_token(client, name) for name in ("zhangwei", "lina", "liuyang", "sunli")]
    for i in range(n):
        body = {
            "name": f"{CITIES[i % 8]}恒{i:03d}{TRADES[i % 6]}有限公司",
            "address": f"{CITIES[i % 8]}市某区某路{i + 1}号",
            "contact_name": "王经理",
            "phone": f"139{i:08d}",
            "industry": "IT",
            "customer_type": "direct",
            "confirm_warnings": True,
            "confirm_duplicates": True,
        }
        resp = client.post("/api/v1/customers", json=body, headers=reps[i % len(reps)])
        assert resp.status_code == 201, resp.text


def _median_ms(client: TestClient, headers: dict[str, str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        resp = client.get("/applications", headers={**headers, "Accept": "text/html"})
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--backlog", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'inbox.db'}")
        upgrade(db)
        run_demo(db, customers=args.customers)
        app = create_app(Settings(db_url=db.url, secret_key="bench", run_scheduler=False), db=db)
        with TestClient(app) as client:
            _backlog(client, args.backlog)
            cs = _token(client, "cs1")
            paged = _median_ms(client, cs, args.rounds)
            inbox.INBOX_PAGE = 200  # the former page: every waiting application at once
            whole = _median_ms(client, cs, args.rounds)
    print(f"SQLite, {args.customers:,} synthetic customers + demo, {args.backlog} registrations waiting")
    print(f"GET /applications, a page of 20:   {paged:8.1f} ms (median of {args.rounds})")
    print(f"GET /applications, up to 200 (was): {whole:8.1f} ms")
    print(f"ratio: {whole / paged:.1f}x")


if __name__ == "__main__":
    main()
