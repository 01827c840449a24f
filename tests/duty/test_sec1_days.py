"""SEC-1 on the duty days: a day no record can be about is refused before any handler, and the
422 names the path parameter (`day`), as the API names a field — not "path"."""

from __future__ import annotations

DATE_MESSAGE = "日期超出范围（1900–2199 年）"


def test_sec1_in3_a_day_outside_the_business_range_is_422_naming_day(client, h, crm):
    for day in ("0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"):
        resp = client.get(f"/api/v1/duty/days/{day}", headers=h("admin"))
        assert resp.status_code == 422, (day, resp.text)
        assert resp.json()["error"]["details"]["fields"] == {"day": DATE_MESSAGE}
        assert resp.json()["error"]["rule"] == "SEC-1"
        body = {"user_ids": [crm["rep1"]], "reason": "调休"}
        resp = client.put(f"/api/v1/duty/overrides/{day}", json=body, headers=h("admin"))
        assert resp.status_code == 422 and resp.json()["error"]["details"]["fields"] == {"day": DATE_MESSAGE}
    assert client.get("/api/v1/duty/days/2026-11-25", headers=h("admin")).status_code == 200


def test_sec1_a_path_no_route_serves_still_names_the_path(client, h, crm):
    resp = client.get("/api/v1/no-such-thing/0001-01-01", headers=h("admin"))
    assert resp.status_code == 422 and resp.json()["error"]["details"]["fields"] == {"path": DATE_MESSAGE}
