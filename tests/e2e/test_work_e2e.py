"""Browser: a rep files a weekly report, plans a trip the supervisor approves, writes a follow-up on
it and reports the trip, then submits an expense that is refused for a missing link, links the
customer, and has it approved. Desktop and phone screenshots go to docs/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from tests.e2e.harness import add_department, add_user

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
Login = Callable[..., tuple[Any, Any]]


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _team(session: Session) -> None:
        sales = add_department(session, "销售一部", "sales")
        other = add_department(session, "总经办", "other")
        add_user(session, "admin", "管理员", ["admin"], other)
        sup = add_user(session, "sup1", "王主管", ["supervisor"], sales)
        rep = add_user(session, "zhangwei", "张伟", ["sales"], sales, sup)
        at = datetime(2026, 12, 1, 10, tzinfo=SH)
        session.add(
            Customer(
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
        )

    return _team


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"POOLCRM_TEST_CLOCK": "1"}


def test_work_records_in_the_browser(
    server: str, login: Login, api: Callable[[str], httpx.Client], shots: Path, tmp_path: Path
) -> None:
    admin = api("admin")
    assert admin.put("/admin/clock", json={"now": "2026-12-08T09:00:00+08:00"}).status_code == 200
    _, page = login("zhangwei", width=1440, height=900)

    # WORK-1: the weekly report of last week, with the template as its attachment
    page.goto(f"{server}/work/reports")
    form = page.get_by_test_id("report-form")
    assert form.locator("input[name=period]").input_value() == "2026-W49"
    docx = tmp_path / "周报.docx"
    docx.write_bytes(page.request.get(f"{server}/api/v1/reports/templates/annual").body())
    form.locator("input[name=file]").set_input_files(str(docx))
    form.locator("button.primary").click()
    page.wait_for_url(f"{server}/work/reports/*")
    assert "26年第49周工作周报—张伟" in page.locator("h1").inner_text()

    # WORK-2: a trip plan; the supervisor approves it on a phone
    page.goto(f"{server}/work/trips")
    trip = page.get_by_test_id("trip-form")
    trip.locator("input[name=region]").fill("华东")
    trip.locator("input[name=start_on]").fill("2026-12-08")
    trip.locator("input[name=end_on]").fill("2026-12-09")
    trip.locator("select[name=customer_ids]").select_option(label="杭州西湖数据科技有限公司")
    trip.locator("textarea[name=purpose]").fill("拜访杭州西湖数据，推进档案数字化项目")
    trip.locator("button.primary").click()
    page.wait_for_url(f"{server}/work/trips/*")
    trip_url = page.url
    assert "2026年12月08日-华东-出差计划—张伟" in page.locator("h1").inner_text()
    _, sup = login("sup1", width=390, height=844)
    sup.goto(trip_url)
    sup.get_by_test_id("trip-approve").locator("button").click()
    sup.get_by_test_id("trip-status").get_by_text("已批准").wait_for(timeout=5000)

    # a follow-up written on the trip, then the trip report
    customer_id = 1
    page.goto(f"{server}/customers/{customer_id}")
    rep_api = api("zhangwei")
    followup = rep_api.post(
        f"/customers/{customer_id}/followups",
        json={"subject": "去访", "content": "上门拜访陈主任，演示档案扫描方案，客户确认本月内走采购流程"},
    )
    assert followup.status_code == 201 and followup.json()["valid"] is True
    assert admin.put("/admin/clock", json={"now": "2026-12-08T18:00:00+08:00"}).status_code == 200
    page.goto(trip_url)
    report = page.get_by_test_id("trip-report-form")
    report.locator("input[name=started_at]").fill("2026-12-08T08:00")
    report.locator("input[name=ended_at]").fill("2026-12-08T17:30")
    for name, value in (
        ("purpose", "推进档案数字化项目"),
        ("result", "客户确认本月采购"),
        ("next_plan", "下周提交合同"),
    ):
        report.locator(f"textarea[name={name}]").fill(value)
    report.locator("button.primary").click()
    assert page.get_by_test_id("trip-status").inner_text().strip() == "已报告"
    assert "演示档案扫描方案" in page.get_by_test_id("trip-followups").inner_text()  # written on the trip
    page.screenshot(path=str(shots / "work_trip.png"), full_page=True)

    # WORK-3: an expense without a link is refused at submit; a linked one goes through
    page.goto(f"{server}/work/expenses")
    exp = page.get_by_test_id("expense-form")
    exp.locator("input[name=amount]").fill("268")
    exp.locator("textarea[name=description]").fill("杭州往返高铁")
    exp.locator("button.primary").click()
    page.wait_for_url(f"{server}/work/expenses/*")
    receipt = tmp_path / "发票.pdf"
    receipt.write_bytes(b"%PDF-1.4\n" + b"0" * 800)
    page.get_by_test_id("receipt-form").locator("input[name=file]").set_input_files(str(receipt))
    page.get_by_test_id("receipt-form").locator("button").click()
    page.get_by_test_id("submit-form").locator("button").click()
    assert "WORK-3" in page.get_by_test_id("flash").inner_text()
    page.goto(f"{server}/work/expenses")
    exp = page.get_by_test_id("expense-form")
    exp.locator("input[name=amount]").fill("268")
    exp.locator("select[name=trip_id]").select_option(index=1)
    exp.locator("textarea[name=description]").fill("杭州往返高铁（出差）")
    exp.locator("button.primary").click()
    page.wait_for_url(f"{server}/work/expenses/*")
    expense_url = page.url
    page.get_by_test_id("receipt-form").locator("input[name=file]").set_input_files(str(receipt))
    page.get_by_test_id("receipt-form").locator("button").click()
    page.get_by_test_id("submit-form").locator("button").click()
    assert page.get_by_test_id("expense-status").inner_text().strip() == "待审批"
    sup.goto(expense_url)
    sup.get_by_test_id("approve-form").locator("button").click()
    sup.get_by_test_id("expense-status").get_by_text("已批准").wait_for(timeout=5000)
    sup.screenshot(path=str(shots / "work_expense_phone.png"), full_page=True)
    sup.goto(f"{server}/work/team")
    sup.screenshot(path=str(shots / "work_team_phone.png"), full_page=True)
    page.goto(f"{server}/work/team")
    page.screenshot(path=str(shots / "work_team.png"), full_page=True)
