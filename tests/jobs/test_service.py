from datetime import date

from sqlalchemy import func, select

from poolcrm.jobs import registry
from poolcrm.jobs.models import JobRun
from poolcrm.jobs.service import dates_to_run, run_daily


def test_job1_catch_up_dates():
    assert dates_to_run(None, date(2026, 11, 10)) == [date(2026, 11, 10)]
    assert dates_to_run(date(2026, 11, 7), date(2026, 11, 10)) == [
        date(2026, 11, 8),
        date(2026, 11, 9),
        date(2026, 11, 10),
    ]
    assert dates_to_run(date(2026, 11, 10), date(2026, 11, 10)) == [date(2026, 11, 10)]


def test_job1_daily_run_is_idempotent_per_date_and_catches_up(database, monkeypatch):
    calls: list[date] = []

    def probe(session, as_of):
        calls.append(as_of)
        return {"probed": [as_of.isoformat()]}

    monkeypatch.setitem(registry._steps, "probe", registry.Step("probe", 1, probe))
    first = run_daily(database, date(2026, 11, 9))
    assert first["probed"] == ["2026-11-09"]
    again = run_daily(database, date(2026, 11, 9))
    assert again["probed"] == ["2026-11-09"]
    assert calls == [date(2026, 11, 9)]
    later = run_daily(database, date(2026, 11, 11))
    assert later["dates"] == ["2026-11-10", "2026-11-11"]
    assert calls == [date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)]
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.step == "probe")) == 3


def test_job1_api_runs_daily_for_admin(client, admin_headers):
    resp = client.post("/api/v1/jobs/run-daily", json={"as_of": "2026-11-10"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {"recycled", "warned", "to_public"} <= set(body)
