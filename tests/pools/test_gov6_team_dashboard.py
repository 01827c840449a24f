"""GOV-6 on the dashboard: a supervisor sees their team — each rep's pool usage and valid
follow-ups this week, and the team's customers about to be recycled; people who hold no private
pool (CS, the GM) are not shown a "我的私海 0/250" card."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from poolcrm import clock
from poolcrm.followups.models import FollowUp
from poolcrm.pools import widgets
from tests.conftest import PASSWORD
from tests.pools.conftest import add_customer, at


def _dashboard(client, who):
    client.cookies.clear()
    client.post("/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    return client.get("/").text


def test_gov6_supervisor_sees_the_teams_usage_followups_and_due_recycles(client, org, customers):
    clock.set_now(datetime(2026, 11, 12, 2, 0, tzinfo=UTC), frozen=True)  # Thursday, 10:00 Beijing
    quiet = customers(
        pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 5)), name="安静科技有限公司"
    )
    customers(
        pool="private",
        owner_id=org["rep2"],
        protected_since=at(date(2026, 11, 11)),
        last_valid=at(date(2026, 11, 11)),
    )
    html = _dashboard(client, "sup")
    team = html.split('data-testid="widget-team"', 1)[1].split('data-testid="widget-', 1)[0]
    assert team.count('data-testid="team-rep"') == 3  # rep1..rep3
    assert "安静科技有限公司" in team and f"/customers/{quiet}" in team
    assert "1 / " in team


def test_gov6_no_private_pool_card_for_those_without_one(client, org):
    for who in ("cs", "gm"):
        html = _dashboard(client, who)
        assert 'data-testid="pool-usage"' not in html and 'data-testid="widget-team"' not in html
    assert 'data-testid="pool-usage"' in _dashboard(client, "rep1")


def test_gov6_a_team_larger_than_the_card_shows_who_followed_up_least_this_week(
    client, org, customers, database, monkeypatch
):
    """A sales manager over a nationwide company (1,135 reps) had every rep on the card: the card
    lists `TEAM_CARD_ROWS`, those with the fewest valid follow-ups this week first, and says so."""
    clock.set_now(datetime(2026, 11, 12, 2, 0, tzinfo=UTC), frozen=True)
    monkeypatch.setattr(widgets, "TEAM_CARD_ROWS", 2)
    with database.transaction() as s:
        for rep, valid in (("rep1", 2), ("rep2", 0), ("rep3", 1)):
            c = add_customer(s, pool="private", owner_id=org[rep], protected_since=at(date(2026, 11, 2)))
            s.flush()
            for n in range(valid):
                s.add(
                    FollowUp(
                        customer_id=c.id,
                        author_id=org[rep],
                        subject="电话",
                        content=f"第{n}次沟通",
                        content_key=f"k{rep}{n}",
                        valid=True,
                        created_at=at(date(2026, 11, 10)),
                    )
                )
    html = _dashboard(client, "sup")
    team = html.split('data-testid="widget-team"', 1)[1].split('data-testid="widget-', 1)[0]
    listed = re.findall(r'href="/pools/mine\?owner_id=(\d+)"', team)
    assert listed == [str(org["rep2"]), str(org["rep3"])]  # 0 and 1 valid follow-ups; rep1 (2) left out
    assert 'data-testid="team-more"' in team and "共 3 名销售" in team
