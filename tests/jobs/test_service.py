from datetime import UTC, date, datetime

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


def test_job1a_steps_of_one_order_run_side_by_side_on_postgresql(database, monkeypatch):
    """JOB-1a: two steps of one wave meet at a barrier only if they run at the same time
    (PostgreSQL); on SQLite they run one after the other. Results merge in step order."""
    import threading

    barrier = threading.Barrier(2, timeout=10)
    seen: list[str] = []

    def make(name: str):
        def step(session, as_of):
            if not database.sqlite:
                barrier.wait()  # raises BrokenBarrierError after 10 s if the other never comes
            seen.append(name)
            return {"wave": [name]}

        return step

    for name in ("wave.b", "wave.a"):
        monkeypatch.setitem(registry._steps, name, registry.Step(name, 2, make(name)))
    result = run_daily(database, date(2026, 11, 9))
    assert result["wave"] == ["wave.a", "wave.b"]
    if database.sqlite:
        assert seen == ["wave.a", "wave.b"]
    else:
        assert sorted(seen) == ["wave.a", "wave.b"]


def test_job1_api_runs_daily_for_admin(client, admin_headers):
    resp = client.post("/api/v1/jobs/run-daily", json={"as_of": "2026-11-10"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {"recycled", "warned", "to_public"} <= set(body)


def test_job1b_a_day_to_come_is_refused_and_nothing_runs(database, monkeypatch):
    """JOB-1b: a run for a day after the company's today would recycle (POOL-6) on time that has not
    passed, and its ownership moves are permanent: refused (422 naming as_of), no step runs. Today
    is the company zone's (CAL-2), and past days stay allowed (catch-up, JOB-1)."""
    import pytest

    from poolcrm import clock
    from poolcrm.errors import InvalidInput

    calls: list[date] = []
    monkeypatch.setitem(
        registry._steps, "probe", registry.Step("probe", 1, lambda s, d: calls.append(d) or {"probed": [1]})
    )
    clock.set_now(datetime(2026, 11, 10, 17, 0, tzinfo=UTC), frozen=True)  # 11-11 01:00 in Shanghai
    for day in (date(2026, 11, 12), date(2199, 12, 31)):
        with pytest.raises(InvalidInput) as refused:
            run_daily(database, day)
        assert refused.value.rule == "JOB-1b" and set(refused.value.details["fields"]) == {"as_of"}
        assert "2026-11-11" in refused.value.render("zh")["error"]["message"]
    assert calls == []
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == 0
    assert run_daily(database, date(2026, 11, 11))["dates"] == ["2026-11-11"]
    assert run_daily(database, date(2026, 11, 2))["dates"] == ["2026-11-02"]
    assert run_daily(database)["dates"][-1] == "2026-11-11"  # no as_of: the company's today


def test_job1b_api_refuses_a_day_to_come_and_follows_the_test_clock(client, admin_headers):
    resp = client.post("/api/v1/jobs/run-daily", json={"as_of": "2199-12-31"}, headers=admin_headers)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["rule"] == "JOB-1b" and set(error["details"]["fields"]) == {"as_of"}
    moved = client.put(
        "/api/v1/admin/clock", json={"now": "2199-12-31T09:00:00+08:00"}, headers=admin_headers
    )
    assert moved.status_code == 200
    resp = client.post("/api/v1/jobs/run-daily", json={"as_of": "2199-12-31"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    resp = client.post("/api/v1/jobs/run-daily", json={"as_of": "2199-12-30"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
