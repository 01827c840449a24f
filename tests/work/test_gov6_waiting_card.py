"""GOV-6 on the dashboard: a supervisor's 待我审阅 card counts the reports addressed to him and not yet
read (WORK-1), his team's trip plans (WORK-2) and supervisor-level expenses (WORK-3) — his team
only (ORG-2) — with the oldest's age; a rep gets no such card."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from poolcrm import clock
from poolcrm.work.models import Expense, Trip, WorkReport
from tests.conftest import PASSWORD
from tests.pools.conftest import org  # noqa: F401  (the pools tests' organisation)


def _report(s: Any, user: int, sup: int, period: str, hours_ago: int, status: str = "submitted") -> None:
    at = clock.now() - timedelta(hours=hours_ago)
    s.add(
        WorkReport(
            user_id=user,
            kind="weekly",
            period=period,
            subject=f"周报 {period}",
            body="详情见附件",
            supervisor_id=sup,
            status=status,
            due_on=date(2026, 3, 2),
            submitted_at=at,
        )
    )


def _expense(s: Any, user: int, level: str = "supervisor") -> None:
    now = clock.now()
    s.add(
        Expense(
            user_id=user,
            subject="交通费",
            spent_on=now.date(),
            type="交通",
            amount=Decimal(120),
            description="拜访客户",
            status="submitted",
            approval_level=level,
            created_at=now,
            submitted_at=now - timedelta(hours=5),
        )
    )


def _card(client: Any, who: str) -> str:
    client.cookies.clear()
    client.post("/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    html = client.get("/").text
    marker = 'data-testid="widget-team-waiting"'
    return html.split(marker, 1)[1].split('<div class="card"', 1)[0] if marker in html else ""


def _line(card: str, key: str) -> str:
    return card.split(f'data-testid="waiting-{key}"', 1)[1].split("</li>", 1)[0]


def test_gov6_supervisor_sees_reports_trips_and_expenses_waiting_for_him(client, database, org):  # noqa: F811
    with database.transaction() as s:
        _report(s, org["rep1"], org["sup"], "2026-W09", hours_ago=72)
        _report(s, org["rep2"], org["sup"], "2026-W09", hours_ago=30)
        _report(s, org["rep3"], org["sup"], "2026-W09", hours_ago=200, status="read")
        _report(s, org["ka"], org["manager"], "2026-W09", hours_ago=10)
        now = clock.now()
        s.add(
            Trip(
                user_id=org["rep1"],
                region="上海",
                start_on=now.date() + timedelta(days=3),
                end_on=now.date() + timedelta(days=5),
                purpose="拜访客户",
                customer_ids=[],
                subject="出差计划",
                status="pending",
                created_at=now,
            )
        )
        _expense(s, org["rep2"])
        _expense(s, org["rep3"], level="gm")  # past the supervisor: the GM's now
        _expense(s, org["ka"])  # the manager's team, not the supervisor's
    card = _card(client, "sup")
    assert "待我审阅" in card and "GOV-6" in card
    reports = _line(card, "reports")
    assert (
        "<strong>2</strong>" in reports and "最长等待 3 天" in reports and 'href="/work/reports"' in reports
    )
    assert "<strong>1</strong>" in _line(card, "trips") and "不到 1 小时" in _line(card, "trips")
    expenses = _line(card, "expenses")
    assert "<strong>1</strong>" in expenses and "最长等待 5 小时" in expenses

    manager = _card(client, "manager")
    assert "<strong>1</strong>" in _line(manager, "reports")  # only the ones addressed to him
    assert "<strong>2</strong>" in _line(manager, "expenses")  # ORG-2: his whole tree
    assert _card(client, "rep1") == "" and _card(client, "cs") == ""
