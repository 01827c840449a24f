"""Browser: every list page on a 390×844 phone over the demo company (issue 16, "Phone first"). Each
page, opened by a user who has its primary action: nothing is wider than the screen, the primary
action lies on screen without horizontal scrolling, and no company name is squeezed into a column a
character or two wide (the lists become cards: the shared `mcards` style). Also the login header
on one line, and the ownership-history fragment laid out for a phone (viewport meta)."""

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
PHONE = 390
MIN_NAME_WIDTH = 60  # px: about four Chinese characters at 14 px

# (user, path, primary action, company-name element or None when the list shows no company)
LISTS: list[tuple[str, str, str, str | None]] = [
    (
        "zhangwei",
        "/customers",
        "a.btn.primary[href='/customers/new']",
        "[data-testid=customer-list] td.cname a",
    ),
    ("zhangwei", "/pools/mine", "[data-testid=my-pool] td.actions a.btn", "[data-testid=my-pool] td.cname a"),
    ("zhangwei", "/pools/mine", "[data-testid=my-pool] td.actions summary", None),
    (
        "zhangwei",
        "/pools/public",
        "[data-testid=public-pool] .claim-form button",
        "[data-testid=public-pool] td.cname a",
    ),
    ("zhangwei", "/pools/public", "[data-testid=bulk-claim]", None),
    ("gm", "/allocation", "[data-testid=bin] select[name^=to_]", "[data-testid=bin] td.cname"),
    ("cs1", "/applications", "button[data-testid^=approve-]", ".inbox-head strong a"),
    ("zhangwei", "/deals", "a[href='/deals/new']", "[data-testid=deal-list] td.cname"),
    ("zhangwei", "/deals/board", ".deal-card select.move-stage", ".deal-card .meta"),
    ("manager", "/contracts", "[data-testid=contract-list] td a", "[data-testid=contract-list] td.cname"),
    ("manager", "/contracts/special-prices", "[data-testid=special-prices] tbody tr", None),
    ("svc1", "/tickets", "[data-testid=new-ticket]", "[data-testid=ticket-list] td.cname"),
    ("svc1", "/tickets/review", "[data-testid=review-list] td a", "[data-testid=review-list] td.cname"),
    ("svc1", "/tickets/ratings", "[data-testid=ratings] td a", "[data-testid=ratings] td.cname"),
    ("manager", "/violations/assessments", "[data-testid=assessments] tbody tr", None),
    (
        "cs1",
        "/violations/spot-checks",
        "[data-testid=spot-checks] button[value=fake]",
        "[data-testid=spot-checks] td.cname a",
    ),
    ("gm", "/disputes?status=", "[data-testid=open-dispute]", "[data-testid=disputes] td.cname"),
    ("manager", "/violations", "form[action='/violations'] button.primary", None),
    ("admin", "/duty", "form[action='/duty/override'] button.primary", None),
    ("cs1", "/inbound", "[data-testid=inbound-submit]", "[data-testid=inbound-log] td.cname"),
    ("zhangwei", "/work/reports", "[data-testid=report-form] button.primary", None),
    ("zhangwei", "/work/trips", "[data-testid=trip-form] button.primary", None),
    ("zhangwei", "/work/expenses", "[data-testid=expense-form] button.primary", None),
    ("manager", "/work/team", "[data-testid=activity] tbody tr", None),
    ("admin", "/admin/audit", "[data-testid=audit-filters] button", None),
    ("zhangwei", "/notifications", "[data-testid=read-all]", None),
    ("manager", "/quality", "[data-testid=quality-table] td a", None),
    (
        "manager",
        "/quality/list?check=unverified",
        "[data-testid=fix]",
        "[data-testid=quality-list] td:first-child a",
    ),
    ("zhangwei", "/verification", "[data-testid=verified]", "[data-testid=verify-list] td:first-child a"),
    ("manager", "/exports", "[data-testid=export-requests]", None),
    ("admin", "/admin/users", "[data-testid=new-user]", None),
    ("admin", "/admin/deliveries", "[data-testid=delivery-log] tbody tr", None),
    # the analytics tables: a win-rate row and a rep's scorecard are cards, their names whole
    (
        "gm",
        "/deals/analytics",
        "[data-testid=win-loss-source] tbody tr",
        "[data-testid=win-loss-source] td:first-child",
    ),
    ("gm", "/deals/analytics", "[data-testid=scorecard] tbody tr", "[data-testid=scorecard] td:first-child"),
]

# pages whose English labels are longer than the Chinese (a card's label, a table's headings)
ENGLISH: list[tuple[str, str, str]] = [
    ("manager", "/quality", "[data-testid=quality-table] td a"),
    ("admin", "/admin/departments", "[data-testid=dept-tree] tbody tr"),
    ("zhangwei", "/customers", "a.btn.primary[href='/customers/new']"),
    ("svc1", "/tickets/review", "[data-testid=review-list] td a"),
]

MEASURE = """([action, name]) => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.right, r.width]; };
  const act = document.querySelector(action);
  return {
    scroll: document.documentElement.scrollWidth,
    action: act ? box(act) : null,
    names: name ? [...document.querySelectorAll(name)].slice(0, 20)
      .map((el) => [el.innerText.trim().slice(0, 20), el.getBoundingClientRect().width]) : [],
  };
}"""


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _demo_company(session: Session) -> None:
        add_user(session, "admin", "系统管理员", ["admin"], None)
        populate_demo(session)

    return _demo_company


def _phone(login: Login, username: str) -> Any:
    password = PASSWORD if username == "admin" else DEMO_PASSWORD
    _, page = login(username, password=password, width=PHONE, height=844, is_mobile=True)
    return page


@pytest.mark.parametrize(
    ("username", "path", "action", "name"), LISTS, ids=[f"{p}:{a[:24]}" for _, p, a, _ in LISTS]
)
def test_list_page_fits_a_phone_with_its_action_on_screen(
    server: str, login: Login, username: str, path: str, action: str, name: str | None
) -> None:
    page = _phone(login, username)
    response = page.goto(f"{server}{path}")
    assert response is not None and response.status == 200, path
    found = page.evaluate(MEASURE, [action, name])
    assert found["scroll"] <= PHONE, f"{path} is {found['scroll']} px wide"
    assert found["action"] is not None, f"{path}: no {action}"
    left, right, _ = found["action"]
    assert left >= 0 and right <= PHONE, f"{path}: {action} lies at {left:.0f}..{right:.0f}"
    if name is not None:
        assert found["names"], f"{path}: no company name ({name})"
        narrow = [(text, width) for text, width in found["names"] if width < MIN_NAME_WIDTH]
        assert not narrow, f"{path}: company names squeezed: {narrow}"


def test_login_header_stays_on_one_line_on_a_phone(browser: Any, server: str) -> None:
    ctx = browser.new_context(viewport={"width": PHONE, "height": 844}, is_mobile=True, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(f"{server}/login")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        brand, userbox = (
            page.locator(selector).evaluate("el => el.getBoundingClientRect().top + el.offsetHeight / 2")
            for selector in (".topbar .brand", ".topbar .userbox")
        )
        assert abs(brand - userbox) < 8, (
            f"the header wraps: brand at {brand:.0f} px, language link at {userbox:.0f} px"
        )
    finally:
        ctx.close()


def test_ownership_history_is_laid_out_for_a_phone(server: str, login: Login) -> None:
    page = _phone(login, "zhangwei")
    page.goto(f"{server}/pools/mine")
    href = page.locator("[data-testid=my-pool] td.cname a").first.get_attribute("href")
    page.goto(f"{server}/pools{href}/history")
    assert page.locator("meta[name=viewport]").count() == 1
    assert page.evaluate("window.innerWidth") == PHONE
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_phone_screenshots_of_the_lists(server: str, login: Login, shots: Path) -> None:
    pages = {
        "zhangwei": ["/pools/mine", "/pools/public", "/deals"],
        "gm": ["/allocation"],
        "svc1": ["/tickets"],
    }
    for username, paths in pages.items():
        page = _phone(login, username)
        for path in paths:
            page.goto(f"{server}{path}")
            page.screenshot(path=str(shots / f"phone-{path.strip('/').replace('/', '-')}.png"))


@pytest.mark.parametrize(("username", "path", "action"), ENGLISH, ids=[p for _, p, _ in ENGLISH])
def test_english_page_fits_a_phone(server: str, login: Login, username: str, path: str, action: str) -> None:
    password = PASSWORD if username == "admin" else DEMO_PASSWORD
    ctx, page = login(username, password=password, width=PHONE, height=844, is_mobile=True)
    ctx.add_cookies([{"name": "poolcrm_lang", "value": "en", "url": server}])
    response = page.goto(f"{server}{path}")
    assert response is not None and response.status == 200, path
    assert page.locator("html").get_attribute("lang") == "en"
    found = page.evaluate(MEASURE, [action, None])
    assert found["scroll"] <= PHONE, f"{path} is {found['scroll']} px wide in English"
    assert found["action"] is not None, f"{path}: no {action}"


def test_contract_order_lines_fit_a_phone(server: str, login: Login) -> None:
    """CTR-2's order lines on a phone: each line a card of inputs a finger can use (they were 24 px
    wide: one character of a model or a price showed)."""
    page = _phone(login, "zhangwei")
    page.goto(f"{server}/deals?state=open")
    for href in page.eval_on_selector_all(
        "[data-testid=deal-list] a[href^='/deals/']", "els => els.map(e => e.href)"
    ):
        page.goto(href)
        sign = page.locator("a[href^='/contracts/new']")
        if sign.count():
            page.goto(f"{server}{sign.first.get_attribute('href')}")
            break
    else:
        pytest.fail("no open deal of zhangwei's offers a contract")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    widths = page.eval_on_selector_all(
        "[data-testid=line-rows] input, [data-testid=installment-rows] input",
        "els => els.map(e => e.getBoundingClientRect().width)",
    )
    assert widths and min(widths) >= PHONE / 2, widths
