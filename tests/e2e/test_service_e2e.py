"""Browser: customer service opens a complaint from the customer page, the service supervisor (on a
phone) assigns it, the staff member (on a phone) confirms, logs and resolves it, CS closes it with
the customer's confirmation and prepares the rating link, and the customer rates the service on a
phone-sized page without logging in. Desktop and phone screenshots go to docs/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session

from poolcrm.customers.models import Contact, Customer
from tests.e2e.harness import add_department, add_user

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
Login = Callable[..., tuple[Any, Any]]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _company(session: Session) -> None:
        office = add_department(session, "总经办", "other")
        sales = add_department(session, "销售一部", "sales")
        service = add_department(session, "服务部", "service")
        cs = add_department(session, "客服部", "cs")
        add_user(session, "admin", "管理员", ["admin"], office)
        gm = add_user(session, "gm", "刘总", ["gm"], office)
        lead = add_user(session, "svcsup", "何工", ["service", "supervisor"], service, gm)
        add_user(session, "svc1", "马工", ["service"], service, lead)
        add_user(session, "cs1", "郑客服", ["cs"], cs, gm)
        rep = add_user(session, "zhangwei", "张伟", ["sales"], sales)
        at = datetime(2026, 12, 1, 10, tzinfo=SH)
        customer = Customer(
            code="ABC2026001",
            name="杭州西湖数据科技有限公司",
            name_key="杭州西湖数据科技",
            address="杭州市西湖区文三路1号",
            contact_name="陈主任",
            phone="0571-88000001",
            customer_type="direct",
            pool="private",
            owner_id=rep,
            protected_since=at,
            pool_entered_at=at,
            created_at=at,
            updated_at=at,
            tags=[],
        )
        session.add(customer)
        session.flush()
        session.add(
            Contact(
                customer_id=customer.id,
                name="陈主任",
                position="档案室主任",
                mobile="+8613800138000",
                created_at=at,
            )
        )

    return _company


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"POOLCRM_TEST_CLOCK": "1"}


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_service_desk_in_the_browser(
    server: str, login: Login, api: Callable[[str], httpx.Client], shots: Path, browser: Any
) -> None:
    assert api("admin").put("/admin/clock", json={"now": "2026-12-02T10:00:00+08:00"}).status_code == 200

    # SVC-1/SVC-5: CS opens a complaint from the customer page; it lands on the service supervisor
    _, cs = login("cs1", width=1440, height=900)
    cs.goto(f"{server}/customers/1")
    cs.get_by_test_id("customer-new-ticket").click()
    form = cs.get_by_test_id("ticket-form")
    form.locator("select[name=contact_id]").select_option(label="陈主任 · 档案室主任")
    form.locator("select[name=kind]").select_option("online")
    form.locator("select[name=request_type]").select_option("complaint")
    form.locator("select[name=emotion]").select_option("agitated")
    form.locator("textarea[name=description]").fill("12月1日系统升级后无法登录，档案室全员停工，客户情绪激动")
    form.get_by_test_id("submit-ticket").click()
    cs.wait_for_url(f"{server}/tickets/*")
    assert (
        "FW2026001" in cs.locator("h1").inner_text()
        and "2026年12月2日 在线支持服务" in cs.locator("h1").inner_text()
    )
    assert cs.get_by_test_id("assignee").inner_text() == "何工"
    assert "紧急" in cs.locator("main").inner_text()
    ticket_url = cs.url
    cs.screenshot(path=str(shots / "service_ticket_opened.png"), full_page=True)

    # SVC-3: the supervisor, on his phone, hands it to a staff member
    _, lead = login("svcsup", **PHONE)
    lead.goto(f"{server}/tickets?tab=all")
    lead.get_by_test_id("ticket-row").first.locator("a").first.click()
    assign = lead.get_by_test_id("assign-form")
    staff_option = assign.locator("select[name=user_id] option", has_text="马工")
    assert "未完成 0" in staff_option.inner_text()  # the supervisor sees each one's load
    assign.locator("select[name=user_id]").select_option(staff_option.get_attribute("value"))
    assign.locator("input[name=reassign]").check()
    assign.locator("button").click()
    lead.wait_for_url(ticket_url)
    assert lead.get_by_test_id("assignee").inner_text() == "马工"
    _no_sideways_scroll(lead)

    # SVC-3/SVC-2: the staff member confirms, logs a step and resolves it, on his phone
    _, staff = login("svc1", **PHONE)
    staff.goto(f"{server}/tickets")
    assert staff.get_by_test_id("ticket-row").count() == 1
    staff.screenshot(path=str(shots / "service_list_phone.png"), full_page=True)
    _no_sideways_scroll(staff)
    staff.get_by_test_id("ticket-row").first.locator("a").first.click()
    staff.get_by_test_id("accept-form").locator("button").click()
    staff.wait_for_url(ticket_url)
    staff.get_by_test_id("log-form").locator("textarea").fill("已电话安抚客户，远程排查为证书过期")
    staff.get_by_test_id("log-form").locator("button").click()
    staff.get_by_test_id("resolve-form").locator("textarea").fill("更新证书并重启服务，客户全员恢复登录")
    staff.get_by_test_id("resolve-form").locator("button").click()
    staff.wait_for_url(ticket_url)
    assert "已解决" in staff.get_by_test_id("ticket-status").inner_text()
    staff.screenshot(path=str(shots / "service_ticket_phone.png"), full_page=True)
    _no_sideways_scroll(staff)

    # SVC-5/SVC-6: CS closes it on the customer's word and prepares the rating link
    cs.goto(ticket_url)
    cs.get_by_test_id("close-form").locator("button").click()
    cs.wait_for_url(ticket_url)
    cs.get_by_test_id("rating-form").locator("button").click()
    link = cs.get_by_test_id("rating-link").locator("a").get_attribute("href")
    assert link and "/rate/" in link

    # SVC-6: the customer rates on a phone, without logging in; the link then says it was used
    customer = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    customer.goto(link)
    customer.get_by_test_id("star-4").click()
    customer.locator("textarea[name=comment]").fill("工程师响应很快")
    customer.screenshot(path=str(shots / "service_rate_phone.png"), full_page=True)
    _no_sideways_scroll(customer)
    customer.get_by_test_id("rate-submit").click()
    assert customer.get_by_test_id("rate-thanks").is_visible()
    customer.goto(link)
    assert customer.get_by_test_id("rate-used").is_visible()
    customer.context.close()

    cs.goto(ticket_url)
    assert "4/5" in cs.get_by_test_id("rating").inner_text()
    cs.screenshot(path=str(shots / "service_ticket_rated.png"), full_page=True)
    followups = api("admin").get("/customers/1/followups").json()["items"]
    assert any(f["content"].startswith("投诉已解决") for f in followups)  # SVC-5
