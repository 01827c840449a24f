"""Browser: claim → CS approves → invalid then valid follow-up with reasons → the clock moves on →
the daily job recycles → GM plans → CS executes → the new owner sees the customer and its history."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
SEED = """
from datetime import date, datetime
from zoneinfo import ZoneInfo
from poolcrm.customers.models import Customer
from poolcrm.db import Database, create_schema
from poolcrm.org.schemas import DepartmentIn, UserIn
from poolcrm.org.service import create_department, create_user

SH = ZoneInfo("Asia/Shanghai")
db = Database(URL); create_schema(db.engine)
with db.transaction() as s:
    sales = create_department(s, None, DepartmentIn(name="销售一部", kind="sales")).id
    other = create_department(s, None, DepartmentIn(name="总经办", kind="other")).id
    cs = create_department(s, None, DepartmentIn(name="客服部", kind="cs")).id
    def user(name, display, roles, dept, sup=None):
        data = UserIn(username=name, password=PASSWORD, display_name=display, roles=roles, department_id=dept,
                      supervisor_id=sup, hired_on=date(2024, 1, 1))
        return create_user(s, None, data).id
    user("admin", "管理员", ["admin"], other)
    gm = user("gm", "刘总", ["gm"], other)
    sup = user("sup1", "王主管", ["supervisor"], sales, gm)
    rep = user("zhangwei", "张伟", ["sales"], sales, sup)
    user("lina", "李娜", ["sales"], sales, sup)
    user("cs1", "郑客服", ["cs"], cs)
    def customer(n, name, pool, owner=None, since=None):
        at = since or datetime(2026, 10, 1, 10, tzinfo=SH)
        s.add(Customer(code=f"ABC2026{n:03d}", name=name, name_key=name, address="北京市海淀区中关村大街1号",
                       contact_name="王经理", phone=f"0106234{n:04d}", pool=pool, owner_id=owner,
                       protected_since=since, pool_entered_at=at, created_at=at, updated_at=at))
    customer(1, "北京友好创达科技有限公司", "public")
    for n, (name, day) in enumerate([("上海晨光档案管理有限公司", 26), ("天津海河数据科技有限公司", 27),
                                     ("杭州西湖影像设备有限公司", 28), ("南京钟山信息技术有限公司", 29),
                                     ("广州珠江办公设备有限公司", 30)], start=2):
        customer(n, name, "private", rep, datetime(2026, 10, day, 10, tzinfo=SH))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e_pools") / "e2e.db"
    url = f"sqlite:///{path}"
    env = {
        **os.environ,
        "POOLCRM_DB": url,
        "POOLCRM_FAST_HASH": "1",
        "POOLCRM_SCHEDULER": "0",
        "POOLCRM_TEST_CLOCK": "1",
        "POOLCRM_SECRET": "e2e-pools",
    }
    subprocess.run(
        [sys.executable, "-c", f"URL = {url!r}\nPASSWORD = {PASSWORD!r}\n" + SEED],
        env=env,
        check=True,
        cwd=ROOT,
    )
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
    for _ in range(150):
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


def _api(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}).json()
    return httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token['access_token']}"}
    )


def _page(browser, base, username):
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(f"{base}/")
    return ctx, page


def test_pool4_to_pool7_claim_follow_up_recycle_and_reallocate(server, browser):
    admin = _api(server, "admin")
    assert admin.put("/admin/clock", json={"now": "2026-11-02T09:00:00+08:00"}).status_code == 200

    ctx, page = _page(browser, server, "zhangwei")
    page.goto(f"{server}/pools/public")
    row = page.locator("tr", has_text="北京友好创达科技有限公司")
    row.locator("button").click()
    row.get_by_text("已申请，等待客服审核").wait_for(timeout=5000)

    cs = _api(server, "cs1")
    pending = cs.get("/applications", params={"status": "pending", "kind": "claim"}).json()["items"]
    assert len(pending) == 1
    cid = pending[0]["customer_id"]
    assert cs.post(f"/applications/{pending[0]['id']}/approve", json={}).json()["status"] == "approved"

    page.goto(f"{server}/customers/{cid}/followups")
    page.fill("textarea[name=content]", "电话未接通")
    page.get_by_test_id("fu-preview").get_by_text("将是无效记录").wait_for(timeout=5000)
    page.click("form.fu-form button.primary")
    result = page.get_by_test_id("fu-result")
    result.wait_for()
    assert "FU-1" in result.inner_text() and "电话未接通" in result.inner_text()
    page.fill(
        "textarea[name=content]", "A 王经理（采购部） B 介绍扫描仪方案 C 预算约二十万，年底采购 D 下周送样机"
    )
    page.get_by_test_id("fu-preview").get_by_text("将是有效记录").wait_for(timeout=5000)
    page.click("form.fu-form button.primary")
    assert "记录有效" in page.get_by_test_id("fu-result").inner_text()

    page.goto(f"{server}/pools/mine")
    table = page.get_by_test_id("my-pool")
    assert table.locator(".due-red").count() >= 1
    assert "还有" in table.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "pools-my-pool.png"), full_page=True)
    ctx.close()

    assert admin.put("/admin/clock", json={"now": "2026-11-20T09:00:00+08:00"}).status_code == 200
    job = admin.post("/jobs/run-daily", json={"as_of": "2026-11-20"}).json()
    assert cid in job["recycled"]

    ctx, page = _page(browser, server, "gm")
    page.goto(f"{server}/allocation")
    bin_row = page.locator(f"tr[data-customer='{cid}']")
    bin_row.locator("select").select_option(label="李娜")
    page.get_by_role("button", name="按所选制定分配方案").click()
    plan = page.locator("tr[data-plan]").first
    plan.get_by_role("button", name="批准").click()
    page.locator("tr[data-plan]").first.get_by_text("已批准").wait_for()
    ctx.close()

    ctx, page = _page(browser, server, "cs1")
    page.goto(f"{server}/allocation")
    page.locator("tr[data-plan]").first.get_by_role("button", name="执行").click()
    page.locator("tr[data-plan]").first.get_by_text("已执行").wait_for()
    ctx.close()

    ctx, page = _page(browser, server, "lina")
    page.goto(f"{server}/pools/mine")
    assert "北京友好创达科技有限公司" in page.get_by_test_id("my-pool").inner_text()
    page.goto(f"{server}/customers/{cid}/followups")
    history = page.get_by_test_id("history")
    history.wait_for(timeout=5000)
    text = history.inner_text()
    assert "POOL-4" in text and "POOL-6" in text and "POOL-7" in text
    ctx.close()
