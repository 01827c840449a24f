"""VIO-2's spot checks and VIO-3's assessments list a whole sales force (1,000 reps and more at
`demo --staff 1000`, issue 22): their pages and API run as many statements for many rows as for
one — no read per row of its follow-up, customer, author or of the viewer's right to confirm."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from poolcrm import clock
from poolcrm.org import teams
from poolcrm.violations import pages as violation_pages
from poolcrm.violations.models import Assessment, SpotCheck
from tests.conftest import counted
from tests.violations.conftest import add_customer, add_followups
from tests.web.helpers import HTML

REPS = ("rep1", "rep2", "rep3", "rep4")
_NAMES = itertools.count(1)


def _assessments(database, crm, reps, months) -> None:
    with database.transaction() as s:
        for month in months:
            for rep in reps:
                s.add(
                    Assessment(
                        month=month,
                        user_id=crm[rep],
                        missing_fields=1,
                        invalid_followups=0,
                        overdue_deals=0,
                        fake_followups=0,
                        score=0,
                        details={},
                        created_at=clock.now(),
                    )
                )


def _spot_checks(database, crm, reps, per_rep: int) -> None:
    with database.transaction() as s:
        for rep in reps:
            for _ in range(per_rep):
                customer = add_customer(s, f"抽查客户{next(_NAMES)}号", pool="private", owner_id=crm[rep])
                (followup,) = add_followups(s, customer.id, crm[rep], 1, start=date(2026, 11, 24))
                s.add(
                    SpotCheck(
                        day=date(2026, 11, 25),
                        followup_id=followup,
                        author_id=crm[rep],
                        created_at=clock.now(),
                    )
                )


@pytest.mark.parametrize(
    ("who", "url"),
    [("sup", "/violations/assessments"), ("sup", "/api/v1/assessments"), ("gm", "/api/v1/assessments")],
)
def test_vio3_assessments_run_as_many_statements_for_many_reps_as_for_one(client, h, crm, database, who, url):
    _assessments(database, crm, REPS[:1], [202609])
    client.get(url, headers=h(who))  # warm: the policy and the session are read once per process
    with counted(database) as few:
        assert client.get(url, headers=h(who)).status_code == 200
    _assessments(database, crm, REPS, [202610, 202611])
    with counted(database) as many:
        body = client.get(url, headers=h(who))
    assert body.status_code == 200
    assert len(many) == len(few), "\n".join(many)
    if url.startswith("/api"):
        assert len(body.json()) == (9 if who == "gm" else 7)  # sup: the three reps of 销售一部
        assert all(a["user"] for a in body.json())


@pytest.mark.parametrize("url", ["/violations/spot-checks", "/api/v1/spot-checks"])
def test_vio2_spot_checks_run_as_many_statements_for_many_as_for_one(client, h, crm, database, url):
    _spot_checks(database, crm, REPS[:1], 1)
    client.get(url, headers=h("cs"))
    with counted(database) as few:
        assert client.get(url, headers=h("cs")).status_code == 200
    _spot_checks(database, crm, REPS, 3)
    with counted(database) as many:
        body = client.get(url, headers=h("cs"))
    assert body.status_code == 200
    assert len(many) == len(few), "\n".join(many)
    if url.startswith("/api"):
        items = body.json()
        assert len(items) == 13
        assert all(i["author"]["display_name"] and i["followup"]["customer"]["name"] for i in items)


def test_vio3_assessments_page_a_line_per_team_then_the_team_chosen(client, h, crm, database, monkeypatch):
    """Above a page of reps (`org.teams`) the GM sees a line per team — reps, assessments, the
    average score, how many wait for their confirmation — and the chosen team's rows."""
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 2)
    _assessments(database, crm, REPS, (202610, 202611))  # rep1..rep3 销售一部, rep4 销售二部
    page = client.get("/violations/assessments", headers={**HTML, **h("gm")}).text
    body = re.search(r'data-testid="assessment-teams".*?<tbody>(.*?)</tbody>', page, flags=re.S).group(1)
    figure = r'class="num"[^>]*>(?:<span[^>]*>)?([\d.]+)<'
    lines = {
        re.search(r">([^<>]+)</a>", row).group(1): re.findall(figure, row)
        for row in re.findall(r"<tr>.*?</tr>", body, flags=re.S)
    }
    assert lines["销售一部"][:3] == ["3", "6", "0.0"] and lines["销售二部"][:3] == ["1", "2", "0.0"]
    assert 'data-testid="assessments"' not in page
    second = re.search(r'<option value="(\d+)" >销售二部</option>', page).group(1)
    url = f"/violations/assessments?team={second}&month=202611"
    chosen = client.get(url, headers={**HTML, **h("gm")}).text
    rows = re.search(r'data-testid="assessments".*?</table>', chosen, flags=re.S).group(0)
    assert rows.count("<tr>") == 2 and "刘洋" in rows  # the header and rep4's November


def test_vio2_the_spot_check_queue_a_page_at_a_time_with_its_count(client, h, crm, database, monkeypatch):
    """A nationwide company's day draws thousands of spot checks: CS's page counts them and pages."""
    monkeypatch.setattr(violation_pages, "SPOT_PAGE", 2)
    _spot_checks(database, crm, REPS, 1)

    def listed(query: str) -> tuple[int, str]:
        html = client.get(f"/violations/spot-checks{query}", headers={**HTML, **h("cs")}).text
        table = re.search(r'data-testid="spot-checks".*?</table>', html, flags=re.S).group(0)
        return table.count('action="/violations/spot-checks/'), html

    rows, first = listed("")
    assert rows == 2 and "待抽查 4 条" in first and 'data-testid="spot-pager"' in first
    assert listed("?page=2")[0] == 2 and listed("?page=9")[0] == 2 and listed("?page=x")[0] == 2
