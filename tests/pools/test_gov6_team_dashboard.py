"""GOV-6 on the dashboard: a supervisor sees their team — each rep's pool usage and valid
follow-ups this week, and the team's customers about to be recycled; people who hold no private
pool (CS, the GM) are not shown a "我的私海 0/250" card."""

from __future__ import annotations

from datetime import UTC, date, datetime

from poolcrm import clock
from tests.conftest import PASSWORD
from tests.pools.conftest import at


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
