"""Browser: each role's working day over the demo company, on a desktop and on a 390 px phone
(issue 16) — the rep from the recycle warning to a follow-up written on the customer page and a
claim from the public pool; the supervisor from his team card to a rep's customer and a release
request to decide; CS through the inbox; the GM and the admin through their pages. Every page
fits the screen, its main action is within reach, times read in the company's zone, and no
English value, raw E.164 phone or rule ID as headline leaks into the Chinese pages.
Screenshots of the customer page go to docs/screenshots/ (refreshed with POOLCRM_REFRESH_SHOTS=1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from poolcrm.demo import DEMO_PASSWORD, populate_demo
from tests.e2e.harness import PASSWORD, add_user

pytestmark = pytest.mark.e2e
Login = Callable[..., tuple[Any, Any]]
SCREENS = {
    "desktop": {"width": 1280, "height": 860},
    "phone": {"width": 390, "height": 844, "is_mobile": True},
}
LEAKS = re.compile(
    r"\b(release|recycle|intent|potential|customer\.move|None|null|undefined|True|False)\b|\+86\d"
)
CUSTOMER_LINK = "a[href^='/customers/']:not([href$='/followups'])"  # a customer's page, by its name
VALID_TEXT = "A 王经理采购部经理 B 回访扫描仪试用情况 C 对双面扫描很满意，准备申请预算 D 下周二提交报价单"


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _demo_company(session: Session) -> None:
        add_user(session, "admin", "系统管理员", ["admin"], None)
        populate_demo(session)

    return _demo_company


def _day(login: Login, who: str, screen: str) -> Any:
    password = PASSWORD if who == "admin" else DEMO_PASSWORD
    _, page = login(who, password=password, **SCREENS[screen])
    return page


def _readable(page: Any, screen: str) -> str:
    """The page fits its screen and speaks Chinese; returns its text."""
    width = SCREENS[screen]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    text = page.locator("main, body").first.inner_text()
    assert not LEAKS.search(text), (page.url, LEAKS.search(text))
    return text


def _within_reach(page: Any, locator: Any, screen: str) -> None:
    """The main action is on screen horizontally (a thumb reaches it without scrolling sideways)."""
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= SCREENS[screen]["width"], box


def _beijing_today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_rep_day_from_the_recycle_warning_to_a_follow_up_and_a_claim(
    server: str, login: Login, shots: Path, screen: str
) -> None:
    page = _day(login, "zhangwei", screen)
    _readable(page, screen)
    due = page.get_by_test_id("widget-due").locator("a[href^='/customers/']").first
    name = due.inner_text()
    due.click()
    page.wait_for_load_state()
    header = page.get_by_test_id("customer-header")
    assert name in header.inner_text() and "张伟" in page.get_by_test_id("fact-owner").inner_text()
    assert "回收" in page.get_by_test_id("fact-countdown").inner_text()  # POOL-16 in the header
    tabs = page.get_by_test_id("customer-tabs").inner_text()
    for tab in ("跟进记录", "联系人", "服务工单", "客户资料", "归属历史", "修改记录"):
        assert tab in tabs
    _readable(page, screen)
    write = page.get_by_test_id("action-followup")
    _within_reach(page, write, screen)
    assert page.get_by_test_id("action-release").is_visible()  # the owner may give it up (POOL-5)
    assert page.get_by_test_id("action-claim").count() == 0

    write.click()
    form = page.locator("#followups form.fu-form")
    form.locator("select[name=subject]").select_option("致电")
    form.locator("textarea[name=content]").fill(VALID_TEXT)
    form.locator("button.primary").click()
    result = page.get_by_test_id("fu-result")
    result.wait_for()
    assert "记录有效" in result.inner_text()  # FU-1, written in place (htmx), the page kept
    first = page.get_by_test_id("followup-list").locator("tbody tr").first.inner_text()
    assert _beijing_today() in first and "王经理采购部经理" in first  # CAL-2: the company's date
    page.reload()
    assert "今日回收" not in page.get_by_test_id("fact-countdown").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    suffix = "-phone" if screen == "phone" else ""
    page.screenshot(path=str(shots / f"customer-page{suffix}.png"), full_page=True)

    page.goto(f"{server}/pools/public")
    _readable(page, screen)
    page.get_by_test_id("public-pool").locator("a[href^='/customers/']").nth(
        0 if screen == "desktop" else 1
    ).click()
    page.wait_for_load_state()
    claim = page.get_by_test_id("action-claim")
    _within_reach(page, claim, screen)
    assert page.get_by_test_id("action-followup").count() == 0  # not his yet (FU-3)
    claim.click()
    assert "已申请" in page.get_by_test_id("claim-result").inner_text()
    page.reload()
    assert page.get_by_test_id("action-claim-pending").is_visible()  # POOL-4: not offered twice


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_supervisor_day_team_card_to_a_reps_customer_and_a_release_to_decide(
    server: str, login: Login, screen: str
) -> None:
    page = _day(login, "sup1", screen)
    _readable(page, screen)
    team = page.get_by_test_id("widget-team")
    assert "张伟" in team.inner_text() and "李娜" in team.inner_text()  # GOV-6: his reps, not a rep's card
    team.get_by_test_id("team-rep").first.locator("a").click()  # the rep's pool, as his supervisor
    page.wait_for_load_state()
    _readable(page, screen)
    page.locator(CUSTOMER_LINK).first.click()
    page.wait_for_load_state()
    owner = page.get_by_test_id("fact-owner").inner_text()
    assert owner in ("张伟", "李娜")
    _readable(page, screen)
    _within_reach(page, page.get_by_test_id("action-followup"), screen)  # FU-3: a manager may write
    assert page.get_by_test_id("action-release").count() == 0  # POOL-5: only the owner gives up

    # the rep asks to give up a customer; the request waits for this supervisor (POOL-5)
    _, rep_page = login("zhangwei", password=DEMO_PASSWORD, **SCREENS[screen])
    rep_page.goto(f"{server}/pools/mine")
    rep_page.locator(f"tr:not(:has([data-testid=release-pending])) {CUSTOMER_LINK}").last.click()
    rep_page.wait_for_load_state()
    customer = rep_page.locator("h1.page-title").inner_text().split("\n")[0].strip()
    rep_page.get_by_test_id("action-release").click()
    rep_page.locator("details.action-reason[open] input[name=reason]").fill("客户已搬迁到外地，无法继续跟进")
    rep_page.get_by_test_id("action-release-confirm").click()
    rep_page.wait_for_load_state()
    rep_page.goto(rep_page.url if "/customers/" in rep_page.url else f"{server}/pools/mine")

    page.goto(f"{server}/applications")
    text = _readable(page, screen)
    assert "放弃保护" in text
    card = page.locator("article.inbox-item", has_text=customer.split(" ")[0]).first
    approve = card.locator("button.primary")
    _within_reach(page, approve, screen)
    approve.click()
    page.wait_for_load_state()
    assert page.locator(".flash.error").count() == 0


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_cs_day_the_inbox_with_formatted_phones_and_a_customer_page(
    server: str, login: Login, screen: str
) -> None:
    page = _day(login, "cs1", screen)
    text = _readable(page, screen)
    assert "我的私海" not in text  # GOV-6: CS holds no pool
    page.goto(f"{server}/applications")
    _readable(page, screen)
    first = page.locator("article.inbox-item").first
    _within_reach(page, first.locator("button.primary"), screen)
    first.locator("a[href^='/customers/']").first.click()
    page.wait_for_load_state()
    _readable(page, screen)
    assert page.get_by_test_id("action-followup").count() == 0  # CS does not write a rep's follow-ups
    assert page.get_by_test_id("action-release").count() == 0


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_gm_day_dashboard_deals_disputes_and_a_customer(server: str, login: Login, screen: str) -> None:
    page = _day(login, "gm", screen)
    assert "我的私海" not in _readable(page, screen)
    for path in ("/deals", "/deals/board", "/disputes", "/violations", "/customers"):
        page.goto(f"{server}{path}")
        _readable(page, screen)
    page.locator(f"main table {CUSTOMER_LINK}").nth(2).click()
    page.wait_for_load_state()
    _readable(page, screen)
    assert page.get_by_test_id("customer-header").is_visible()


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_admin_day_dashboard_audit_in_words_and_policy(server: str, login: Login, screen: str) -> None:
    page = _day(login, "admin", screen)
    _readable(page, screen)
    page.goto(f"{server}/admin/audit")
    _readable(page, screen)
    page.locator("select[name=action]").select_option(label="移动了")  # the filter speaks words too
    page.locator("[data-testid=audit-filters] button").first.click()
    page.wait_for_load_state()
    sentence = page.get_by_test_id("audit-sentence").first.inner_text()
    assert " 把 客户 " in sentence and " 移到 " in sentence, sentence  # GOV-1: the audit speaks people
    page.goto(f"{server}/admin/policy")
    _readable(page, screen)
