"""GOV-6 / DEAL-9 on the dashboard: a supervisor sees his team's deals by stage (only his team,
ORG-2), the GM the company's funnel; reps, CS and admin get neither card."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from poolcrm import clock
from poolcrm.deals.analytics import stage_pipeline
from poolcrm.deals.models import Deal, DealCategoryChange
from tests.conftest import PASSWORD
from tests.pools.conftest import add_customer, org  # noqa: F401  (the pools tests' organisation)

_n = count(1)


def add_deal(
    s: Any, owner: int, stage: int, amount: int, category: str = "short", won_at: Any = None, **kw: Any
) -> None:
    n = next(_n)
    c = add_customer(s, pool="private", owner_id=owner, protected_since=clock.now(), customer_type="direct")
    now = clock.now()
    s.add(
        Deal(
            number=f"{c.code}OP{n}",
            seq=1,
            customer_id=c.id,
            owner_id=owner,
            created_by=owner,
            name=f"测试跟单{n}",
            category=category,
            stage=stage,
            max_stage=stage,
            status={"signed": "signed", "won": "won", "lost": "lost"}.get(category, "active"),
            expected_close_on=now.date() + timedelta(days=30),
            intention="扫描仪",
            amount=Decimal(amount),
            purchase_reason="",
            purchase_form="",
            budget="",
            requirements="",
            execution_time="",
            competitors="",
            last_activity_at=now,
            created_at=now,
            updated_at=now,
            **kw,
        )
    )
    if won_at is not None:  # DEAL-8: fully paid on that day (DEAL-7 history)
        s.flush()
        deal_id = s.query(Deal.id).filter(Deal.number == f"{c.code}OP{n}").scalar()
        s.add(DealCategoryChange(deal_id=deal_id, at=won_at, category="won", stage=10, status="won"))


def _card(client: Any, who: str, testid: str) -> str:
    client.cookies.clear()
    client.post("/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    html = client.get("/").text
    if f'data-testid="{testid}"' not in html:
        return ""
    return html.split(f'data-testid="{testid}"', 1)[1].split('<div class="card"', 1)[0]


def _row(card: str, stage: int) -> str:
    return card.split(f'data-testid="stage-{stage}"', 1)[1].split("</tr>", 1)[0]


def test_gov6_supervisor_sees_only_his_teams_deals_by_stage(client, database, org):  # noqa: F811
    last_month = datetime(2026, 2, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with database.transaction() as s:
        add_deal(s, org["rep1"], 3, 100_000)
        add_deal(s, org["rep2"], 3, 50_000)
        add_deal(s, org["rep1"], 5, 20_000, category="mid")
        add_deal(s, org["ka"], 3, 999_000)  # the manager's team, not the supervisor's
        add_deal(
            s, org["rep1"], 8, 1, category="signed", actual_amount=Decimal(30_000), closed_at=clock.now()
        )
        signed = last_month - timedelta(days=20)  # signed in January, paid in full this month
        add_deal(
            s,
            org["rep2"],
            10,
            1,
            category="won",
            actual_amount=Decimal(40_000),
            closed_at=signed,
            won_at=clock.now(),
        )
        add_deal(
            s,
            org["rep1"],
            10,
            1,
            category="won",
            actual_amount=Decimal(75_000),
            closed_at=signed,
            won_at=last_month,
        )
        add_deal(s, org["rep1"], 0, 5_000, category="lost", closed_at=clock.now())
    card = _card(client, "sup", "widget-team-deals")
    assert "团队跟单阶段" in card and "GOV-6" in card
    assert (
        ">2</a>" in _row(card, 3)
        and "¥150,000" in _row(card, 3)
        and "了解到预算的大小和执行时间" in _row(card, 3)
    )
    assert ">1</a>" in _row(card, 5) and "¥20,000" in _row(card, 5)
    assert "¥30,000" in _row(card, 8) and "¥40,000" in _row(card, 10) and ">1</a>" in _row(card, 0)
    assert "999,000" not in card and "75,000" not in card  # ORG-2: not his team; won last month
    open_fig = card.split('data-testid="fig-open"', 1)[1].split("</a>", 1)[0]
    assert "<strong>3</strong>" in open_fig and "¥170,000" in open_fig
    won = card.split('data-testid="fig-won"', 1)[1].split("</a>", 1)[0]
    assert "<strong>1</strong>" in won and "¥40,000" in won
    assert 'href="/deals?stage=3"' in card

    manager = _card(client, "manager", "widget-team-deals")
    assert ">3</a>" in _row(manager, 3) and "¥1,149,000" in _row(manager, 3)  # the whole tree below him

    funnel = _card(client, "gm", "widget-funnel")
    assert "公司销售漏斗" in funnel and ">3</a>" in _row(funnel, 3) and "¥1,149,000" in _row(funnel, 3)
    client.cookies.set("poolcrm_lang", "en")
    english = client.get("/").text.split('data-testid="widget-funnel"', 1)[1].split('<div class="card"', 1)[0]
    assert "了解到预算" not in _row(english, 3) and "budget" in _row(english, 3).lower()  # the stage's name
    assert _card(client, "gm", "widget-team-deals") == ""
    for who in ("rep1", "cs", "admin"):
        assert _card(client, who, "widget-team-deals") == "" and _card(client, who, "widget-funnel") == ""
    assert _card(client, "sup", "widget-funnel") == ""


def test_gov6_stage_card_counts_in_one_grouped_query(database, org):  # noqa: F811
    """Every figure of the card comes from one GROUP BY, whatever the number of deals."""
    with database.transaction() as s:
        for i in range(6):
            add_deal(s, org["rep1"], 1 + i % 4, 1_000)
    with database.transaction() as s:
        seen: list[str] = []
        listener = lambda *a: seen.append(a[2])  # noqa: E731
        event.listen(s.get_bind(), "before_cursor_execute", listener)
        try:
            figures = stage_pipeline(s, [org["rep1"]], clock.now())
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listener)
    assert figures["open"]["count"] == 6
    assert len([q for q in seen if "FROM deals" in q]) == 1
