"""Browser: a rep searches and filters (region) the public pool, ticks several customers and claims
them in one action (POOL-4/POOL-14), on a desktop and on a 390×844 phone — the bulk button stays on
screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from poolcrm.customers import dedupe, names
from poolcrm.customers.models import Customer
from tests.e2e.harness import add_department, add_user

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
Login = Callable[..., tuple[Any, Any]]
NAMES = [
    ("北京友好创达科技有限公司", "北京", "制造业"),
    ("北京中关村档案服务有限公司", "北京", "服务业"),
    ("北京长城数据科技有限公司", "北京", "IT"),
    ("上海晨光档案管理有限公司", "上海", "服务业"),
    ("北京燕山办公设备有限公司", "北京", "制造业"),
]


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _two_reps_and_a_public_pool(session: Session) -> None:
        sales = add_department(session, "销售一部", "sales")
        other = add_department(session, "总经办", "other")
        add_user(session, "admin", "管理员", ["admin"], other)
        gm = add_user(session, "gm", "刘总", ["gm"], other)
        sup = add_user(session, "sup1", "王主管", ["supervisor"], sales, gm)
        add_user(session, "zhangwei", "张伟", ["sales"], sales, sup)
        add_user(session, "lina", "李娜", ["sales"], sales, sup)
        at = datetime(2026, 10, 1, 10, tzinfo=SH)
        for n, (name, region, industry) in enumerate(NAMES, start=1):
            customer = Customer(
                code=f"ABC2026{n:03d}",
                name=name,
                name_key=names.name_key(name),
                address="北京市海淀区中关村大街1号",
                contact_name="王经理",
                phone=f"0106234{n:04d}",
                region=region,
                industry=industry,
                pool="public",
                pool_entered_at=at,
                created_at=at,
                updated_at=at,
            )
            session.add(customer)
            session.flush()
            dedupe.index_customer(session, customer.id, name)  # the search reads the postings (LIST-1)

    return _two_reps_and_a_public_pool


def _search_tick_and_claim(page: Any, server: str, ticks: int) -> None:
    page.goto(f"{server}/pools/public")
    page.fill("input[name=q]", "有限公司")
    page.fill("input[name=region]", "北京")
    page.click("form.toolbar[method=get] button")
    page.wait_for_url("**region=*")
    boxes = page.locator("input[name=customer_ids]")
    assert boxes.count() == 4
    for i in range(ticks):
        boxes.nth(i).check()


def _within_width(page: Any, selector: str, width: int) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_pool4_bulk_claim_on_desktop_and_phone(server: str, login: Login, shots: Path) -> None:
    _, page = login("zhangwei")
    _search_tick_and_claim(page, server, 2)
    _within_width(page, "[data-testid=bulk-claim]", 1280)
    page.click("[data-testid=bulk-claim]")
    results = page.locator("[data-testid=bulk-results]")
    results.wait_for()
    assert "已申请 2 个，未通过 0 个" in results.inner_text()
    assert "上海晨光" not in page.locator("[data-testid=public-pool]").inner_text()  # the filter is kept
    page.screenshot(path=str(shots / "pools_public_bulk.png"), full_page=True)

    _, phone = login("lina", width=390, height=844)
    _search_tick_and_claim(phone, server, 3)
    _within_width(phone, "[data-testid=bulk-claim]", 390)
    _within_width(phone, "input[name=customer_ids] >> nth=0", 390)
    phone.click("[data-testid=bulk-claim]")
    phone.locator("[data-testid=bulk-results]").wait_for()
    assert "已申请 3 个" in phone.locator("[data-testid=bulk-results]").inner_text()
    _within_width(phone, "[data-testid=bulk-claim]", 390)
    phone.screenshot(path=str(shots / "pools_public_bulk_phone.png"), full_page=True)
