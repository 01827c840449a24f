"""SEC-1 on the deal analytics: a period is read by the one month reader (`web.forms.month_param`),
so a year outside 1900–2199 answers 422 naming `period` on every endpoint — the win/loss window
took it to year -1 or past 9999 and failed with a 500."""

from __future__ import annotations

from tests.web.helpers import HTML

ENDPOINTS = ("/api/v1/deals/analytics", "/api/v1/deals/analytics/trend", "/api/v1/deals/analytics/win-loss")


def test_sec1_analytics_refuse_a_period_outside_the_business_range_naming_period(client, h, team):
    for url in ENDPOINTS:
        for period in ("0000-01", "0001-01", "0001-06", "1899-12", "2200-01", "9999-12"):
            resp = client.get(url, params={"period": period, "months": "12"}, headers=h("admin"))
            assert resp.status_code == 422, (url, period, resp.text)
            error = resp.json()["error"]
            assert (
                error["details"]["fields"] == {"period": "日期超出范围（1900–2199 年）"}
                and error["rule"] == "SEC-1"
            )
        for period in ("2026-13", "２０２６-03", "2026-03-01", "x"):
            resp = client.get(url, params={"period": period}, headers=h("admin"))
            assert resp.status_code == 422 and list(resp.json()["error"]["details"]["fields"]) == ["period"]


def test_sec1_analytics_windows_at_the_ends_of_the_business_range_are_answered(client, h, team):
    for url in ENDPOINTS:
        for period in ("1900-01", "2199-12"):
            resp = client.get(url, params={"period": period, "months": "36"}, headers=h("admin"))
            assert resp.status_code == 200, (url, period, resp.text)


def test_sec1_analytics_page_shows_this_month_for_a_period_nobody_can_pick(client, h, team):
    for period in ("0001-01", "9999-12", "junk"):
        resp = client.get(f"/deals/analytics?period={period}", headers={**HTML, **h("admin")})
        assert resp.status_code == 200, period
