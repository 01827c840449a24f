"""Browser: log in through the login page, switch to English and back, open the admin user list,
create a user (an inline ORG-6 error first), see it listed and log in as them. Then the product
screenshots of docs/screenshots/ over the demo company."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from poolcrm.demo import DEMO_PASSWORD, populate_demo
from tests.e2e.harness import PASSWORD, add_user

pytestmark = pytest.mark.e2e
Login = Callable[..., tuple[Any, Any]]


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _demo_company(session: Session) -> None:
        add_user(session, "admin", "系统管理员", ["admin"], None)
        populate_demo(session)

    return _demo_company


def test_foundation_login_language_switch_and_admin_creates_a_user(server: str, login: Login) -> None:
    _, page = login("admin")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator(".mainnav").get_by_text("工作台").is_visible()

    page.locator(".userbox a.lang").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".mainnav").get_by_text("Dashboard").is_visible()
    page.locator(".userbox a.lang").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    page.locator(".mainnav").get_by_text("系统管理").click()
    page.wait_for_url(f"{server}/admin/users")
    table = page.get_by_test_id("user-table")
    assert table.locator("tr[data-user=zhangwei]").inner_text().startswith("张伟")

    page.get_by_test_id("new-user").click()
    form = page.get_by_test_id("user-form")
    form.locator("input[name=username]").fill("xiaoming")
    form.locator("input[name=password]").fill("xiaoming-2026")
    form.locator("input[name=display_name]").fill("肖明")
    form.locator("input[name=employee_code]").fill("bj-01")
    form.locator("select[name=department_id]").select_option(label="销售一部")
    form.locator("select[name=supervisor_id]").select_option(label="王主管 · 销售一部")
    form.locator("input[name=hired_on]").fill("2026-11-02")
    form.locator("button.primary").click()
    error = page.locator("[data-error-for=employee_code]")
    assert "员工编号格式不正确" in error.inner_text()
    assert "ORG-6" in page.get_by_test_id("form-error").inner_text()

    form = page.get_by_test_id("user-form")
    form.locator("input[name=password]").fill("xiaoming-2026")
    form.locator("input[name=employee_code]").fill("BJ0105")
    form.locator("button.primary").click()
    page.wait_for_url(f"{server}/admin/users/*?done=created")
    assert "用户已创建" in page.locator(".flash.ok").inner_text()

    page.goto(f"{server}/admin/users")
    row = page.get_by_test_id("user-table").locator("tr[data-user=xiaoming]")
    assert "肖明" in row.inner_text() and "销售一部" in row.inner_text() and "王主管" in row.inner_text()

    # ORG-7: deactivating asks first (a declared confirmation: the CSP refuses inline handlers)
    row.locator("a").first.click()
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_test_id("disable-user").click()
    assert asked == ["确定停用该账号？"] and page.get_by_test_id("disable-user").is_visible()  # still active

    _, rep = login("xiaoming", password="xiaoming-2026")
    assert rep.get_by_test_id("pool-usage").inner_text().replace(" ", "") == "0/300"


def test_screenshots_of_the_product(server: str, login: Login, shots: Path) -> None:
    _, page = login("zhangwei", password=DEMO_PASSWORD, width=1366, height=900)
    assert page.get_by_test_id("pool-usage").is_visible()
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    _, admin = login("admin", password=PASSWORD, width=1366, height=1500)
    admin.goto(f"{server}/admin/policy")
    section = admin.get_by_test_id("section-cus")
    section.locator("input[name=profile_max_chars]").fill("80")
    section.locator("input[name=reason]").fill("客服建议放宽客户简介字数")
    section.get_by_role("button", name="保存本节").click()
    admin.wait_for_url("**/admin/policy?saved=1*")
    assert "已保存 1 项参数" in admin.locator(".flash.ok").inner_text()
    assert "已修改" in admin.locator("tr[data-param=profile_max_chars]").inner_text()
    admin.evaluate("window.scrollTo(0, 0)")
    admin.screenshot(path=str(shots / "policy.png"))
    admin.set_viewport_size({"width": 1366, "height": 900})
    admin.goto(f"{server}/admin/users")
    admin.screenshot(path=str(shots / "admin-users.png"), full_page=True)
    admin.goto(f"{server}/admin/calendar")
    assert admin.get_by_test_id("year-grid").is_visible()
    admin.screenshot(path=str(shots / "calendar.png"), full_page=True)

    _, phone = login("zhangwei", password=DEMO_PASSWORD, width=390, height=844, is_mobile=True)
    phone.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
