# ruff: noqa: E501  (report lines)
"""Every request of the load test's day (bench/load/locustfile.py), one at a time, on a filled
database (issue 22): p50/p95/max per endpoint and per role, so that what is slow at a size is seen
without the queueing of a load run. It also gives the issue's 10M figures (duplicate check, the
customer list, search and "my pool" over HTTP).

    poolcrm demo --db URL --customers 1000000          # once (POOLCRM_FAST_HASH=1 for speed)
    .venv/bin/python bench/bench_endpoints.py --db URL [--count 30] [--workers 1]

The server is `poolcrm serve` on a free port with the scheduler off; each person logs in once
(session cookie for pages, bearer token for the API). Writes (registrations, follow-ups, claims)
go into the database: run it on a copy you do not need.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo12345"
TERMS = ["科技", "贸易", "北京", "上海", "电子", "机械", "广州", "信息", "深圳", "化工"]
RARE = ["盛正同人", "华瑞博源", "恒通鑫达", "金桥天成"]
# Terms whose CUS-7 core is shorter than two characters (LIST-1's edge postings): places, legal
# forms, a development zone, a bigram across a border, and 化工 (工 may begin 工作室).
SHORT = ["北京", "上海", "化工", "有限", "工作室", "园区", "公司", "华瑞"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Person:
    def __init__(self, base: str, username: str) -> None:
        self.page = httpx.Client(base_url=base, timeout=120)
        r = self.page.post("/login", data={"username": username, "password": PASSWORD, "next": "/"})
        assert r.status_code in (200, 303), (username, r.status_code)
        tok = httpx.post(
            f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        ).json()
        self.api = httpx.Client(
            base_url=f"{base}/api/v1",
            timeout=120,
            headers={"Authorization": f"Bearer {tok['access_token']}", "Accept": "application/json"},
        )


def timed(fn: Callable[[], httpx.Response], ok: tuple[int, ...] = (200, 201)) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = fn()
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code not in ok and r.status_code not in (403, 404, 409, 422):
        raise SystemExit(f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}")
    return ms, r.status_code


def fetch(client: httpx.Client, path: str) -> Callable[[], tuple[float, int]]:
    """A case that times `GET path`."""
    return lambda: timed(lambda: client.get(path))


def cases(people: dict[str, Person]) -> dict[str, Callable[[], tuple[float, int]]]:
    rep, sup, cs, gm, svc = (people[u] for u in ("zhangwei", "sup1", "cs1", "gm", "svc1"))
    mine = [c["id"] for c in rep.api.get("/customers?pool=mine&page_size=50").json()["items"]]
    public = [c["id"] for c in rep.api.get("/customers?pool=public&page_size=50").json()["items"]]
    some = [c["id"] for c in sup.api.get("/customers?pool=all&page_size=50").json()["items"]]

    def register() -> tuple[float, int]:
        name = f"压测{uuid.uuid4().hex[:10]}{random.choice(TERMS)}有限公司"
        body = {
            "name": name,
            "address": f"北京市海淀区压测路{random.randint(1, 9999)}号",
            "contact_name": "王经理",
            "phone": f"139{random.randint(0, 99999999):08d}",
            "customer_type": "direct",
            "industry": "制造业",
        }
        return timed(lambda: rep.api.post("/customers", json=body))

    def approve() -> tuple[float, int]:
        items = cs.api.get("/applications?status=pending&page_size=20").json()["items"]
        if not items:
            return timed(lambda: cs.api.get("/applications?status=pending&page_size=20"))
        return timed(lambda: cs.api.post(f"/applications/{items[0]['id']}/approve", json={}))

    followup = {
        "subject": "电话回访",
        "content": "与客户电话沟通了采购计划、预算和交付时间，客户表示下月再议",
        "method": "phone",
    }
    return {
        "rep page: GET / (dashboard)": fetch(rep.page, "/"),
        "sup page: GET / (dashboard)": fetch(sup.page, "/"),
        "cs page: GET / (dashboard)": fetch(cs.page, "/"),
        "gm page: GET / (dashboard)": fetch(gm.page, "/"),
        "rep page: GET /customers?pool=all": fetch(rep.page, "/customers?pool=all"),
        "rep page: GET /customers?pool=mine": fetch(rep.page, "/customers?pool=mine"),
        "rep page: GET /customers?pool=public": fetch(rep.page, "/customers?pool=public"),
        "gm page: GET /customers?pool=all": fetch(gm.page, "/customers?pool=all"),
        "rep page: GET /customers?q=common": lambda: timed(
            lambda: rep.page.get(f"/customers?q={random.choice(TERMS)}")
        ),
        "rep page: GET /pools/mine": fetch(rep.page, "/pools/mine"),
        "rep page: GET /customers/[id]": lambda: timed(
            lambda: rep.page.get(f"/customers/{random.choice(mine or public)}")
        ),
        "sup page: GET /customers/[id]": lambda: timed(
            lambda: sup.page.get(f"/customers/{random.choice(some)}")
        ),
        "cs page: GET /applications (inbox)": fetch(cs.page, "/applications"),
        "sup page: GET /applications (inbox)": fetch(sup.page, "/applications"),
        "rep api: GET /customers?pool=all": fetch(rep.api, "/customers?pool=all&page_size=20"),
        "rep api: GET /customers?pool=mine": fetch(rep.api, "/customers?pool=mine&page_size=20"),
        "rep api: GET /customers?pool=public": fetch(rep.api, "/customers?pool=public&page_size=20"),
        "rep api: GET /customers?pool=public&page=N": lambda: timed(
            lambda: rep.api.get(f"/customers?pool=public&page={random.randint(1, 50)}&page_size=20")
        ),
        "rep api: GET /customers?q=common": lambda: timed(
            lambda: rep.api.get(f"/customers?pool=all&q={random.choice(TERMS)}&page_size=20")
        ),
        "rep api: GET /customers?q=short core": lambda: timed(
            lambda: rep.api.get(f"/customers?pool=all&q={random.choice(SHORT)}&page_size=20")
        ),
        "rep api: GET /customers?q=short core, by name": lambda: timed(
            lambda: rep.api.get(f"/customers?pool=all&q={random.choice(SHORT)}&sort=name&page_size=20")
        ),
        "rep api: GET /customers?q=北京, by name either way": lambda: timed(
            lambda: rep.api.get(
                f"/customers?pool=all&q=北京&sort={random.choice(['name', '-name'])}&page_size=20"
            )
        ),
        "rep api: GET /customers?q=rare": lambda: timed(
            lambda: rep.api.get(f"/customers?pool=all&q={random.choice(RARE)}&page_size=20")
        ),
        "gm api: GET /customers?pool=all": fetch(gm.api, "/customers?pool=all&page_size=20"),
        "rep api: GET /customers/[id]": lambda: timed(
            lambda: rep.api.get(f"/customers/{random.choice(mine or public)}")
        ),
        "rep api: POST /customers/duplicates": lambda: timed(
            lambda: rep.api.post(
                "/customers/duplicates",
                json={"name": f"压测{uuid.uuid4().hex[:8]}{random.choice(TERMS)}有限公司"},
            )
        ),
        "cs api: POST /customers/duplicates (brands)": lambda: timed(
            lambda: cs.api.post(
                "/customers/duplicates", json={"name": f"{random.choice(RARE)}{random.choice(TERMS)}有限公司"}
            )
        ),
        "rep api: POST /customers (register)": register,
        "rep api: POST /customers/[id]/followups": lambda: (
            timed(lambda: rep.api.post(f"/customers/{random.choice(mine)}/followups", json=followup))
            if mine
            else (0.0, 0)
        ),
        "rep api: POST /customers/[id]/claim": lambda: timed(
            lambda: rep.api.post(f"/customers/{random.choice(public)}/claim", json={"remark": "压测认领"})
        ),
        "cs api: GET /applications?status=pending": fetch(
            cs.api, "/applications?status=pending&page_size=20"
        ),
        "cs api: POST /applications/[id]/approve": approve,
        # the other lists of the day (deals, contracts, tickets, audit): with `--staff N` they hold a
        # company's history in proportion (`poolcrm demo --staff`)
        "sup page: GET /deals": fetch(sup.page, "/deals"),
        "gm page: GET /deals": fetch(gm.page, "/deals"),
        "gm api: GET /deals": fetch(gm.api, "/deals"),
        "gm page: GET /contracts": fetch(gm.page, "/contracts"),
        "gm api: GET /contracts": fetch(gm.api, "/contracts"),
        "svc page: GET /tickets": fetch(svc.page, "/tickets"),
        "svc api: GET /tickets": fetch(svc.api, "/tickets"),
        "gm api: GET /audit": fetch(gm.api, "/audit"),
        "rep api: GET /customers/[id]/followups": lambda: timed(
            lambda: rep.api.get(f"/customers/{random.choice(mine or some)}/followups")
        ),
    }


def max_rss_mb(pid: int) -> float:
    """The largest resident set among `pid` and its children (the app workers), in MB."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    best = 0.0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", default="", help="substring of the case names to run")
    args = ap.parse_args()
    port = free_port()
    env = {
        **os.environ,
        "POOLCRM_SCHEDULER": "0",
        "POOLCRM_SECRET": os.environ.get("POOLCRM_SECRET", "bench"),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "poolcrm"),
            "serve",
            "--db",
            args.db,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/login").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        people = {u: Person(base, u) for u in ("zhangwei", "sup1", "cs1", "gm", "svc1")}
        todo = cases(people)
        if args.only:
            todo = {k: v for k, v in todo.items() if args.only in k}
        times: dict[str, list[float]] = {k: [] for k in todo}
        for fn in todo.values():  # warm: the first of each fills caches and plans
            fn()
        for _ in range(args.count):
            for name, fn in todo.items():  # alternate, so the machine's noise falls on all alike
                times[name].append(fn()[0])
        print(f"server processes' largest RSS: {max_rss_mb(server.pid):.0f} MB")
        print(f"| request ({args.count} each, one at a time) | p50 ms | p95 ms | max ms |")
        print("|---|---:|---:|---:|")
        for name, t in times.items():
            print(f"| {name} | {statistics.median(t):.1f} | {pct(t, 95):.1f} | {max(t):.1f} |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
