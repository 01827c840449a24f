"""Two app processes on one PostgreSQL database (issue 22): what one process knows, the other does
too — sessions and tokens (AUTH-6), the login throttle (AUTH-1), the test clock (CAL-2) and the
daily job's leader (JOB-1) all live in the database, not in a process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import text

from poolcrm.db import Database
from poolcrm.jobs.service import ADVISORY_LOCK_ID
from poolcrm.org.schemas import DepartmentIn, UserIn
from poolcrm.org.service import create_department, create_user
from tests.conftest import PASSWORD
from tests.e2e.harness import free_port, wait_until_up


@pytest.fixture
def pg(_pg) -> Database:
    if _pg is None:
        pytest.skip("several app processes share a PostgreSQL database (POOLCRM_TEST_PG)")
    db = _pg.fresh()
    with db.transaction() as s:
        dept = create_department(s, None, DepartmentIn(name="总经办", kind="other")).id
        for username, roles in (("admin", ["admin"]), ("rep", ["sales"])):
            create_user(
                s,
                None,
                UserIn(
                    username=username,
                    password=PASSWORD,
                    display_name=username,
                    roles=roles,
                    department_id=dept,
                    hired_on=date(2024, 1, 1),
                ),
            )
    return db


@pytest.fixture
def servers(pg: Database) -> Iterator[tuple[str, str]]:
    env = {
        **os.environ,
        "POOLCRM_DB": pg.url,
        "POOLCRM_SECRET": "two-processes",
        "POOLCRM_TEST_CLOCK": "1",
        "POOLCRM_SCHEDULER": "0",
    }
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "poolcrm.asgi:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for proc, base in zip(procs, bases, strict=True):
            wait_until_up(proc, base)
        yield bases[0], bases[1]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def _token(base: str, username: str) -> dict[str, str]:
    resp = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_auth6_a_token_from_one_process_works_on_the_other_and_a_logout_ends_it_on_both(servers):
    a, b = servers
    rep = _token(a, "rep")
    assert httpx.get(f"{b}/api/v1/me", headers=rep).json()["username"] == "rep"
    assert httpx.post(f"{b}/api/v1/auth/logout", headers=rep).status_code == 204
    assert httpx.get(f"{a}/api/v1/me", headers=rep).status_code == 401


def test_auth1_failed_logins_on_either_process_count_together(servers):
    a, b = servers
    for n in range(5):  # AUTH-1: login_max_failures (5) from this address, across both processes
        base = (a, b)[n % 2]
        wrong = httpx.post(f"{base}/api/v1/auth/token", json={"username": "rep", "password": "wrong-pass"})
        assert wrong.status_code == 401
    for base in (a, b):
        paused = httpx.post(f"{base}/api/v1/auth/token", json={"username": "rep", "password": PASSWORD})
        assert paused.status_code == 429 and paused.headers["Retry-After"]


def test_cal2_the_test_clock_set_on_one_process_is_the_time_on_the_other(servers):
    a, b = servers
    admin_a, admin_b = _token(a, "admin"), _token(b, "admin")
    moved = httpx.put(f"{a}/api/v1/admin/clock", json={"now": "2026-11-10T09:00:00+08:00"}, headers=admin_a)
    assert moved.status_code == 200, moved.text
    there = datetime.fromisoformat(httpx.get(f"{b}/api/v1/admin/clock", headers=admin_b).json()["now"])
    assert abs((there - datetime(2026, 11, 10, 1, 0, tzinfo=UTC)).total_seconds()) < 60
    assert httpx.delete(f"{b}/api/v1/admin/clock", headers=admin_b).status_code == 200
    back = datetime.fromisoformat(httpx.get(f"{a}/api/v1/admin/clock", headers=admin_a).json()["now"])
    assert abs((back - datetime.now(UTC)).total_seconds()) < 60


def test_job1_one_leader_for_the_daily_job_across_processes(servers, pg):
    """Whoever holds the daily job's advisory lock — here this test, as a third node — keeps both
    processes from running it (409, JOB-1); once it lets go, either runs it."""
    a, b = servers
    with pg.engine.connect() as node:
        assert node.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_ID}).scalar()
        for base in (a, b):
            busy = httpx.post(f"{base}/api/v1/jobs/run-daily", json={}, headers=_token(base, "admin"))
            assert busy.status_code == 409 and busy.json()["error"]["rule"] == "JOB-1"
        node.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_ID})
        node.commit()
    ran = httpx.post(f"{b}/api/v1/jobs/run-daily", json={}, headers=_token(b, "admin"), timeout=120)
    assert ran.status_code == 200, ran.text
