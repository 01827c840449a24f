"""Browser: a rep registers a customer and sees the live duplicate warning; CS approves it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.e2e.harness import add_department, add_user

pytestmark = pytest.mark.e2e
Login = Callable[..., tuple[Any, Any]]


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _sales_team_and_cs(session: Session) -> None:
        sales = add_department(session, "销售一部", "sales")
        cs = add_department(session, "客服部", "cs")
        add_user(session, "zhangwei", "张伟", ["sales"], sales)
        add_user(session, "lina", "李娜", ["sales"], sales)
        add_user(session, "cs1", "郑客服", ["cs"], cs)

    return _sales_team_and_cs


def _register(page, base, name, phone, address="北京市海淀区中关村大街1号海龙大厦5楼501室"):
    page.goto(f"{base}/customers/new")
    page.fill("#f-address", address)
    page.fill("#f-contact_name", "张三")
    page.fill("#f-phone", phone)
    page.fill("#f-industry", "IT")  # CUS-1: industry and type are chosen, never defaulted
    page.select_option("select[name=customer_type]", "direct")
    page.type("#f-name", name, delay=20)


def test_cus7_rep_sees_live_duplicate_warning_and_cs_approves(server: str, login: Login, shots: Path) -> None:
    ctx, page = login("lina", height=900)
    _register(page, server, "北京友好创达科技有限公司", "010-62345678")
    page.get_by_text("未发现重复客户").wait_for(timeout=5000)
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"{server}/customers/*")
    assert "等待客服审核" in page.content()
    ctx.close()

    ctx, page = login("zhangwei", height=900)
    _register(page, server, "北京友好創達信息科技有限公司", "010-88889999")
    page.get_by_text("发现疑似重复的客户").wait_for(timeout=5000)
    assert "北京友好创达科技有限公司" in page.locator("#dup-check").inner_text()
    page.screenshot(path=str(shots / "customer-form-live-duplicate.png"), full_page=True)
    page.click("button.primary[type=submit]")
    page.locator("[data-testid=confirm]").check()
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"{server}/customers/*")
    ctx.close()

    ctx, page = login("cs1", height=900)
    page.goto(f"{server}/applications")
    item = page.locator(
        "article.inbox-item", has=page.locator("header strong", has_text="北京友好創達信息科技有限公司")
    )
    assert "北京友好创达科技有限公司" in item.inner_text(), "CS sees the duplicate beside the application"
    item.locator("button.primary").click()
    page.wait_for_url(f"{server}/applications*")
    assert "已通过" in page.content()
    page.goto(f"{server}/customers?pool=all")
    page.screenshot(path=str(shots / "customer-list.png"), full_page=True)
    assert page.locator("table.cus-table tbody tr").count() == 2
    ctx.close()

    phone, page = login("zhangwei", width=390, height=844, is_mobile=True)
    page.goto(f"{server}/customers?pool=mine")
    page.screenshot(path=str(shots / "customer-list-phone.png"), full_page=True)
    page.locator("table.cus-table tbody a", has_text="北京友好創達信息科技有限公司").first.click()
    page.wait_for_url(f"{server}/customers/*")
    main = page.locator("[data-testid=main-contact]")
    assert main.is_visible(), "CUS-17: the contact given at registration is on the customer page"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll at 390 px"
    page.screenshot(path=str(shots / "customer-page-phone.png"), full_page=True)
    url = page.url
    phone.close()

    ctx, page = login("zhangwei", height=900)
    page.goto(url)
    assert page.locator("[data-testid=main-contact]").is_visible()
    page.screenshot(path=str(shots / "customer-page.png"), full_page=True)
    ctx.close()
