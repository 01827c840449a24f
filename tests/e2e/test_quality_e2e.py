"""Browser: a supervisor opens the data-quality dashboard (GOV-4), drills into "fields a grade needs
are missing", fixes the record from the row's action and sees the list empty; the rep verifies a
customer's contacts in one tap on a phone (GOV-5); a big export is asked for and approved
(ORG-5a). Desktop and phone screenshots go to docs/screenshots/."""

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
FULL = {
    "postal_code": "310000",
    "industry": "制造业",
    "source": "展会推广",
    "profile": "档案扫描设备",
    "contact_position": "主任",
    "mobile": "+8613900000001",
}


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _team(session: Session) -> None:
        sales = add_department(session, "销售一部", "sales")
        other = add_department(session, "总经办", "other")
        add_user(session, "admin", "管理员", ["admin"], other)
        sup = add_user(session, "sup1", "王主管", ["supervisor"], sales)
        rep = add_user(session, "zhangwei", "张伟", ["sales"], sales, sup)
        at = datetime(2026, 12, 2, 10, tzinfo=SH)
        for n, (name, region) in enumerate(
            [
                ("杭州西湖数据科技有限公司", None),
                ("宁波港城物流有限公司", "华东"),
                ("温州瓯江电器有限公司", "华东"),
            ],
            1,
        ):
            session.add(
                Customer(
                    code=f"ABC202600{n}",
                    name=name,
                    name_key=name.removesuffix("有限公司"),
                    address="浙江省某市某路1号",
                    contact_name="陈主任",
                    phone=f"+86571880000{n:02d}",
                    customer_type="direct",
                    region=region,
                    pool="private",
                    owner_id=rep,
                    protected_since=at,
                    pool_entered_at=at,
                    last_valid_followup_at=at,
                    created_at=at,
                    updated_at=at,
                    tags=[],
                    **FULL,
                )
            )

    return _team


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"POOLCRM_TEST_CLOCK": "1"}


def test_quality_dashboard_drill_fix_verify_and_export(
    server: str, login: Login, api: Callable[[str], httpx.Client], shots: Path
) -> None:
    admin = api("admin")
    assert admin.put("/admin/clock", json={"now": "2026-12-03T10:00:00+08:00"}).status_code == 200
    assert admin.patch("/policy", json={"export_approval_rows": 2}).status_code == 200
    _, page = login("sup1", width=1440, height=900)

    # GOV-4: the figure, its list, the fix on the row
    page.goto(f"{server}/quality")
    figure = page.get_by_test_id("figure-grade_fields")
    assert figure.locator(".num").inner_text() == "1"
    page.screenshot(path=str(shots / "quality_dashboard.png"), full_page=True)
    figure.click()
    page.wait_for_url(f"{server}/quality/list?check=grade_fields")
    rows = page.get_by_test_id("quality-row")
    assert rows.count() == 1 and "杭州西湖数据科技有限公司" in rows.first.inner_text()
    rows.first.get_by_test_id("fix").click()
    page.wait_for_url(f"{server}/customers/*/edit")
    page.fill("input[name=region]", "华东")
    page.click(".form-actions button.primary")
    page.wait_for_url(f"{server}/customers/*")
    page.goto(f"{server}/quality/list?check=grade_fields")
    assert page.get_by_test_id("quality-row").count() == 0

    # GOV-5: the rep verifies one customer in one tap on a phone
    _, phone = login("zhangwei", width=390, height=844)
    phone.goto(f"{server}/verification")
    assert phone.get_by_test_id("verify-row").count() == 3
    first = phone.get_by_test_id("verify-row").first.get_by_test_id("verified")
    box = first.bounding_box()
    assert (
        box is not None and box["x"] + box["width"] <= 390
    )  # the action is reachable without scrolling sideways
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392
    phone.screenshot(path=str(shots / "quality_verification_phone.png"), full_page=True)
    first.click()
    phone.wait_for_url(f"{server}/verification?done=1")
    assert phone.get_by_test_id("verify-row").count() == 2
    assert "1 / 3" in phone.get_by_test_id("verify-progress").inner_text()

    # ORG-5a: the rep's export of 3 rows is held for approval; the supervisor approves it
    phone.goto(f"{server}/customers/export.xlsx?pool=private")
    phone.get_by_test_id("export-new").wait_for()
    phone.fill("textarea[name=reason]", "年底客户回访名单")
    phone.get_by_test_id("export-request").click()
    phone.wait_for_url(f"{server}/exports")
    page.goto(f"{server}/exports")
    page.get_by_test_id("export-approve").click()
    page.wait_for_url(f"{server}/exports")
    phone.goto(f"{server}/exports")
    assert phone.get_by_test_id("export-download").count() == 1
    phone.screenshot(path=str(shots / "quality_exports_phone.png"), full_page=True)
    with phone.expect_download() as download:
        phone.get_by_test_id("export-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    _, small = login("sup1", width=390, height=844)
    small.goto(f"{server}/quality")
    assert small.evaluate("document.documentElement.scrollWidth") <= 392
    small.screenshot(path=str(shots / "quality_dashboard_phone.png"), full_page=True)
