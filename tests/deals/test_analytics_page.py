"""DEAL-9 / VIO-4 on the analytics page at a nationwide company's size: every grouping of the month
read at once says what the API says one at a time; the ranking charts carry the bars they draw;
the scorecard is a line per team above a page of reps, and the chosen team's cards."""

from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import select

from poolcrm.deals import analytics
from poolcrm.deals import pages as deal_pages
from poolcrm.org import teams
from poolcrm.org.models import User
from tests.web.helpers import HTML


def test_deal9_every_grouping_at_once_is_each_grouping_alone(client, h, team, new_deal, database):
    new_deal("rep", stage=4)
    new_deal("rep2", category="mid", stage=2, expected_close_on="2026-10-01")
    new_deal("other", stage=5)
    with database.transaction(write=False) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        together = analytics.analytics_by(s, admin, month=date(2026, 3, 1), bys=analytics.BY_KEYS)
        for by in analytics.BY_KEYS:
            assert together[by] == analytics.analytics(s, admin, month=date(2026, 3, 1), by=by)
        assert len(together["owner"]["rows"]) == 3


def _charts(html: str) -> dict:
    return json.loads(re.search(r"const data = (\{.*?\});\n", html, flags=re.S).group(1))


def test_vio4_scorecard_a_line_per_team_then_the_team_chosen(client, h, team, new_deal, monkeypatch):
    new_deal("rep", stage=4)
    new_deal("other", stage=5)
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 1)
    monkeypatch.setattr(deal_pages, "CHART_BARS", 1)
    page = client.get("/deals/analytics?period=2026-03", headers={**HTML, **h("admin")}).text
    assert 'data-testid="scorecard-teams"' in page and 'data-testid="scorecard"' not in page
    lines = re.findall(r'<a href="/deals/analytics\?team=(\d+)[^"]*">([^<]+)</a>', page)
    assert [name for _, name in lines] == ["销售一部", "销售二部"]
    assert len(_charts(page)["owner"]["rows"]) == 1  # the one bar drawn, of two owners
    second = dict((name, tid) for tid, name in lines)["销售二部"]
    chosen = client.get(f"/deals/analytics?period=2026-03&team={second}", headers={**HTML, **h("admin")}).text
    table = re.search(r'data-testid="scorecard".*?</table>', chosen, flags=re.S).group(0)
    assert "刘洋" in table and "张伟" not in table
