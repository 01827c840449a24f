"""Browser: a rep registers a customer and sees the live duplicate warning; CS approves it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "secret-pass-1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    url = f"sqlite:///{path}"
    env = {
        **os.environ,
        "POOLCRM_DB": url,
        "POOLCRM_FAST_HASH": "1",
        "POOLCRM_SCHEDULER": "0",
        "POOLCRM_SECRET": "e2e-secret",
    }
    seed = (
        "from datetime import date\n"
        "from poolcrm.db import Database, create_schema\n"
        "from poolcrm.org.schemas import DepartmentIn, UserIn\n"
        "from poolcrm.org.service import create_department, create_user\n"
        f"db = Database({url!r}); create_schema(db.engine)\n"
        "with db.transaction() as s:\n"
        "    d = create_department(s, None, DepartmentIn(name='销售一部', kind='sales')).id\n"
        "    c = create_department(s, None, DepartmentIn(name='客服部', kind='cs')).id\n"
        f"    create_user(s, None, UserIn(username='zhangwei', password={PASSWORD!r}, display_name='张伟', "
        "roles=['sales'], department_id=d, hired_on=date(2024, 1, 1)))\n"
        f"    create_user(s, None, UserIn(username='lina', password={PASSWORD!r}, display_name='李娜', "
        "roles=['sales'], department_id=d, hired_on=date(2024, 1, 1)))\n"
        f"    create_user(s, None, UserIn(username='cs1', password={PASSWORD!r}, display_name='郑客服', "
        "roles=['cs'], department_id=c, hired_on=date(2024, 1, 1)))\n"
    )
    subprocess.run([sys.executable, "-c", seed], env=env, check=True, cwd=ROOT)
    port = _free_port()
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
    for _ in range(100):
        try:
            httpx.get(f"{base}/login", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _login(page, base, username):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], form button")
    page.wait_for_url(f"{base}/")


def _register(page, base, name, phone, address="北京市海淀区中关村大街1号海龙大厦5楼501室"):
    page.goto(f"{base}/customers/new")
    page.fill("#f-address", address)
    page.fill("#f-contact_name", "张三")
    page.fill("#f-phone", phone)
    page.type("#f-name", name, delay=20)


def test_cus7_rep_sees_live_duplicate_warning_and_cs_approves(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _login(page, server, "lina")
    _register(page, server, "北京友好创达科技有限公司", "010-62345678")
    page.get_by_text("未发现重复客户").wait_for(timeout=5000)
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"{server}/customers/*")
    assert "等待客服审核" in page.content()
    ctx.close()

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _login(page, server, "zhangwei")
    _register(page, server, "北京友好創達信息科技有限公司", "010-88889999")
    page.get_by_text("发现疑似重复的客户").wait_for(timeout=5000)
    assert "北京友好创达科技有限公司" in page.locator("#dup-check").inner_text()
    page.screenshot(path=str(SHOTS / "customer-form-live-duplicate.png"), full_page=True)
    page.click("button.primary[type=submit]")
    page.locator("[data-testid=confirm]").check()
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"{server}/customers/*")
    ctx.close()

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _login(page, server, "cs1")
    page.goto(f"{server}/applications")
    item = page.locator(
        "article.inbox-item", has=page.locator("header strong", has_text="北京友好創達信息科技有限公司")
    )
    assert "北京友好创达科技有限公司" in item.inner_text(), "CS sees the duplicate beside the application"
    item.locator("button.primary").click()
    page.wait_for_url(f"{server}/applications*")
    assert "已通过" in page.content()
    page.goto(f"{server}/customers?pool=all")
    page.screenshot(path=str(SHOTS / "customer-list.png"), full_page=True)
    assert page.locator("table.cus-table tbody tr").count() == 2
    ctx.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = phone.new_page()
    _login(page, server, "zhangwei")
    page.goto(f"{server}/customers?pool=mine")
    page.screenshot(path=str(SHOTS / "customer-list-phone.png"), full_page=True)
    phone.close()
    assert date.today()
