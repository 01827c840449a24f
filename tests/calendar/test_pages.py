"""The working-day calendar page (CAL-1): official holidays and make-up days on a year of months,
company overrides added and withdrawn (audited), the warning for a year without official data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.calendar.models import CalendarOverride
from poolcrm.calendar.rules import official_year_range
from poolcrm.db import Database
from tests.web.helpers import HTML, page_login


@pytest.fixture
def admin_token(client: TestClient, make_user: Callable[..., int]) -> str:
    make_user("admin", ["admin"], dept="总经办", kind="other")
    return page_login(client, "admin")


def _day(html: str, day: str) -> str:
    match = re.search(rf'<div class="day ([^"]*)" data-date="{day}" data-workday="(\d)"', html)
    assert match, day
    return f"{match.group(1).strip()}|{match.group(2)}"


def test_cal1_year_shows_national_day_holidays_and_the_make_up_saturday(
    client: TestClient, admin_token: str
) -> None:
    html = client.get("/admin/calendar?year=2026", headers=HTML).text
    assert _day(html, "2026-10-01") == "holiday|0" and "国庆节" in html
    assert _day(html, "2026-09-20") == "makeup|1", "Sunday 20 Sep 2026 is worked (调休)"
    assert _day(html, "2026-10-12") == "workday|1"
    assert _day(html, "2026-10-17") == "rest|0"
    assert len(re.findall(r'data-date="2026-', html)) == 365
    assert 'data-testid="no-official-data"' not in html
    assert client.get("/admin/calendar?year=banana", headers=HTML).status_code == 200


def test_cal1_a_year_without_official_data_says_so(client: TestClient, admin_token: str) -> None:
    year = official_year_range()[1] + 1
    html = client.get(f"/admin/calendar?year={year}", headers=HTML).text
    warning = re.search(r'data-testid="no-official-data">(.*?)</div>', html, re.S)
    assert warning and f"尚未覆盖 {year} 年" in warning.group(1) and "CAL-1" in warning.group(1)
    assert _day(html, f"{year}-10-01").endswith("|1" if date(year, 10, 1).weekday() < 5 else "|0")


def test_cal1_override_added_and_withdrawn_changes_the_working_days_and_is_audited(
    client: TestClient, database: Database, admin_token: str
) -> None:
    resp = client.post(
        "/admin/calendar/overrides",
        data={"csrf_token": admin_token, "day": "2026-12-31", "workday": "0", "note": "年会"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/calendar?year=2026&done=added"
    html = client.get("/admin/calendar?year=2026&done=added", headers=HTML).text
    assert _day(html, "2026-12-31") == "rest override|0"
    assert "已保存日历调整" in html and "年会" in html
    days = client.get("/api/v1/calendar/workdays?start=2026-12-30&end=2026-12-31").json()
    assert days == {"workdays": ["2026-12-30"]}

    resp = client.post(
        "/admin/calendar/overrides/2026-12-31/remove",
        data={"csrf_token": admin_token},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    with database.transaction() as s:
        assert s.get(CalendarOverride, date(2026, 12, 31)).active is False  # CAL-1a: kept, switched off
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.object_type == "calendar")))
        assert [(e.action, e.object_id) for e in entries] == [
            ("calendar.override", "2026-12-31"),
            ("calendar.override.remove", "2026-12-31"),
        ]
        assert entries[1].before == {"workday": False, "note": "年会"} and entries[1].rule == "CAL-1a"
    assert _day(client.get("/admin/calendar?year=2026", headers=HTML).text, "2026-12-31") == "workday|1"
    resp = client.post("/admin/calendar/overrides/2026-12-31/remove", data={"csrf_token": admin_token})
    assert resp.status_code == 404


def test_cal1_override_form_errors_are_inline(client: TestClient, admin_token: str) -> None:
    for day, message in (("", "必填"), ("2026-02-30", "日期格式不正确"), ("1900-01-01", "日期超出范围")):
        resp = client.post(
            "/admin/calendar/overrides",
            data={"csrf_token": admin_token, "day": day, "workday": "1"},
            headers=HTML,
        )
        assert resp.status_code == 422, day
        assert re.search(rf'data-error-for="day">{message}<', resp.text), day
    resp = client.post(
        "/admin/calendar/overrides",
        data={"csrf_token": admin_token, "day": "2026-05-05", "workday": "1", "note": "长" * 300},
        headers=HTML,
    )
    assert resp.status_code == 422 and 'data-error-for="note"' in resp.text


def test_cal1_calendar_page_is_admin_only(client: TestClient, make_user: Callable[..., int]) -> None:
    make_user("rep")
    token = page_login(client, "rep")
    assert client.get("/admin/calendar", headers=HTML).status_code == 403
    resp = client.post(
        "/admin/calendar/overrides", data={"csrf_token": token, "day": "2026-05-05", "workday": "1"}
    )
    assert resp.status_code == 403
