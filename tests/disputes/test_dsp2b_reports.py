"""DSP-2b (ours): a report of two records as one company is a case only when CUS-7 finds them
alike; a record the reporter cannot see stays unseen; nobody decides a case they are a party to."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from poolcrm.customers.models import Customer
from poolcrm.disputes.models import Dispute
from tests.disputes.conftest import add_customer, at


def _report(client, h, who, a, b):
    return client.post(
        "/api/v1/disputes",
        json={"customer_id": a, "other_customer_id": b, "reason": "查重发现重复"},
        headers=h(who),
    )


def _private(database, name, owner, day=date(2026, 10, 1), **kw):
    with database.transaction() as s:
        return add_customer(s, name, pool="private", owner_id=owner, since=at(day), **kw).id


def test_dsp2b_two_different_companies_reported_as_one_are_refused(client, h, crm, database):
    a = _private(database, "南京钟山信息技术有限公司", crm["rep1"])
    b = _private(database, "苏州金鸡湖纺织贸易有限公司", crm["rep2"])
    resp = _report(client, h, "cs", a, b)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "DSP-2", resp.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Dispute)) == 0
        assert {s.get(Customer, a).pool, s.get(Customer, b).pool} == {"private"}


def test_dsp2b_a_rep_learns_nothing_of_a_customer_they_cannot_see(client, h, crm, database):
    mine = _private(database, "南京钟山信息技术有限公司", crm["rep1"])
    theirs = _private(database, "西安大雁塔餐饮管理有限公司", crm["rep4"])  # another department's
    missing = _report(client, h, "rep1", mine, 99_999_999)
    hidden = _report(client, h, "rep1", mine, theirs)
    assert missing.status_code == hidden.status_code == 404
    assert hidden.json() == missing.json()
    # the same company in rep4's pool is what rep1's duplicate check shows him: he may report it
    twin = _private(database, "南京钟山信息技术有限公司", crm["rep4"], day=date(2026, 10, 20))
    assert _report(client, h, "rep1", mine, twin).status_code == 201


def test_cus20_a_customer_never_worked_on_and_unseen_is_404_like_none(client, h, crm, database):
    theirs = _private(database, "西安大雁塔餐饮管理有限公司", crm["rep4"])
    body = {"reason": "我先开发的"}
    hidden = client.post("/api/v1/disputes", json={**body, "customer_id": theirs}, headers=h("rep1"))
    missing = client.post("/api/v1/disputes", json={**body, "customer_id": 99_999_999}, headers=h("rep1"))
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()


def test_dsp2_nobody_decides_a_case_they_are_a_party_to(client, h, crm, database, make_user):
    boss = make_user("boss", ["sales", "gm"], supervisor_id=crm["gm"], display_name="赵总")
    a = _private(database, "南京钟山信息技术有限公司", crm["rep1"])
    b = _private(database, "南京钟山信息技术有限公司", boss, day=date(2026, 10, 20))
    case = _report(client, h, "cs", a, b).json()
    own = client.post(
        f"/api/v1/disputes/{case['id']}/decide",
        json={"winner_user_id": boss, "reason": "我赢"},
        headers=h("boss"),
    )
    assert own.status_code == 403 and own.json()["error"]["rule"] == "DSP-2"
    page = client.get(f"/disputes/{case['id']}", headers={**h("boss"), "Accept": "text/html"})
    assert page.status_code == 200 and "/decide" not in page.text
    with database.transaction() as s:
        assert s.get(Customer, b).pool == "private" and s.get(Dispute, case["id"]).status == "open"
    other = client.post(
        f"/api/v1/disputes/{case['id']}/decide",
        json={"winner_user_id": crm["rep1"], "reason": "保护时间较早"},
        headers=h("gm"),
    )
    assert other.status_code == 200, other.text
