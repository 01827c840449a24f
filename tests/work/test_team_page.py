"""WORK-1a / WORK-4, the team view by team (org/teams.py): above a page of people the GM sees a line
per team — reps, the week's actions, how many fall short, late reports — and a team's rows when
they choose it; a department outside their people, or junk, is no choice; past weeks are named so."""

from __future__ import annotations

import re

import pytest

from poolcrm.org import teams
from tests.web.helpers import HTML, page_login


def _rows(html: str, testid: str) -> list[str]:
    found = re.search(rf'data-testid="{testid}".*?<tbody>(.*?)</tbody>', html, flags=re.S)
    assert found, testid
    return re.findall(r"<tr.*?</tr>", found.group(1), flags=re.S)


def _dept_id(html: str, name: str) -> str:
    found = re.search(rf'<option value="(\d+)" >{name}</option>', html)
    assert found, name
    return found.group(1)


@pytest.fixture
def few_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 2)  # four reps in two teams: more than a page


def test_work4_gm_sees_a_line_per_team_then_the_team_chosen(client, h, crew, new_deal, few_rows):
    deal = new_deal()
    for i in range(2):
        body = {"details": f"第{i}次与客户沟通方案细节，确认配置与交付周期安排", "next_plan": "继续跟进"}
        client.post(f"/api/v1/deals/{deal['id']}/progress", json=body, headers=h("rep"))
    page_login(client, "gm")
    whole = client.get("/work/team", headers=HTML)
    assert whole.status_code == 200
    lines = _rows(whole.text, "team-lines")
    assert [re.search(r">([^<>]+)</a>", line).group(1) for line in lines] == ["销售一部", "销售二部"]
    first = re.findall(r'class="num"[^>]*>(?:<span[^>]*>)?(\d+)', lines[0])
    second = re.findall(r'class="num"[^>]*>(?:<span[^>]*>)?(\d+)', lines[1])
    assert first[0] == "3" and second[0] == "1"  # sup, rep, rep2 | other
    assert (first[1], second[1]) == ("2", "0")  # the rep's two progress records this week (WORK-4)
    assert (first[2], second[2]) == ("3", "1")  # everyone short of the minimum of 3
    assert 'data-testid="team-hint"' in whole.text
    assert 'data-testid="activity"' not in whole.text and 'data-testid="late-reports"' not in whole.text

    one = client.get(f"/work/team?team={_dept_id(whole.text, '销售二部')}", headers=HTML)
    assert [re.search(r"<td>([^<]+)</td>", r).group(1) for r in _rows(one.text, "activity")] == ["刘洋"]
    assert all("刘洋" in r for r in _rows(one.text, "late-reports") if "muted" not in r)
    assert 'data-testid="team-hint"' not in one.text
    assert len(_rows(one.text, "team-lines")) == 1  # the chosen team's line alone, above its rows

    for junk in ("-1", "x", "١", "²", str(2**31 - 1), "0"):
        answer = client.get(f"/work/team?team={junk}", headers=HTML)
        assert answer.status_code == 200, junk
        assert 'data-testid="team-hint"' in answer.text  # no choice: the lines per team again
    beyond = client.get("/work/team?team=99999999999999999999", headers=HTML)
    assert beyond.status_code == 422 and "team" in beyond.text  # SEC-1: an id no row can have


def test_work4_a_department_outside_the_viewers_people_is_no_choice(client, crew, few_rows):
    page_login(client, "gm")
    whole = client.get("/work/team", headers=HTML)
    page_login(client, "sup")  # the supervisor's people are in 销售一部 alone
    mine = client.get(f"/work/team?team={_dept_id(whole.text, '销售二部')}", headers=HTML)
    assert mine.status_code == 200
    assert "销售二部" not in mine.text and 'data-testid="team-lines"' not in mine.text
    names = [re.search(r"<td>([^<]+)</td>", r).group(1) for r in _rows(mine.text, "activity")]
    assert sorted(names) == ["sup", "张伟", "李娜"]  # three people, one team: every row


def test_work4_the_monday_note_opens_last_weeks_activity_named_as_that_week(client, crew):
    page_login(client, "gm")
    this = client.get("/work/team", headers=HTML).text
    before = re.search(r'href="(/work/team\?week=[\d-]+)" data-testid="week-before"', this).group(1)
    past = client.get(before, headers=HTML)
    assert past.status_code == 200
    assert "当周商机行动" in past.text and "本周商机行动" not in past.text
    assert "下一周" in past.text and "下一周" not in this


def test_org3_teams_are_listed_in_counting_order_whatever_their_digits():
    names = ["销售10组", "销售2组", "KA部", "²", "١٢", "销售100组", "销售1组", ""]
    ordered = sorted(names, key=teams.natural_key)
    counted = [ordered.index(n) for n in ("销售1组", "销售2组", "销售10组", "销售100组")]
    assert counted == sorted(counted)
    assert set(ordered) == set(names)  # digits other than ASCII are text, never a 500
