"""IN-3 roster page by team (org/teams.py): above a page of reps a line per team — reps, how many
are eligible, how many are on duty today — and the chosen team's eligibility rows; the admin's
override form offers the chosen team's reps and those the day's override names."""

from __future__ import annotations

import re

from poolcrm.duty import service
from poolcrm.org import teams
from poolcrm.org.models import User
from tests.conftest import counted
from tests.duty.test_service import TODAY, _last_week


def _lines(html: str) -> dict[str, list[str]]:
    body = re.search(r'data-testid="duty-teams".*?<tbody>(.*?)</tbody>', html, flags=re.S).group(1)
    return {
        re.search(r">([^<>]+)</a>", row).group(1): re.findall(r'class="num"[^>]*>(\d+)<', row)
        for row in re.findall(r"<tr>.*?</tr>", body, flags=re.S)
    }


def test_in3_roster_page_a_line_per_team_then_the_team_chosen(client, h, database, crm, monkeypatch):
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 2)
    _last_week(database, crm, top_n=2)  # rep2 and rep1 (销售一部) on duty; rep4 (销售二部) 3rd
    page = client.get("/duty", headers=h("cs")).text
    assert _lines(page) == {"销售一部": ["3", "2", "2"], "销售二部": ["1", "0", "0"]}
    assert 'data-testid="eligibility"' not in page and 'data-testid="team-hint"' in page
    second = re.search(r'<option value="(\d+)" >销售二部</option>', page).group(1)
    chosen = client.get(f"/duty?team={second}", headers=h("cs")).text
    table = re.search(r'data-testid="eligibility".*?</table>', chosen, flags=re.S).group(0)
    assert "刘洋" in table and "张伟" not in table and "不在前 2 名" in table
    assert list(_lines(chosen)) == ["销售二部"]
    admin = client.get("/duty", headers=h("admin")).text
    assert 'name="user_ids"' not in admin and 'data-testid="override-pick-team"' in admin


def test_in3_the_override_form_offers_the_team_chosen_and_keeps_the_days_override(
    client, h, database, crm, monkeypatch
):
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 2)
    _last_week(database, crm, top_n=2)
    with database.transaction() as s:
        service.set_override(s, s.get(User, crm["admin"]), TODAY, [crm["rep1"]], "客户活动")
    page = client.get("/duty", headers=h("admin")).text
    second = re.search(r'<option value="(\d+)" >销售二部</option>', page).group(1)
    form = re.search(
        r'data-testid="duty-override".*?</form>',
        client.get(f"/duty?team={second}", headers=h("admin")).text,
        flags=re.S,
    ).group(0)
    boxes = dict(re.findall(r'name="user_ids" value="(\d+)"( checked)?', form))
    assert boxes == {str(crm["rep4"]): "", str(crm["rep1"]): " checked"}  # 销售二部's rep, and the day's
    assert "override-pick-team" not in form
    assert 'name="user_ids"' not in client.get("/duty", headers=h("cs")).text  # the admin's form only


def test_in3_a_fallback_week_lists_the_first_page_of_reps_on_duty(client, h, crm, monkeypatch):
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 2)  # nobody qualified: all four reps on duty
    page = client.get("/duty", headers=h("cs")).text
    listed = re.search(r'data-testid="on-duty">(.*?)</ol>', page, flags=re.S).group(1)
    assert listed.count("<li>") == 2 and 'data-testid="on-duty-more"' in page and "今日共 4 人值班" in page


def test_in3_dealing_among_many_reps_on_duty_reads_as_many_statements_as_among_few(database, crm, make_user):
    """IN-3: a fallback week (or an admin's long list) puts every rep of the company on duty; the
    dealing asks POOL-2 of the reps in dealing order up to the one chosen, not of every rep (1,145
    statements and 0.7 s an inbound call at 1,135 reps before)."""
    reps = [crm[r] for r in ("rep1", "rep2", "rep3", "rep4")]
    more = [make_user(f"more{i}", ["sales"], dept="销售三部") for i in range(12)]

    def dealt(on_duty: list[int]) -> list[str]:
        with database.transaction() as s:
            service.set_override(s, s.get(User, crm["admin"]), TODAY, on_duty, "测试")
        with counted(database) as seen, database.transaction() as s:
            pick = service.pick_duty_rep(s, TODAY)
            assert pick.source == "override" and pick.user.id == crm["rep1"]
        return seen

    dealt(reps)  # the week's roster is stored by the first
    assert len(dealt(reps + more)) == len(dealt(reps))
