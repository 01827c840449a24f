"""Browser: customer service handles three inbound calls — a customer in a rep's private pool, a
public customer and an unknown company — and sees the three outcomes (IN-1, IN-2); the duty rep
finds the public customer in their pool and the prefilled registration for the unknown one."""

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
Login = Callable[..., tuple[Any, Any]]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _company(session: Session) -> None:
        other = add_department(session, "总经办", "other")
        sales = add_department(session, "销售一部", "sales")
        cs = add_department(session, "客服部", "cs")
        add_user(session, "admin", "管理员", ["admin"], other)
        gm = add_user(session, "gm", "刘总", ["gm"], other)
        sup = add_user(session, "sup1", "王主管", ["supervisor"], sales, gm)
        zhang = add_user(session, "zhangwei", "张伟", ["sales"], sales, sup)
        add_user(session, "lina", "李娜", ["sales"], sales, sup)
        add_user(session, "cs1", "郑客服", ["cs"], cs)
        at = datetime(2026, 10, 8, 10, tzinfo=SH)
        for n, (name, pool, owner) in enumerate(
            [("北京友好创达科技有限公司", "private", zhang), ("天津海河数据科技有限公司", "public", None)],
            start=1,
        ):
            c = Customer(
                code=f"ABC2026{n:03d}",
                name=name,
                name_key=names.name_key(name),
                address="北京市海淀区中关村大街1号",
                contact_name="王经理",
                phone=f"+86106234{n:04d}",
                pool=pool,
                owner_id=owner,
                protected_since=at if owner else None,
                pool_entered_at=at,
                created_at=at,
                updated_at=at,
                tags=[],
            )
            session.add(c)
            session.flush()
            dedupe.index_customer(session, c.id, c.name)

    return _company


def _call(page: Any, company: str, need: str, trial: bool = False) -> Any:
    form = page.get_by_test_id("inbound-form")
    if trial:
        form.locator("input[name=kind][value=trial]").check()
    form.locator("input[name=company]").fill(company)
    form.locator("textarea[name=need]").fill(need)
    form.get_by_test_id("inbound-submit").click()
    result = page.get_by_test_id("inbound-result")
    result.wait_for()
    return result


def test_in1_in2_cs_handles_owned_public_and_unknown_callers(
    server: str, login: Login, shots: Path, api: Callable[[str], Any]
) -> None:
    _, page = login("cs1")
    page.locator(".mainnav").get_by_text("来电").click()
    page.wait_for_url(f"{server}/inbound")

    owned = _call(page, "北京友好创达科技有限公司", "扫描仪维保续费")
    assert owned.get_attribute("data-outcome") == "owner_notified"
    assert "IN-1" in owned.inner_text() and "张伟" in owned.inner_text() and "已通知" in owned.inner_text()

    public = _call(page, "天津海河数据科技有限公司", "申请试用存储系统", trial=True)
    assert public.get_attribute("data-outcome") == "assigned_to_duty"
    text = public.inner_text()
    assert "IN-2" in text and "公海" in text and "值班销售" in text
    duty_rep = "张伟" if "张伟 的私海" in text else "李娜"

    unknown = _call(page, "广州珠江办公设备有限公司", "打印机集中采购询价")
    assert unknown.get_attribute("data-outcome") == "new_for_duty"
    assert "系统中没有 广州珠江办公设备有限公司" in unknown.inner_text()
    assert unknown.get_by_text("预填的新客户登记").is_visible()
    log = page.get_by_test_id("inbound-log")
    assert log.locator("tr[data-outcome]").count() == 3
    page.screenshot(path=str(shots / "inbound.png"), full_page=True)

    rep = api("zhangwei" if duty_rep == "张伟" else "lina")
    mine = rep.get("/customers", params={"pool": "mine"}).json()["items"]
    assert "天津海河数据科技有限公司" in [c["name"] for c in mine]

    second_rep = "lina" if duty_rep == "张伟" else "zhangwei"
    _, rep_page = login(second_rep)
    link = unknown.get_by_text("预填的新客户登记").get_attribute("href")
    rep_page.goto(f"{server}{link}")
    assert rep_page.locator("input[name=name]").input_value() == "广州珠江办公设备有限公司"
