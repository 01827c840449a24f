"""GOV-6 on the GM's dashboard: pool health (customers per pool, private pools against their POOL-2
limits, this week's recycles and releases) and the disputes and violations waiting (DSP-1, VIO-1);
a supervisor, CS and admin get neither card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from poolcrm import clock
from poolcrm.disputes.models import Dispute
from poolcrm.org.models import User
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.pools.widgets import pool_health
from poolcrm.violations.models import Violation
from tests.conftest import PASSWORD
from tests.pools.conftest import add_customer, at

NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai; the week began Monday 9 Nov


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    clock.set_now(NOW, frozen=True)
    yield
    clock.reset()


def _card(client: Any, who: str, testid: str) -> str:
    client.cookies.clear()
    client.post("/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    html = client.get("/").text
    marker = f'data-testid="{testid}"'
    return html.split(marker, 1)[1].split('<div class="card"', 1)[0] if marker in html else ""


def _fig(card: str, testid: str) -> str:
    return card.split(f'data-testid="{testid}"', 1)[1].split("</a>", 1)[0]


def _event(s: Any, customer_id: int, rule: str, when: datetime) -> None:
    s.add(OwnershipEvent(customer_id=customer_id, at=when, to_pool="bin", rule=rule, reason="测试"))


def test_gov6_gm_sees_pool_health(client, database, org):
    with database.transaction() as s:
        public = [add_customer(s) for _ in range(2)]
        add_customer(s, pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
        add_customer(s, pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
        add_customer(s, pool="private", owner_id=org["rep2"], protected_since=at(date(2026, 11, 2)))
        add_customer(s, pool="bin")
        _event(s, public[0].id, "POOL-6", at(date(2026, 11, 10)))
        _event(s, public[0].id, "POOL-6", at(date(2026, 11, 11)))
        _event(s, public[1].id, "POOL-5", at(date(2026, 11, 9), 9))
        _event(s, public[1].id, "POOL-6", at(date(2026, 11, 6)))  # last week
    card = _card(client, "gm", "widget-pool-health")
    assert "客户池概况" in card and "GOV-6" in card
    assert "<strong>2</strong>" in _fig(card, "fig-public")
    assert 'href="/pools/public" data-testid="fig-public"' in card
    assert "<strong>3</strong>" in _fig(card, "fig-private")
    assert (
        "<strong>1</strong>" in _fig(card, "fig-bin") and 'href="/allocation" data-testid="fig-bin"' in card
    )
    assert "<strong>2</strong>" in _fig(card, "fig-recycled") and "<strong>1</strong>" in _fig(
        card, "fig-released"
    )
    capacity = card.split('data-testid="pool-capacity"', 1)[1].split("</p>", 1)[0]
    assert "5 名销售共用 3 / " in capacity  # sup, rep1..rep3, ka: the sales reps (ORG-1/ORG-3)
    fullest = card.split('data-testid="pool-fullest"', 1)[1]
    assert fullest.index("rep1") < fullest.index("rep2")  # the fullest first
    for who in ("sup", "cs", "admin", "rep1"):
        assert _card(client, who, "widget-pool-health") == ""


def test_gov6_gm_sees_disputes_waiting_and_this_months_violations(client, database, org):
    with database.transaction() as s:
        c = add_customer(s, pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
        for status, hours in (("open", 50), ("open", 3), ("decided", 500)):
            s.add(
                Dispute(
                    kind="win",
                    status=status,
                    customer_id=c.id,
                    claimants=[org["rep1"], org["rep2"]],
                    recommendation_rule="DSP-1",
                    recommendation_note="",
                    evidence={},
                    created_at=NOW - timedelta(hours=hours),
                )
            )
        for level, when in (("none", NOW), ("warning", NOW), ("none", datetime(2026, 10, 30, tzinfo=UTC))):
            s.add(
                Violation(
                    user_id=org["rep2"],
                    kind="rule_breach",
                    evidence="测试",
                    ordinal=1,
                    level=level,
                    rule="VIO-1",
                    created_at=when,
                )
            )
    card = _card(client, "gm", "widget-rulings")
    disputes = _fig(card, "fig-disputes")
    assert "<strong>2</strong>" in disputes and "最长等待 2 天" in disputes
    assert 'href="/disputes" data-testid="fig-disputes"' in card
    assert "<strong>2</strong>" in _fig(card, "fig-violations")  # October's does not count
    assert "书面警告 1 起" in card
    for who in ("sup", "cs", "admin"):
        assert _card(client, who, "widget-rulings") == ""


def _statements(database: Any, gm_id: int) -> int:
    with database.transaction() as s:
        gm = s.get(User, gm_id)
        seen: list[str] = []

        def listener(*args: Any) -> None:
            seen.append(args[2])

        event.listen(s.get_bind(), "before_cursor_execute", listener)
        try:
            assert pool_health(s, gm, "zh") is not None
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listener)
    return len(seen)


def test_gov6_pool_health_queries_do_not_grow_with_the_reps(database, org, make_user):
    before = _statements(database, org["gm"])
    for i in range(4):
        make_user(f"new{i}", ["sales"], supervisor_id=org["sup"])
    assert _statements(database, org["gm"]) == before
