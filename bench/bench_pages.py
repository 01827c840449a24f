# ruff: noqa: E501  (report lines)
"""The pages a nationwide sales force makes large (issue 22, `poolcrm demo --staff 1000`: 1,135
salespeople in 125 groups): each page as the role that opens it, in process (no server: the app's
time and the page's size), median of 5 views after a first; and one inbound item dealt to the duty
reps of a fallback week (IN-3: every rep on duty), rolled back.

    poolcrm demo --db URL --customers 4000 --staff 1000      # once, ~3 min (POOLCRM_FAST_HASH=1)
    .venv/bin/python bench/bench_pages.py --db URL [--out figures.json]

To compare two versions of the code in one run, check the other out (`git worktree add /tmp/old
<commit>`) and run the same command with `PYTHONPATH=/tmp/old/src` before it: the first line says
which code was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

os.environ.setdefault("POOLCRM_SCHEDULER", "0")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

import poolcrm  # noqa: E402
from poolcrm.app import create_app  # noqa: E402
from poolcrm.config import Settings  # noqa: E402
from poolcrm.db import Database  # noqa: E402
from poolcrm.duty import service as duty  # noqa: E402
from poolcrm.policy.service import company_today  # noqa: E402

PAGES = [
    ("gm", "/work/team"),
    ("manager", "/work/team"),
    ("gm", "/quality"),
    ("manager", "/quality"),
    ("gm", "/duty"),
    ("lead001", "/duty"),
    ("cs1", "/duty"),
    ("sales0001", "/duty"),
    ("gm", "/allocation"),
    ("lead001", "/allocation"),
    ("cs1", "/allocation"),
    ("gm", "/violations"),
    ("sales0001", "/violations"),
    ("gm", "/violations/assessments"),
    ("cs1", "/violations/assessments"),
    ("cs1", "/violations/spot-checks"),
    ("manager", "/"),
    ("gm", "/deals/analytics"),
    ("manager", "/deals/analytics"),
    ("gm", "/pools/mine"),
    ("admin", "/admin/users"),
    ("admin", "/admin/departments"),
]
VIEWS = 5


def pages(url: str) -> dict[str, Any]:
    app = create_app(Settings(db_url=url, run_scheduler=False))
    clients: dict[str, TestClient] = {}
    out = {}
    for user, path in PAGES:
        if user not in clients:
            clients[user] = TestClient(app)
            password = "admin12345" if user == "admin" else "demo12345"
            signed = clients[user].post(
                "/login", data={"username": user, "password": password}, follow_redirects=False
            )
            assert signed.status_code == 303, (user, signed.status_code)
        client = clients[user]
        client.get(path)
        times = []
        for _ in range(VIEWS):
            start = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
        out[f"{user} {path}"] = {
            "ms": round(statistics.median(times), 1),
            "kb": len(answer.content) // 1024,
            "status": answer.status_code,
        }
        print(
            f"{user:10} {path:26} {out[f'{user} {path}']['ms']:8.1f} ms {out[f'{user} {path}']['kb']:6} KB  {answer.status_code}"
        )
    return out


def dealing(url: str) -> dict[str, Any]:
    """IN-3: one inbound item dealt (`pick_duty_rep`), three times, each rolled back."""
    db = Database(url)
    seen = [0]
    event.listen(db.engine, "before_cursor_execute", lambda *_: seen.__setitem__(0, seen[0] + 1))
    runs = []
    for _ in range(3):
        session = db.session()
        seen[0] = 0
        start = time.perf_counter()
        pick = duty.pick_duty_rep(session, company_today(session))
        runs.append(((time.perf_counter() - start) * 1000, seen[0], pick.source))
        session.rollback()
        session.close()
    db.dispose()
    best = min(runs)
    print(f"dealing one inbound item ({best[2]} week): {best[0]:.0f} ms, {best[1]} statements (best of 3)")
    return {"ms": round(best[0], 1), "statements": best[1], "source": best[2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--out")
    args = parser.parse_args()
    print(f"code: {poolcrm.__file__}")
    figures = {"code": poolcrm.__file__, "pages": pages(args.db), "dealing": dealing(args.db)}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
