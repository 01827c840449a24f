"""GOV-4 data-quality dashboard on each engine: each check counts the customers it should, the
figure and its drill-down list agree, the daily snapshot feeds the figures and the 12-month trend,
a supervisor sees their subtree only, and each row of a list links to its fix."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.followups.models import FollowUp
from poolcrm.followups.service import refresh_next_planned
from poolcrm.org import teams
from poolcrm.quality import dashboard
from poolcrm.quality.dashboard import snapshot
from poolcrm.quality.models import QualityFlag, QualityRun
from poolcrm.web.deps import LANG_COOKIE
from tests.conftest import PASSWORD, auth_headers
from tests.pools.conftest import at

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
COMPLETE = {
    "postal_code": "100000",
    "region": "华北",
    "industry": "制造业",
    "source": "展会推广",
    "profile": "扫描仪",
    "contact_position": "经理",
    "mobile": "+8613800000000",
}


@pytest.fixture
def book(org, customers, database):
    clock.set_now(NOW, frozen=True)
    since = at(date(2026, 12, 1))
    mine = dict(pool="private", owner_id=org["rep1"], protected_since=since, last_valid=since)
    ids = {
        "clean": customers(**mine, **COMPLETE),
        "incomplete": customers(**mine, **{**COMPLETE, "region": None}),
        "bad_mail": customers(**mine, **COMPLETE, email="wang.at.example"),
        "twin_a": customers(**mine, **COMPLETE),
        "tier_a": customers(**{**mine, "last_valid": at(date(2026, 11, 20))}, **COMPLETE, tier="A"),
        "ka": customers(
            pool="private", owner_id=org["ka"], protected_since=since, last_valid=since, **COMPLETE
        ),
    }
    ids["twin_b"] = customers(pool="public")
    ids["member"] = customers(**mine, **COMPLETE, member_until=date(2027, 6, 30))
    ids["member_twin"] = customers(pool="public")  # the member's name, another phone
    ids["planned"] = customers(**mine, **COMPLETE)  # its next follow-up was planned for 12-01
    with database.transaction() as s:  # two records with one phone; an old record nobody touched
        twins = Customer.id.in_([ids["twin_a"], ids["twin_b"]])
        s.execute(update(Customer).where(twins).values(phone="+861066668888"))
        s.execute(
            update(Customer).where(Customer.id == ids["clean"]).values(updated_at=NOW - timedelta(days=800))
        )
        member_key = s.get(Customer, ids["member"]).name_key
        s.execute(update(Customer).where(Customer.id == ids["member_twin"]).values(name_key=member_key))
        s.add(
            FollowUp(
                customer_id=ids["planned"],
                author_id=org["rep1"],
                subject="电话",
                content="约好下周一再谈报价",
                content_key="k",
                valid=True,
                next_followup_on=date(2026, 12, 1),
                created_at=at(date(2026, 11, 27)),
            )
        )
        s.flush()
        refresh_next_planned(s, [ids["planned"]])
    return ids


def _counts(client, who):
    return client.get("/api/v1/quality", headers=auth_headers(client, who)).json()


def test_gov4_each_check_counts_what_it_should_and_its_list_agrees(client, book, org):
    board = _counts(client, "gm")
    assert board["as_of"] is None and board["total"] == 8  # live: no snapshot yet
    assert board["counts"] == {
        "grade_fields": 1,
        "bad_contact": 1,
        "unverified": 8,
        "shared_phone": 1,
        "name_conflict": 1,
        "member_duplicate": 1,
        "tier_overdue": 1,
        "reminder_overdue": 1,
        "stale": 1,
    }
    gm = auth_headers(client, "gm")
    expected = {
        "grade_fields": "incomplete",
        "bad_contact": "bad_mail",
        "shared_phone": "twin_a",
        "name_conflict": "member",
        "member_duplicate": "member",
        "tier_overdue": "tier_a",
        "reminder_overdue": "planned",
        "stale": "clean",
    }
    for key, name in expected.items():
        listed = client.get(f"/api/v1/quality/list?check={key}", headers=gm).json()
        assert [c["id"] for c in listed["items"]] == [book[name]] and listed["total"] == 1, key
    assert client.get("/api/v1/quality/list?check=nope", headers=gm).status_code == 422


def test_gov4_a_supervisor_sees_their_subtree_and_not_other_teams(client, book, org):
    sup = _counts(client, "sup")
    assert [r["name"] for r in sup["rows"]] == ["rep1"] and sup["total"] == 7
    sup_h = auth_headers(client, "sup")
    assert (
        client.get(f"/api/v1/quality/list?check=unverified&owner_id={org['ka']}", headers=sup_h).status_code
        == 404
    )
    manager = _counts(client, "manager")
    assert sorted(r["name"] for r in manager["rows"]) == ["ka", "rep1"]


def test_gov4_the_daily_snapshot_feeds_the_figures_and_the_trend(client, book, database):
    with database.transaction() as s:
        assert snapshot(s, date(2026, 11, 30)) == 2
        assert snapshot(s, date(2026, 12, 2)) == 2
        assert snapshot(s, date(2026, 12, 2)) == 2  # the same day again replaces it
    board = _counts(client, "gm")
    assert board["as_of"] == "2026-12-02" and board["counts"]["grade_fields"] == 1
    assert [p["month"] for p in board["trend"]] == ["2026-11", "2026-12"]
    completeness = board["trend"][-1]["completeness"]
    assert completeness == round(100 * 1 / 8, 1)


def test_gov4_dashboard_page_drills_into_a_list_with_the_fix_on_each_row(client, book):
    client.post("/login", data={"username": "gm", "password": PASSWORD, "next": "/"}, follow_redirects=False)
    html = client.get("/quality").text
    assert 'data-testid="figure-grade_fields"' in html and "分级所需字段不全" in html
    listed = client.get("/quality/list?check=grade_fields").text
    assert f'href="/customers/{book["incomplete"]}/edit"' in listed
    tier = client.get("/quality/list?check=tier_overdue").text
    assert f'href="/customers/{book["tier_a"]}/followups"' in tier
    client.cookies.set(LANG_COOKIE, "en")
    assert "Data quality" in client.get("/quality").text


def test_gov4_above_a_page_of_reps_a_line_per_team_then_the_team_chosen(client, book, org, monkeypatch):
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 1)  # rep1 (销售一部) and ka (KA部): two teams
    client.post("/login", data={"username": "gm", "password": PASSWORD, "next": "/"}, follow_redirects=False)
    html = client.get("/quality").text
    lines = re.findall(r'<a href="/quality\?team=(\d+)"><strong>([^<]+)</strong></a>', html)
    assert [name for _, name in lines] == ["KA部", "销售一部"]
    assert 'data-testid="quality-table"' not in html and 'data-testid="team-hint"' in html
    ka_line = re.search(r"<strong>KA部</strong>.*?</tr>", html, flags=re.S).group(0)
    assert re.findall(r'class="n">(\d+)<', ka_line)[:2] == ["1", "1"]  # one rep, one private customer
    chosen = client.get(f"/quality?team={dict((n, i) for i, n in lines)['KA部']}").text
    table = re.search(r'data-testid="quality-table".*?</table>', chosen, flags=re.S).group(0)
    assert f"owner={org['ka']}" in table and f"owner={org['rep1']}" not in table
    assert client.get("/quality?team=x").status_code == 200


def _listed(client, key, who="gm", owner=None):
    query = f"/api/v1/quality/list?check={key}" + (f"&owner_id={owner}" if owner else "")
    body = client.get(query, headers=auth_headers(client, who)).json()
    return [c["id"] for c in body["items"]], body["total"]


def _touch(database, customer_id, **values):
    with database.transaction() as s:
        s.execute(update(Customer).where(Customer.id == customer_id).values(updated_at=clock.now(), **values))


def test_gov4_whole_company_list_reads_the_snapshot_flags_and_what_changed_since(
    client, book, database, customers, org
):
    since = at(date(2026, 12, 1))
    tier_b = customers(  # B: 14 days; last contact 11-20 — overdue from 12-04 (within the horizon)
        pool="private",
        owner_id=org["rep1"],
        protected_since=since,
        last_valid=at(date(2026, 11, 20)),
        tier="B",
    )
    with database.transaction() as s:
        snapshot(s, date(2026, 12, 3))
    assert _listed(client, "bad_contact") == ([book["bad_mail"]], 1)
    assert tier_b not in _listed(client, "tier_overdue")[0]

    clock.set_now(NOW + timedelta(hours=1), frozen=True)  # fixed and broken after the snapshot
    _touch(database, book["bad_mail"], email="wang@example.com")
    _touch(database, book["ka"], email="no-at-sign")
    assert _listed(client, "bad_contact") == ([book["ka"]], 1)
    newcomer = customers(pool="public")  # registered since, with the phone of a private customer
    with database.transaction() as s:
        clean_phone = s.get(Customer, book["clean"]).phone
    _touch(database, newcomer, phone=clean_phone)
    assert book["clean"] in _listed(client, "shared_phone")[0]
    namesake = customers(pool="public")  # and one with the name of another
    with database.transaction() as s:
        planned_key = s.get(Customer, book["planned"]).name_key
    _touch(database, namesake, name_key=planned_key)
    assert book["planned"] in _listed(client, "name_conflict")[0]

    clock.set_now(NOW + timedelta(days=1, hours=1), frozen=True)  # time alone: flagged ahead
    assert tier_b in _listed(client, "tier_overdue")[0]

    # a change that bypasses the record's updated_at reaches one rep's live list at once, the
    # whole-company list only at the next snapshot — or when the flags are too old to trust
    with database.transaction() as s:
        s.execute(update(Customer).where(Customer.id == book["incomplete"]).values(email="bad"))
    assert book["incomplete"] in _listed(client, "bad_contact", owner=org["rep1"])[0]
    assert book["incomplete"] not in _listed(client, "bad_contact")[0]
    clock.set_now(NOW + timedelta(days=3), frozen=True)
    assert book["incomplete"] in _listed(client, "bad_contact")[0]


def test_gov4_a_check_failing_too_often_for_flags_is_listed_live(client, book, database, monkeypatch):
    monkeypatch.setattr(dashboard, "FLAG_CAP", 2)
    with database.transaction() as s:
        snapshot(s, date(2026, 12, 3))
        run = s.query(QualityRun).one()
        assert run.capped == ["unverified"]
        assert s.query(QualityFlag).filter_by(check_key="unverified").count() == 2
    assert _listed(client, "unverified")[1] == 8
