"""Browser: create a deal, move it across the board (and see a refusal), record progress, sign a
contract with two installments (the customer becomes closed), have the supervisor approve it on a
phone, record both payments and see the deal won and the analytics change. Screenshots go to
docs/screenshots/."""

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
    def _rep_with_three_customers(session: Session) -> None:
        sales = add_department(session, "销售一部", "sales")
        other = add_department(session, "总经办", "other")
        add_user(session, "admin", "管理员", ["admin"], other)
        sup = add_user(session, "sup1", "王主管", ["supervisor"], sales)
        rep = add_user(session, "zhangwei", "张伟", ["sales"], sales, sup)
        at = datetime(2026, 3, 1, 10, tzinfo=SH)
        companies = [
            ("上海晨光档案管理有限公司", "direct"),
            ("天津海河数据科技有限公司", "direct"),
            ("北京渠道通商贸有限公司", "distributor"),
        ]
        for n, (name, kind) in enumerate(companies, start=1):
            session.add(
                Customer(
                    code=f"ABC2026{n:03d}",
                    name=name,
                    name_key=name,
                    address="上海市徐汇区漕溪北路1号",
                    contact_name="陈主任",
                    phone=f"0216400{n:04d}",
                    customer_type=kind,
                    pool="private",
                    owner_id=rep,
                    protected_since=at,
                    pool_entered_at=at,
                    created_at=at,
                    updated_at=at,
                    tags=[],
                )
            )

    return _rep_with_three_customers


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"POOLCRM_TEST_CLOCK": "1"}


def test_deal_lifecycle_in_the_browser(
    server: str, login: Login, api: Callable[[str], httpx.Client], shots: Path
) -> None:
    admin = api("admin")
    assert admin.put("/admin/clock", json={"now": "2026-03-10T09:00:00+08:00"}).status_code == 200
    _, page = login("zhangwei", width=1440, height=900)

    page.goto(f"{server}/deals/analytics")
    assert page.get_by_test_id("kpi-won").inner_text().strip() == "0 / 0"

    # new deal: the default close date (tomorrow) is refused (DEAL-5), a real one is accepted
    page.goto(f"{server}/deals/new")
    form = page.get_by_test_id("deal-form")
    form.locator("select[name=customer_id]").select_option(label="上海晨光档案管理有限公司 · ABC2026001")
    form.locator("select[name=channel_customer_id]").select_option(label="北京渠道通商贸有限公司")
    form.locator("input[name=name]").fill("档案数字化扫描项目")
    form.locator("select[name=source]").select_option("展会")  # DEAL-11
    form.locator("select[name=comp_name]").select_option("富士通")  # DEAL-10
    form.locator("input[name=comp_strengths]").fill("本地服务团队")
    form.locator("select[name=intention]").select_option("扫描仪")
    form.locator("select[name=category]").select_option("short")
    form.locator("select[name=stage]").select_option("3")
    form.locator("input[name=expected_close_on]").fill("2026-03-11")
    form.locator("input[name=product_name]").fill("高速文档扫描仪")
    form.locator("input[name=product_model]").fill("FS-9120")
    form.locator("input[name=product_quantity]").fill("4")
    form.locator("input[name=product_unit_price]").fill("12800")
    for name, value in [
        ("purchase_reason", "档案室数字化"),
        ("purchase_form", "公开招标"),
        ("budget", "6万元"),
        ("requirements", "双面120页/分钟"),
        ("execution_time", "二季度"),
        ("competitors", "富士通"),
    ]:
        form.locator(f"textarea[name={name}]").fill(value)
    form.locator("button.primary").click()
    assert "DEAL-5" in page.locator(".flash.error").inner_text()
    page.get_by_test_id("deal-form").locator("input[name=expected_close_on]").fill("2026-05-20")
    page.get_by_test_id("deal-form").locator("button.primary").click()
    page.wait_for_url(f"{server}/deals/*")
    deal_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert "阶段 3" in page.get_by_test_id("deal-stage").inner_text()
    assert page.get_by_test_id("deal-source").inner_text().strip() == "展会"
    assert "本地服务团队" in page.get_by_test_id("deal-competitors").inner_text()

    # board: drag from stage 3 to stage 5; moving below the short floor is refused with the rule
    page.goto(f"{server}/deals/board")
    card = page.get_by_test_id(f"deal-{deal_id}")
    assert page.get_by_test_id("stage-3").get_by_test_id(f"deal-{deal_id}").count() == 1
    card.drag_to(page.get_by_test_id("stage-5"))
    page.get_by_test_id("stage-5").get_by_test_id(f"deal-{deal_id}").wait_for(timeout=5000)
    page.get_by_test_id(f"deal-{deal_id}").locator("select.move-stage").select_option("2")
    flash = page.locator("#board-flash")
    flash.wait_for(state="visible", timeout=5000)
    assert "DEAL-2" in flash.inner_text()
    assert page.get_by_test_id("stage-5").get_by_test_id(f"deal-{deal_id}").count() == 1
    page.screenshot(path=str(shots / "deals_board.png"), full_page=True)

    # progress: recorded, shown in the timeline
    page.goto(f"{server}/deals/{deal_id}")
    progress = page.get_by_test_id("progress-form")
    progress.locator("textarea[name=details]").fill(
        "上门拜访陈主任，演示样机，客户确认预算已批复，要求下周提交正式方案"
    )
    progress.locator("input[name=next_plan]").fill("提交正式方案和报价")
    progress.locator("button.primary").click()
    page.get_by_test_id("timeline").get_by_text("客户确认预算已批复").wait_for(timeout=5000)

    # sign (DEAL-8, CTR-1..3): lines from the deal, two installments; the deal is signed and the
    # customer closed at once, the supervisor approves, two payments make the deal won
    page.get_by_test_id("sign-contract").click()
    form = page.get_by_test_id("contract-form")
    assert form.locator("input[name=line_product_0]").input_value() == "高速文档扫描仪"
    form.locator("input[name=number]").fill("HT-2026-0310")
    form.locator("input[name=amount]").fill("50000")
    for i, (due, part) in enumerate([("2026-03-20", "20000"), ("2026-04-20", "20000")]):
        form.locator(f"input[name=inst_due_on_{i}]").fill(due)
        form.locator(f"input[name=inst_amount_{i}]").fill(part)
    form.locator("button.primary").click()
    assert "CTR-1" in page.get_by_test_id("form-error").inner_text()  # 40000 ≠ 50000
    assert "分期金额合计须等于合同金额" in page.content()
    page.get_by_test_id("contract-form").locator("input[name=inst_amount_1]").fill("30000")
    page.get_by_test_id("contract-form").locator("button.primary").click()
    page.wait_for_url(f"{server}/contracts/*")
    contract_url = page.url
    assert page.get_by_test_id("contract-status").inner_text().strip() == "待审批"
    assert page.get_by_test_id("approve-form").count() == 0  # nobody approves their own contract
    page.goto(f"{server}/deals/{deal_id}")
    assert page.get_by_test_id("deal-category").inner_text().strip() == "已签约"
    assert page.get_by_test_id("customer-status").inner_text().strip() == "成交"
    assert page.get_by_test_id("customer-status").get_attribute("data-status") == "closed"

    _, sup = login("sup1", width=390, height=844)
    sup.goto(contract_url)
    sup.get_by_test_id("approve-form").locator("button").click()
    sup.get_by_test_id("contract-status").get_by_text("执行中").wait_for(timeout=5000)
    sup.screenshot(path=str(shots / "contract_phone.png"), full_page=True)

    page.goto(contract_url)
    for part in ("20000", "30000"):
        pay = page.get_by_test_id("payment-form")
        pay.locator("input[name=amount]").fill(part)
        pay.locator("button.primary").click()
        page.get_by_test_id("payments").get_by_text(f"¥{int(part):,}.00").wait_for(timeout=5000)
        if part == "20000":
            assert page.get_by_test_id("outstanding").inner_text().strip() == "¥30,000.00"
    assert page.get_by_test_id("contract-status").inner_text().strip() == "已收款完毕"
    page.screenshot(path=str(shots / "contract_paid.png"), full_page=True)
    page.goto(f"{server}/deals/{deal_id}")
    assert page.get_by_test_id("deal-category").inner_text().strip() == "已成交"
    assert "¥0.00" in page.get_by_test_id("deal-contract").inner_text()

    # the charts change
    page.goto(f"{server}/deals/analytics")
    assert page.get_by_test_id("kpi-won").inner_text().strip() == "1 / 0"
    page.wait_for_selector("#chart-stage[data-ready='1'] canvas", timeout=5000)
    assert "100.0%" in page.get_by_test_id("win-loss-competitor").inner_text()  # 富士通: won 1 of 1
    page.screenshot(path=str(shots / "deals_analytics.png"), full_page=True)
    page.goto(f"{server}/contracts/analytics?year=2026")
    page.wait_for_selector("#chart-month[data-ready='1'] canvas", timeout=5000)
    assert "¥50,000.00" in page.get_by_test_id("month-table").inner_text()
    page.screenshot(path=str(shots / "contracts_analytics.png"), full_page=True)
