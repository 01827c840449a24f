"""GOV-6 on the dashboard: customer service sees its queues — pending applications by kind, spot
checks, unassigned tickets — each with its count, the oldest's age in Chinese and a link; the GM, a
supervisor and a rep get no such card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from tests.conftest import PASSWORD
from tests.pools.conftest import add_customer, org  # noqa: F401  (the pools tests' organisation)

from poolcrm import clock
from poolcrm.applications.models import Application
from poolcrm.applications.widgets import cs_queues
from poolcrm.followups.models import FollowUp
from poolcrm.org.models import User
from poolcrm.violations.models import SpotCheck

NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    clock.set_now(NOW, frozen=True)
    yield
    clock.reset()


def _app(s: Any, kind: str, applicant: int, hours_ago: int, status: str = "pending") -> None:
    c = add_customer(s, pool="pending" if kind == "new_customer" else "public")
    s.add(
        Application(
            kind=kind,
            status=status,
            customer_id=c.id,
            applicant_id=applicant,
            created_at=NOW - timedelta(hours=hours_ago),
        )
    )


def _spot(s: Any, author: int, hours_ago: int) -> None:
    c = add_customer(s, pool="private", owner_id=author, protected_since=NOW)
    f = FollowUp(
        customer_id=c.id,
        author_id=author,
        subject="致电",
        content="电话沟通采购计划，客户确认下月采购扫描仪两台",
        content_key=f"k{c.id}",
        valid=True,
        created_at=NOW - timedelta(hours=hours_ago + 1),
    )
    s.add(f)
    s.flush()
    s.add(
        SpotCheck(
            day=NOW.date(),
            followup_id=f.id,
            author_id=author,
            status="pending",
            created_at=NOW - timedelta(hours=hours_ago),
        )
    )


def _card(client: Any, who: str) -> str:
    client.cookies.clear()
    client.post("/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    html = client.get("/").text
    marker = 'data-testid="widget-cs"'
    return html.split(marker, 1)[1].split('<div class="card"', 1)[0] if marker in html else ""


def _line(card: str, key: str) -> str:
    return card.split(f'data-testid="queue-{key}"', 1)[1].split("</li>", 1)[0]


def test_gov6_cs_sees_its_queues_with_counts_and_ages(client, database, org):  # noqa: F811
    with database.transaction() as s:
        _app(s, "new_customer", org["rep1"], hours_ago=30)
        _app(s, "new_customer", org["rep2"], hours_ago=2)
        _app(s, "new_customer", org["rep3"], hours_ago=90, status="approved")  # decided: not waiting
        _app(s, "claim", org["rep1"], hours_ago=75)
        _spot(s, org["rep2"], hours_ago=0)
    card = _card(client, "cs")
    assert "客服待办" in card and "GOV-6" in card
    new = _line(card, "new_customer")
    assert "新客户登记" in new and "<strong>2</strong>" in new and "最长等待 30 小时" in new
    assert 'href="/applications"' in new and "CUS-9" in new
    claim = _line(card, "claim")
    assert "<strong>1</strong>" in claim and "最长等待 3 天" in claim
    assert "<strong>0</strong>" in _line(card, "release") and "无" in _line(card, "release")
    spot = _line(card, "spot_checks")
    assert "<strong>1</strong>" in spot and "不到 1 小时" in spot and "/violations/spot-checks" in spot
    assert "<strong>0</strong>" in _line(card, "ticket_queue") and "/tickets?tab=queue" in _line(
        card, "ticket_queue"
    )
    for who in ("gm", "sup", "rep1", "admin"):
        assert _card(client, who) == ""


def test_gov6_cs_queue_card_shows_no_english_on_a_chinese_page(client, database, org):  # noqa: F811
    card = _card(client, "cs")
    text = card.split("<h2>", 1)[1]
    for english in ("pending", "claim", "release", "hours", "days", "None"):
        assert f">{english}" not in text and f" {english}<" not in text


def test_gov6_cs_queues_are_one_grouped_query(database, org):  # noqa: F811
    with database.transaction() as s:
        for i in range(4):
            _app(s, "new_customer" if i % 2 else "claim", org["rep1"], hours_ago=i)
    with database.transaction() as s:
        cs = s.get(User, org["cs"])
        seen: list[str] = []

        def listener(*args: Any) -> None:
            seen.append(args[2])

        event.listen(s.get_bind(), "before_cursor_execute", listener)
        try:
            queues = cs_queues(s, cs)
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listener)
    assert {q["key"]: q["count"] for q in queues}["claim"] == 2
    assert len([q for q in seen if "FROM applications" in q]) == 1
    assert len(seen) == 1, seen
