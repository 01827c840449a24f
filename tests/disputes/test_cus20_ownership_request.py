"""CUS-20 (revised 2026-12-02, 001 §3.1.3): a rep who developed a customer that someone else now
protects files an ownership request with their follow-ups as evidence; it opens a case for the GM,
who gives the customer to one of them (POOL-12 records the move)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from poolcrm.customers.models import Customer
from poolcrm.ownership.models import OwnershipEvent
from tests.disputes.conftest import add_customer, at, valid_followup


def test_cus20_ownership_request_with_evidence_decided_by_the_gm(client, h, crm, database):
    with database.transaction() as s:
        c = add_customer(
            s, "北京友好创达科技有限公司", pool="private", owner_id=crm["rep1"], since=at(date(2026, 10, 8))
        )
        valid_followup(s, c.id, crm["rep2"], at(date(2026, 8, 20), 10))  # rep2 developed it first
        valid_followup(s, c.id, crm["rep1"], at(date(2026, 10, 12), 10))
        cid = c.id
    body = {"customer_id": cid, "reason": "该客户是我八月开发的，有拜访记录"}
    assert client.post("/api/v1/disputes", json=body, headers=h("rep1")).status_code == 409  # own customer
    # rep3 never worked on it and cannot see it: none of theirs, the same 404 as no such customer
    assert client.post("/api/v1/disputes", json=body, headers=h("rep3")).status_code == 404
    resp = client.post("/api/v1/disputes", json=body, headers=h("rep2"))
    assert resp.status_code == 201, resp.text
    case = resp.json()
    assert case["kind"] == "ownership" and [c["id"] for c in case["claimants"]] == [crm["rep1"], crm["rep2"]]
    assert case["recommendation"]["user_id"] == crm["rep2"] and case["recommendation"]["rule"] == "CUS-20"
    assert {e["author_id"] for e in case["recommendation"]["evidence"]} == {crm["rep1"], crm["rep2"]}
    page = client.get(f"/disputes/{case['id']}", headers={**h("gm"), "Accept": "text/html"})
    assert page.status_code == 200 and "客户归属申请" in page.text
    again = client.post("/api/v1/disputes", json=body, headers=h("rep2"))
    assert again.status_code == 409
    decided = client.post(
        f"/api/v1/disputes/{case['id']}/decide",
        json={"winner_user_id": crm["rep2"], "reason": "跟进记录显示由李娜首先开发"},
        headers=h("gm"),
    )
    assert decided.status_code == 200, decided.text
    with database.transaction() as s:
        assert s.get(Customer, cid).owner_id == crm["rep2"]
        event = s.scalars(select(OwnershipEvent).where(OwnershipEvent.customer_id == cid)).all()[-1]
        assert (event.rule, event.to_owner_id) == ("CUS-20", crm["rep2"])
