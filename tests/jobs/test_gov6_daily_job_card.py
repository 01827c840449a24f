"""GOV-6 / JOB-1 on the admin's dashboard: the daily job's last run — its date, the steps done of
all, how long it took — beside the backups (GOV-3); an admin with no other role sees no sales or
service card, and nobody but the admin sees the job card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from poolcrm import clock
from poolcrm.jobs import registry
from poolcrm.jobs.models import JobRun
from poolcrm.jobs.service import run_daily
from tests.conftest import PASSWORD
from tests.pools.conftest import org  # noqa: F401  (the pools tests' organisation)

NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)  # 10:00 on 12 Nov in Shanghai


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    clock.set_now(NOW, frozen=True)
    yield
    clock.reset()


def _dashboard(client: Any, who: str) -> str:
    client.cookies.clear()
    client.post("/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    return client.get("/").text


def _card(html: str) -> str:
    marker = 'data-testid="widget-daily-job"'
    return html.split(marker, 1)[1].split('<div class="card"', 1)[0] if marker in html else ""


def test_gov6_admin_sees_the_daily_jobs_last_run(client, database, org):  # noqa: F811
    assert "每日任务还没有运行过" in _card(_dashboard(client, "admin"))
    names = [s.name for s in registry.steps()]
    start = datetime(2026, 11, 11, 16, 30, tzinfo=UTC)  # 00:30 on 12 Nov in Shanghai
    with database.transaction() as s:
        s.add(
            JobRun(run_date=date(2026, 11, 11), step=names[0], started_at=start, finished_at=start, result={})
        )
        for i, name in enumerate(names[:-1]):  # the last step did not finish
            began = start + timedelta(days=1, seconds=10 * i)
            s.add(
                JobRun(
                    run_date=date(2026, 11, 12),
                    step=name,
                    started_at=began,
                    finished_at=began + timedelta(seconds=10),
                    result={},
                )
            )
    html = _dashboard(client, "admin")
    card = _card(html)
    assert "11-12" in card.split('data-testid="job-date"', 1)[1].split("</div>", 1)[0]
    status = card.split('data-testid="job-status"', 1)[1].split("</div>", 1)[0]
    assert f"{len(names) - 1}/{len(names)}" in status and "未全部完成" in status
    minutes = (len(names) - 1) * 10 / 60
    duration = card.split('data-testid="job-duration"', 1)[1].split("</div>", 1)[0]
    assert f"{round(minutes, 1):g} 分钟" in duration, duration
    assert "今天的每日任务尚未运行" not in card and "JOB-1" in card
    assert 'data-testid="backups-widget"' in html  # GOV-3 beside it
    for sales_card in ("widget-duty", "contracts-widget", "service-widget", "widget-team", "widget-funnel"):
        assert f'data-testid="{sales_card}"' not in html
    assert _card(_dashboard(client, "gm")) == "" and _card(_dashboard(client, "cs")) == ""


def test_gov6_a_daily_step_keeps_its_start(database, monkeypatch):
    registry.steps()  # the domains' steps registered first, into the real table
    monkeypatch.setattr(registry, "_steps", {"probe": registry.Step("probe", 1, lambda s, d: {})})
    run_daily(database, date(2026, 11, 12))
    with database.transaction() as s:
        run = s.scalars(select(JobRun).where(JobRun.step == "probe")).one()
    assert run.started_at is not None and run.started_at <= run.finished_at
