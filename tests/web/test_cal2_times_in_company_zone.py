"""CAL-2: every time a person reads is in the company's zone. Just after midnight in Beijing the
UTC date is still yesterday: the customer page, the customer list, 我的私海, the public pool and the
dashboard must show today's date for what happened a minute ago, never the UTC one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from poolcrm import clock
from poolcrm.customers.models import Customer
from tests.deals.conftest import make_customer, team  # noqa: F401  (shared fixtures)
from tests.web.helpers import HTML, page_login

AFTER_MIDNIGHT = datetime(2026, 12, 3, 0, 20, tzinfo=ZoneInfo("Asia/Shanghai"))  # 2026-12-02 16:20 UTC


@pytest.fixture(autouse=True)
def _just_after_midnight():
    clock.set_now(AFTER_MIDNIGHT, frozen=True)
    yield
    clock.reset()


def test_cal2_pages_show_company_dates_just_after_midnight(client, team, make_customer, database):  # noqa: F811
    cid = make_customer(team["rep"], name="北京午夜科技有限公司")
    with database.transaction() as s:
        c = s.get(Customer, cid)
        c.last_valid_followup_at = clock.now()
    page_login(client, "rep")
    for url in (f"/customers/{cid}", "/customers", "/pools/mine"):
        body = client.get(url, headers=HTML).text
        assert "2026-12-03" in body, url
        assert "2026-12-02" not in body, url
