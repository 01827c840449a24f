"""Notifications at scale (NOTE-2/NOTE-3): the 09:00 reminder batch and the outbox sender.

1. Fan-out: 50,000 follow-up reminders to 2,000 users (25 each, one notification per reminder, each
   user choosing 企业微信 for reminders) are written with their deliveries in one transaction
   (`notify_each` → `outbox.enqueue`), then sent by one `Sender` to a local sink that answers like
   a 企业微信 robot. Target: written and fully handed to the sink within 60 s.
2. Throughput: N pending deliveries sent by two app processes at once (two OS processes, each a
   `Sender` over the same database). Target on PostgreSQL: ≥ 1,000 deliveries/s, none twice — the
   sink counts every `X-Poolcrm-Delivery` key (the idempotency key) it receives.
Baseline in the same run: the sink's own throughput from a bare httpx client pool of the same size
(the ceiling any sender could reach on this machine).

The sink is a minimal asyncio HTTP/1.1 server (keep-alive) in its own process, so it is not the
bottleneck. The robot channel is configured with `per_minute` 0 (no limit): the vendors' real
limits (20 a minute per robot) would hold the batch for hours by design (queued, never dropped).

    .venv/bin/python bench/bench_notify.py --engine pg
    .venv/bin/python bench/bench_notify.py --engine sqlite --deliveries 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench_deals import bench_database_url
from sqlalchemy import func, insert, select

from poolcrm import clock
from poolcrm.db import Database, create_schema
from poolcrm.notify import channels
from poolcrm.notify.models import SENT, Delivery, NotifySettings
from poolcrm.notify.sender import THREADS, Sender, http_pool
from poolcrm.notify.service import Note, notify_each
from poolcrm.org.models import Department, User, UserRole

SECRET = "bench-secret"

ANSWER = b'{"errcode":0,"errmsg":"ok"}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(ANSWER)).encode()
    + b"\r\n\r\n"
    + ANSWER
)


# ---------------------------------------------------------------- the sink (its own process)


def _sink(port: int, ready: Any, results: Any, stop: Any) -> None:
    keys: Counter[str] = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, key = 0, ""
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    lname = name.strip().lower()
                    if lname == b"content-length":
                        length = int(value)
                    elif lname == b"x-poolcrm-delivery":
                        key = value.strip().decode()
                if length:
                    await reader.readexactly(length)
                keys[key] += 1
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        server.close()
        results.put(dict(keys))

    asyncio.run(main())


class Sink:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        ctx = mp.get_context("spawn")
        self.ready, self.stop, self.results = ctx.Event(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(
            target=_sink, args=(self.port, self.ready, self.results, self.stop), daemon=True
        )
        self.proc.start()
        self.ready.wait(30)

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key=bench"

    def close(self) -> Counter[str]:
        self.stop.set()
        keys = Counter(self.results.get(timeout=60))
        self.proc.join(10)
        return keys


def baseline(sink: Sink, n: int) -> float:
    """Requests per second the sender's own HTTP pool (THREADS threads) gets from the sink with
    nothing else to do: the ceiling for one sender process on this machine."""
    http = http_pool(THREADS)
    body = json.dumps(
        {"msgtype": "markdown", "markdown": {"content": "**跟进提醒**\n今天 09:00 有 1 条计划跟进"}}
    )
    headers = {"Content-Type": "application/json; charset=utf-8"}

    def post(i: int) -> int:
        answer = http.request(
            "POST", sink.webhook, body=body.encode(), headers={**headers, "X-Poolcrm-Delivery": f"b{i}"}
        )
        return int(answer.status)

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(post, range(n)))
    elapsed = time.perf_counter() - start
    http.clear()
    return n / elapsed


# ---------------------------------------------------------------- the company


def build(db: Database, users: int, webhook: str) -> tuple[list[int], int]:
    """Users in one sales department, each choosing 企业微信 for reminders, and one robot."""
    now = clock.now()
    with db.transaction() as s:
        dept = Department(name="销售部", kind="sales", active=True, created_at=now)
        s.add(dept)
        s.flush()
        admin = User(
            username="admin", display_name="管理员", department_id=dept.id, password_hash="x",
            hired_on=now.date(), language="zh", active=True, token_version=0, created_at=now,
        )  # fmt: skip
        s.add(admin)
        s.flush()
        s.add(UserRole(user_id=admin.id, role="admin"))
        s.flush()
        s.execute(
            insert(User),
            [
                {
                    "username": f"rep{i}",
                    "display_name": f"销售{i}",
                    "department_id": dept.id,
                    "password_hash": "x",
                    "hired_on": now.date(),
                    "language": "zh",
                    "active": True,
                    "token_version": 0,
                    "created_at": now,
                }  # fmt: skip
                for i in range(users)
            ],
        )
        ids = list(s.scalars(select(User.id).where(User.username.like("rep%")).order_by(User.id)))
        s.execute(
            insert(NotifySettings),
            [
                {
                    "user_id": uid,
                    "channels": {"followup_reminder": ["wecom"]},
                    "email": None,
                    "im_ids": {"wecom": f"rep{uid}"},
                    "digest": False,
                    "updated_at": now,
                }  # fmt: skip
                for uid in ids
            ],
        )
        channel = channels.save_channel(
            s, admin, SECRET, type_="wecom", name="销售群", config={"webhook": webhook, "per_minute": 0}
        )
        return ids, channel.id


def fan_out(db: Database, ids: list[int], per_user: int) -> tuple[float, int]:
    """The 09:00 batch: one notification per reminder, with its deliveries, in one transaction."""
    notes = [
        Note(uid, f"FU-4:bench:{uid}:{k}", {"time": "09:00", "count": 1}, "/")
        for uid in ids
        for k in range(per_user)
    ]
    start = time.perf_counter()
    with db.transaction() as s:
        notify_each(
            s, notes, "followup_reminder", "今天 {time} 有 {count} 条计划跟进，请及时联系客户", rule="FU-4"
        )
    elapsed = time.perf_counter() - start
    with db.transaction(write=False) as s:
        queued = s.scalar(select(func.count()).select_from(Delivery)) or 0
    return elapsed, queued


def _sender_process(url: str, start_at: float, out: Any) -> None:
    db = Database(url)
    sender = Sender(db, SECRET)
    while time.time() < start_at:
        time.sleep(0.005)
    t0 = time.perf_counter()
    sent = sender.drain()
    out.put((sent, time.perf_counter() - t0))
    sender.stop()
    db.dispose()


def send_with(url: str, processes: int) -> tuple[float, list[tuple[int, float]]]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # every process imported and connected before the clock starts
    procs = [ctx.Process(target=_sender_process, args=(url, start_at, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join(30)
    return max(t for _, t in results), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "pg"), default="pg")
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--reminders", type=int, default=50_000)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    url = bench_database_url(args.engine, "notify", reuse=False)
    db = Database(url)
    create_schema(db.engine)
    sink = Sink()
    print(f"engine {args.engine}, {os.cpu_count()} cores; sink on :{sink.port}")
    base = statistics.median(baseline(sink, 5_000) for _ in range(3))
    print(f"baseline: the sender's HTTP pool alone, {THREADS} threads → sink: {base:,.0f} requests/s")

    ids, _ = build(db, args.users, sink.webhook)
    per_user = max(1, args.reminders // args.users)
    write_s, queued = fan_out(db, ids, per_user)
    print(f"fan-out: {len(ids) * per_user:,} reminders → {queued:,} deliveries written in {write_s:.1f} s")
    send_s, _ = send_with(url, 1)
    total = write_s + send_s
    print(
        f"09:00 batch: sent by one sender in {send_s:.1f} s ({queued / send_s:,.0f}/s); "
        f"written + sent {total:.1f} s (target ≤ 60 s)"
    )

    with db.transaction(write=False) as s:
        first = s.scalar(select(func.max(Delivery.id))) or 0
    rounds = max(1, args.deliveries // (args.users * per_user))
    for r in range(rounds):
        fan_out_ids = [
            Note(uid, f"T:{r}:{uid}:{k}", {"time": "09:00", "count": 1}, "/")
            for uid in ids
            for k in range(per_user)
        ]
        with db.transaction() as s:
            notify_each(
                s,
                fan_out_ids,
                "followup_reminder",
                "今天 {time} 有 {count} 条计划跟进，请及时联系客户",
                rule="FU-4",
            )
    with db.transaction(write=False) as s:
        pending = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.id > first)) or 0
    wall, results = send_with(url, args.processes)
    with db.transaction(write=False) as s:
        sent = (
            s.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.id > first, Delivery.status == SENT)
            )
            or 0
        )
    keys = sink.close()
    bench_keys = {k: n for k, n in keys.items() if k and not k.startswith("b")}
    twice = sum(1 for n in bench_keys.values() if n > 1)
    rate = pending / wall
    print(
        f"throughput: {pending:,} deliveries by {args.processes} processes in {wall:.1f} s → {rate:,.0f}/s "
        f"(per process: {', '.join(f'{n:,} in {t:.1f} s' for n, t in results)}); "
        f"sent {sent:,}; received {len(bench_keys):,} distinct keys, {twice} twice; "
        f"ratio to baseline {rate / base:.2f}"
    )
    db.dispose()


if __name__ == "__main__":
    main()
