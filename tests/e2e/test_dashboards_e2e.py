"""Browser (GOV-6): the dashboard of each role over the demo company — a rep, a supervisor, CS, the
GM and the admin — on a desktop (1280) and a phone (390×844): each role's cards are there, the page
never scrolls sideways, and the screenshots docs/screenshots/dashboard-<role>(-phone).png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from poolcrm.demo import DEMO_PASSWORD, populate_demo
from tests.e2e.harness import PASSWORD, add_user

pytestmark = pytest.mark.e2e
Login = Callable[..., tuple[Any, Any]]
VIEWPORTS = ((1280, 860, ""), (390, 844, "-phone"))
ROLES = (
    ("rep", "zhangwei", ["pool-usage", "widget-due", "deals-widget"], ["widget-team", "widget-cs"]),
    (
        "supervisor",
        "sup1",
        ["widget-team", "widget-team-deals", "widget-team-waiting"],
        ["widget-funnel", "widget-cs", "widget-daily-job"],
    ),
    ("cs", "cs1", ["widget-cs", "widget-duty"], ["pool-usage", "widget-team-deals", "widget-funnel"]),
    (
        "gm",
        "gm",
        ["widget-funnel", "widget-pool-health", "widget-rulings"],
        ["pool-usage", "widget-team-deals", "widget-cs", "widget-daily-job"],
    ),
    (
        "admin",
        "admin",
        ["widget-daily-job", "backups-widget"],
        ["pool-usage", "widget-duty", "contracts-widget", "widget-funnel", "widget-cs"],
    ),
)


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _demo_company(session: Session) -> None:
        add_user(session, "admin", "系统管理员", ["admin"], None)
        populate_demo(session)

    return _demo_company


@pytest.mark.parametrize(("role", "username", "present", "absent"), ROLES, ids=[r[0] for r in ROLES])
def test_gov6_dashboard_of_each_role_on_desktop_and_phone(
    server: str, login: Login, shots: Path, role: str, username: str, present: list[str], absent: list[str]
) -> None:
    if role == "admin":  # the admin's card shows the daily job's real last run (JOB-1)
        token = httpx.post(f"{server}/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert httpx.post(f"{server}/api/v1/jobs/run-daily", headers=headers, timeout=120).status_code == 200
    password = PASSWORD if username == "admin" else DEMO_PASSWORD
    for width, height, suffix in VIEWPORTS:
        ctx, page = login(username, password=password, width=width, height=height)
        for testid in present:
            assert page.get_by_test_id(testid).first.is_visible(), (role, suffix, testid)
        for testid in absent:
            assert page.get_by_test_id(testid).count() == 0, (role, suffix, testid)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (role, suffix, scroll)
        page.screenshot(path=str(shots / f"dashboard-{role}{suffix}.png"), full_page=True)
        ctx.close()
