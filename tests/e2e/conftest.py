"""Browser-test harness shared by every e2e module.

- `server` (per module): a real `uvicorn poolcrm.asgi:app` on a free port over a fresh SQLite file,
  seeded by the module's `seed` fixture — a callable `(session) -> None` run in one transaction.
  A module sets `server_env` to add environment variables (e.g. `POOLCRM_TEST_CLOCK=1`).
- `browser` (per session): Debian's Chromium through Playwright (`executable_path`, never a
  downloaded browser); the tests are skipped when no `chromium` is installed.
- `login(username, ...)` → (context, page) logged in through the login form; `api(username)` → an
  httpx client with that user's bearer token; `shots` → docs/screenshots.
Helpers for seeds (`add_user`, `add_department`, `PASSWORD`) live in `tests/e2e/harness.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.e2e.harness import (
    CHROMIUM_ARGS,
    PASSWORD,
    ROOT,
    SHOTS,
    Seed,
    add_department,
    add_user,
    free_port,
    seed_database,
    wait_until_up,
)


@pytest.fixture(scope="module")
def seed() -> Seed:
    """Override in a module: what the fresh database holds before the server starts."""

    def _admin_only(session: Session) -> None:
        add_user(session, "admin", "管理员", ["admin"], add_department(session, "总经办", "other"))

    return _admin_only


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Override in a module to add environment variables for the server."""
    return {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed: Seed, server_env: dict[str, str]) -> Iterator[str]:
    """The base URL of a live server over a freshly seeded SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    seed_database(url, seed)
    env = {
        **os.environ,
        "POOLCRM_DB": url,
        "POOLCRM_FAST_HASH": "1",
        "POOLCRM_SCHEDULER": "0",
        "POOLCRM_SECRET": f"e2e-{free_port()}",
        **server_env,
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    uvicorn = [sys.executable, "-m", "uvicorn", "poolcrm.asgi:app", "--log-level", "warning"]
    proc = subprocess.Popen([*uvicorn, "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT)
    try:
        wait_until_up(proc, base)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def login(browser: Any, server: str) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """`login(username, width=1280, height=860, **context_options)` → (context, page) on the
    dashboard, logged in through the login form. Contexts still open are closed after the test."""
    contexts: list[Any] = []

    def _login(
        username: str, *, width: int = 1280, height: int = 860, password: str = PASSWORD, **options: Any
    ) -> tuple[Any, Any]:
        ctx = browser.new_context(
            viewport={"width": width, "height": height}, locale=options.pop("locale", "zh-CN"), **options
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(f"{server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{server}/")
        return ctx, page

    yield _login
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def api(server: str) -> Iterator[Callable[[str], httpx.Client]]:
    """`api(username)` → an httpx client on /api/v1 with that user's bearer token."""
    clients: list[httpx.Client] = []

    def _api(username: str) -> httpx.Client:
        resp = httpx.post(f"{server}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        resp.raise_for_status()
        client = httpx.Client(
            base_url=f"{server}/api/v1", headers={"Authorization": f"Bearer {resp.json()['access_token']}"}
        )
        clients.append(client)
        return client

    yield _api
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where screenshots go: screenshots/tmp (git-ignored), or docs/screenshots to refresh them."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
