from datetime import UTC, datetime


def test_cal1_workdays_endpoint_over_national_day_2026(client, admin_headers):
    resp = client.get(
        "/api/v1/calendar/workdays",
        params={"start": "2026-09-30", "end": "2026-10-12"},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    assert resp.json()["workdays"] == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12"]


def test_cal1_admin_override_changes_workdays_and_is_audited(client, admin_headers):
    resp = client.post(
        "/api/v1/calendar/overrides",
        json={"date": "2026-11-13", "workday": False, "note": "年会"},
        headers=admin_headers,
    )
    assert resp.status_code == 201
    days = client.get(
        "/api/v1/calendar/workdays",
        params={"start": "2026-11-12", "end": "2026-11-14"},
        headers=admin_headers,
    ).json()["workdays"]
    assert days == ["2026-11-12"]
    audit = client.get("/api/v1/audit", params={"rule": "CAL-1"}, headers=admin_headers).json()
    assert audit["total"] == 1


def test_cal1_bad_range_is_422_naming_the_field(client, admin_headers):
    resp = client.get(
        "/api/v1/calendar/workdays",
        params={"start": "2026-11-12", "end": "2026-11-01"},
        headers=admin_headers,
    )
    assert resp.status_code == 422
    assert "end" in resp.json()["error"]["details"]["fields"]
    resp = client.get(
        "/api/v1/calendar/workdays", params={"start": "nope", "end": "2026-11-01"}, headers=admin_headers
    )
    assert resp.status_code == 422
    assert "start" in resp.json()["error"]["details"]["fields"]


def test_cal2_test_clock_can_be_set_and_reset(client, admin_headers):
    resp = client.put("/api/v1/admin/clock", json={"now": "2026-11-10T09:00:00+08:00"}, headers=admin_headers)
    assert resp.status_code == 200
    from poolcrm import clock

    assert abs((clock.now() - datetime(2026, 11, 10, 1, 0, tzinfo=UTC)).total_seconds()) < 60
    assert client.delete("/api/v1/admin/clock", headers=admin_headers).status_code == 200
    assert not clock.is_overridden()


def test_cal2_clock_endpoint_is_404_without_the_env_var(database, make_user):
    from fastapi.testclient import TestClient

    from poolcrm.app import create_app
    from poolcrm.config import Settings
    from tests.conftest import auth_headers

    make_user("admin", ["admin"])
    app = create_app(
        Settings(db_url=database.url, secret_key="s", test_clock=False, run_scheduler=False), db=database
    )
    with TestClient(app) as c:
        resp = c.put(
            "/api/v1/admin/clock", json={"now": "2026-11-10T09:00:00+08:00"}, headers=auth_headers(c, "admin")
        )
        assert resp.status_code == 404
