"""Helpers for the e2e tests: seeding the fresh database, starting and waiting for the server."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

from poolcrm.db import Database, create_schema
from poolcrm.org.schemas import DepartmentIn, UserIn
from poolcrm.org.service import create_department, create_user

ROOT = Path(__file__).resolve().parents[2]
SHOTS = (
    ROOT / "docs" / "screenshots" if os.environ.get("POOLCRM_REFRESH_SHOTS") else ROOT / "screenshots" / "tmp"
)
"""Browser tests write their screenshots to the git-ignored screenshots/tmp; the committed ones in
docs/screenshots are refreshed on purpose: `POOLCRM_REFRESH_SHOTS=1 ./run test tests/e2e`."""
PASSWORD = "secret-pass-1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--lang=zh-CN",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STARTUP_SECONDS = 120
"""Generous: a CI machine running two test workers, PostgreSQL and Chromium at once has been seen
to need more than 20 s to import the app and answer its first page."""

Seed = Callable[[Session], None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_user(
    session: Session,
    username: str,
    display_name: str,
    roles: list[str],
    department_id: int | None,
    supervisor_id: int | None = None,
    hired_on: date = date(2024, 1, 1),
    **extra: Any,
) -> int:
    """A user with the e2e password, created through the org service (audited like any other)."""
    data = UserIn(
        username=username,
        password=PASSWORD,
        display_name=display_name,
        roles=roles,
        department_id=department_id,
        supervisor_id=supervisor_id,
        hired_on=hired_on,
        **extra,
    )
    return create_user(session, None, data).id


def add_department(session: Session, name: str, kind: str) -> int:
    return create_department(session, None, DepartmentIn(name=name, kind=kind)).id


def seed_database(url: str, seed: Seed) -> None:
    db = Database(url)
    try:
        create_schema(db.engine)
        with db.transaction() as session:
            seed(session)
    finally:
        db.dispose()


def wait_until_up(proc: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the test server exited with {proc.returncode} before answering")
        try:
            httpx.get(f"{base}/login", timeout=10)
            return
        except httpx.HTTPError:  # not listening yet, or its first page slower than the timeout
            time.sleep(0.1)
    raise RuntimeError(f"the test server did not answer on {base} within {STARTUP_SECONDS}s")
