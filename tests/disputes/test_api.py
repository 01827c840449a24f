"""Disputes (DSP-1, DSP-2) end to end through the API, both engines."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from poolcrm.deals.models import Deal
from poolcrm.disputes import service
from poolcrm.disputes.models import Dispute
from poolcrm.org.models import User
from poolcrm.violations.models import Violation
from tests.disputes.conftest import add_customer, at


def _win(client, h, deal_id, signed: date, contract="HT-2026-1"):
    clock.set_now(at(signed, 16), frozen=True)
    resp = client.post(
        f"/api/v1/deals/{deal_id}/win",
        json={"actual_amount": 60000, "contract_no": contract},
        headers=h("rep4"),
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _open(client, h):
    items = client.get("/api/v1/disputes?status=open", headers=h("gm")).json()
    assert len(items) == 1
    return items[0]


def test_dsp1_decided_for_the_owner_from_follow_up_evidence_over_national_day(
    client, h, crm, database, signed_by_other
):
    ids = signed_by_other(date(2026, 9, 30))
    won = _win(client, h, ids["deal"], date(2026, 10, 13))
    assert won["dispute_needed"] is True and won["credited_to"]["id"] == crm["rep1"]
    case = _open(client, h)
    assert case["kind"] == "win" and case["signed_on"] == "2026-10-13"
    assert [c["id"] for c in case["claimants"]] == [crm["rep1"], crm["rep4"]]
    rec = case["recommendation"]
    assert rec["user_id"] == crm["rep1"] and rec["rule"] == "DSP-1" and "4 个工作日" in rec["note"]
    followups = [e for e in rec["evidence"] if e["type"] == "followup"]
    assert followups[0]["date"] == "2026-09-30" and followups[0]["counted"] is True
    decided = client.post(
        f"/api/v1/disputes/{case['id']}/decide",
        json={"winner_user_id": crm["rep1"], "reason": "原负责人节前有效跟进，按制度归原负责人"},
        headers=h("gm"),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "decided" and decided.json()["winner"]["id"] == crm["rep1"]
    with database.transaction() as s:
        deal = s.get(Deal, ids["deal"])
        assert (deal.credited_to, deal.credit_rule, deal.dispute_needed) == (crm["rep1"], "DSP-1", False)
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "dispute.decide"))
        assert audit.rule == "DSP-1" and audit.actor_id == crm["gm"] and "归原负责人" in audit.reason


def test_dsp1_decided_for_the_signer_when_the_owner_idled_and_signing_day_records_do_not_count(
    client, h, crm, database, signed_by_other
):
    ids = signed_by_other(date(2026, 9, 30), same_day=date(2026, 10, 14))
    _win(client, h, ids["deal"], date(2026, 10, 14))
    case = _open(client, h)
    rec = case["recommendation"]
    assert rec["user_id"] == crm["rep4"] and "5 个工作日" in rec["note"]
    same_day = [e for e in rec["evidence"] if e["type"] == "followup" and not e["counted"]]
    assert same_day and same_day[0]["date"] == "2026-10-14" and same_day[0]["note"] == "签单当天的记录不计"
    resp = client.post(
        f"/api/v1/disputes/{case['id']}/decide",
        json={"winner_user_id": crm["rep4"], "reason": "原负责人超过5个工作日未有效跟进"},
        headers=h("gm"),
    )
    assert resp.status_code == 200
    with database.transaction() as s:
        assert s.get(Deal, ids["deal"]).credited_to == crm["rep4"]


def test_dsp1_only_the_gm_decides_a_claimant_with_a_reason_once(client, h, crm, signed_by_other):
    ids = signed_by_other(date(2026, 10, 12))
    _win(client, h, ids["deal"], date(2026, 10, 13))
    case = _open(client, h)
    url = f"/api/v1/disputes/{case['id']}/decide"
    body = {"winner_user_id": crm["rep1"], "reason": "依据跟进记录"}
    assert client.post(url, json=body, headers=h("cs")).status_code == 403
    assert client.get(f"/api/v1/disputes/{case['id']}", headers=h("rep2")).status_code == 404
    assert client.get(f"/api/v1/disputes/{case['id']}", headers=h("rep4")).status_code == 200
    bad = client.post(url, json={"winner_user_id": crm["rep2"], "reason": "x"}, headers=h("gm"))
    assert bad.status_code == 422 and bad.json()["error"]["rule"] == "DSP-1"
    assert "winner_user_id" in bad.json()["error"]["details"]["fields"]
    assert client.post(url, json={"winner_user_id": crm["rep1"]}, headers=h("gm")).status_code == 422
    assert client.post(url, json=body, headers=h("gm")).status_code == 200
    again = client.post(url, json=body, headers=h("gm"))
    assert again.status_code == 409 and again.json()["error"]["message"].startswith("DSP-1")


def test_dsp1_a_rep_claims_a_win_credited_to_someone_else(
    client, h, crm, signed_by_other, database, make_user
):
    """DSP-1a by hand — revised with issue 14: only someone who can see the deal (or its customer)
    may open a case; a peer who cannot gets the 404 of an unknown id, before any other answer."""
    ids = signed_by_other(date(2026, 10, 12))
    lead = make_user("lead", ["supervisor", "sales"], display_name="赵组长")
    with database.transaction() as s:  # the owner signed it; their selling team lead says it was theirs
        d = s.get(Deal, ids["deal"])
        d.owner_id = crm["rep1"]
        s.get(User, crm["rep1"]).supervisor_id = lead
    clock.set_now(at(date(2026, 10, 13), 16), frozen=True)
    client.post(
        f"/api/v1/deals/{ids['deal']}/win",
        json={"actual_amount": 60000, "contract_no": "HT-7"},
        headers=h("rep1"),
    )
    assert client.get("/api/v1/disputes", headers=h("gm")).json() == []
    peer = client.post(
        "/api/v1/disputes", json={"deal_id": ids["deal"], "reason": "客户由我介绍"}, headers=h("rep2")
    )
    unknown = client.post("/api/v1/disputes", json={"deal_id": 99999, "reason": "x"}, headers=h("rep2"))
    assert peer.status_code == unknown.status_code == 404
    assert peer.json()["error"] == unknown.json()["error"]
    resp = client.post(
        "/api/v1/disputes",
        json={"deal_id": ids["deal"], "reason": "客户由我介绍并全程跟进"},
        headers=h("lead"),
    )
    assert resp.status_code == 201, resp.text
    assert [c["id"] for c in resp.json()["claimants"]] == [crm["rep1"], lead]
    again = client.post(
        "/api/v1/disputes", json={"deal_id": ids["deal"], "reason": "再次"}, headers=h("rep3")
    )
    assert again.status_code == 404
    mine = client.post("/api/v1/disputes", json={"deal_id": ids["deal"], "reason": "x"}, headers=h("rep1"))
    assert mine.status_code == 409


def test_dsp2_same_company_in_two_private_pools_earlier_protection_wins(client, h, crm, database):
    with database.transaction() as s:
        early = add_customer(
            s,
            "杭州西湖影像设备有限公司",
            pool="private",
            owner_id=crm["rep1"],
            since=at(date(2026, 10, 1)),
            created_by=crm["rep1"],
        )
        late = add_customer(
            s,
            "杭州西湖影像设备有限公司",
            pool="private",
            owner_id=crm["rep2"],
            since=at(date(2026, 11, 24)),
            created_by=crm["rep2"],
        )
        assert service.two_pools_step(s, date(2026, 11, 25))["disputes_opened"]
        assert service.two_pools_step(s, date(2026, 11, 25))["disputes_opened"] == []  # once
    case = _open(client, h)
    assert case["kind"] == "two_pools" and case["recommendation"]["user_id"] == crm["rep1"]
    assert case["recommendation"]["rule"] == "DSP-2"
    assert {e["customer_id"] for e in case["recommendation"]["evidence"]} == {early.id, late.id}
    resp = client.post(
        f"/api/v1/disputes/{case['id']}/decide",
        json={"winner_user_id": crm["rep1"], "reason": "保护时间较早"},
        headers=h("gm"),
    )
    assert resp.status_code == 200, resp.text
    with database.transaction() as s:
        kept, merged = s.get(Customer, early.id), s.get(Customer, late.id)
        assert kept.owner_id == crm["rep1"] and kept.pool == "private"
        assert merged.pool == "merged" and merged.merged_into_id == early.id
        v = s.scalar(select(Violation).where(Violation.user_id == crm["rep2"]))
        assert v.kind == "forced_duplicate" and v.rule == "CUS-10"


def test_dsp2a_daily_pairs_are_exactly_the_rule_over_every_pair(client, h, crm, database):
    """The step's SQL joins only narrow the search: the pairs it finds are the pairs the rule
    `same_company_in_two_pools` accepts among yesterday's arrivals × all private records."""
    from itertools import product

    from poolcrm.disputes import rules
    from poolcrm.disputes.service import _pool_record

    yesterday, old = at(date(2026, 11, 24)), at(date(2026, 10, 1))
    with database.transaction() as s:
        made = [
            # arrivals of yesterday
            add_customer(s, "杭州甲科技有限公司", pool="private", owner_id=crm["rep1"], since=yesterday),
            add_customer(
                s,
                "杭州乙科技有限公司",
                pool="private",
                owner_id=crm["rep2"],
                since=yesterday,
                phone="+8657188880001",
                mobile="+8613900000001",
            ),  # fmt: skip
            add_customer(
                s, "杭州丙科技有限公司", pool="private", owner_id=crm["rep3"], since=yesterday, phone=""
            ),
            # older records: same name other rep / same owner / public / phone as mobile / mobile as phone
            add_customer(s, "杭州甲科技有限公司", pool="private", owner_id=crm["rep4"], since=old),
            add_customer(s, "杭州甲科技有限公司", pool="private", owner_id=crm["rep1"], since=old),
            add_customer(s, "杭州甲科技", pool="public", since=old),
            add_customer(
                s,
                "宁波丁贸易有限公司",
                pool="private",
                owner_id=crm["rep3"],
                since=old,
                phone="+8613900000001",
            ),  # fmt: skip
            add_customer(
                s,
                "宁波戊贸易有限公司",
                pool="private",
                owner_id=crm["rep1"],
                since=old,
                phone="+8657100000009",
                mobile="+8657188880001",
            ),  # fmt: skip
            add_customer(s, "宁波己贸易有限公司", pool="private", owner_id=crm["rep1"], since=old, phone=""),
        ]
        made[2].phone = made[8].phone = ""  # no phone on either: that is no match
        s.flush()
        records = [_pool_record(c.id, c.name, c.name_key, c.phone, c.mobile, c.owner_id) for c in made]
        expected = sorted(
            (a.id, b.id)
            for a, b in product(
                records[:3], [r for r, c in zip(records, made, strict=True) if c.pool == "private"]
            )
            if rules.same_company_in_two_pools(a, b)
        )
        # 甲 with rep4's 甲 (not rep1's own), 乙's phone as 戊's mobile, 乙's mobile as 丁's phone;
        # empty phones and the public record match nothing
        assert [(made.index(s.get(Customer, a)), made.index(s.get(Customer, b))) for a, b in expected] == [
            (0, 3),
            (1, 6),
            (1, 7),
        ]
        opened = service.two_pools_step(s, date(2026, 11, 25))["disputes_opened"]
        found = sorted(
            tuple(sorted((d.customer_id, d.other_customer_id))) for d in (s.get(Dispute, i) for i in opened)
        )
    assert found == sorted({tuple(sorted(p)) for p in expected})


def test_dsp2_reported_by_cs_and_decided_for_the_later_rep(client, h, crm, database):
    with database.transaction() as s:
        a = add_customer(
            s, "南京钟山信息技术有限公司", pool="private", owner_id=crm["rep1"], since=at(date(2026, 10, 1))
        )
        b = add_customer(
            s, "南京钟山信息技术有限公司", pool="private", owner_id=crm["rep2"], since=at(date(2026, 10, 20))
        )
    resp = client.post(
        "/api/v1/disputes",
        json={"customer_id": a.id, "other_customer_id": b.id, "reason": "客服发现重复"},
        headers=h("cs"),
    )
    assert resp.status_code == 201 and resp.json()["recommendation"]["user_id"] == crm["rep1"]
    assert (
        client.post(
            "/api/v1/disputes",
            json={"customer_id": a.id, "other_customer_id": a.id, "reason": "x"},
            headers=h("cs"),
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/disputes",
            json={"customer_id": a.id, "other_customer_id": b.id, "reason": "x"},
            headers=h("rep3"),
        ).status_code
        == 404  # DSP-2b: two other reps' private customers are none of rep3's
    )
    # MEM-2/DSP-2 (revised): a rep reports a suspected duplicate of their own customer
    by_rep = client.post(
        "/api/v1/disputes",
        json={"customer_id": b.id, "other_customer_id": a.id, "reason": "查重发现与我的客户重复"},
        headers=h("rep2"),
    )
    assert by_rep.status_code == 409 and by_rep.json()["error"]["rule"] == "DSP-2"  # the case is already open
    decided = client.post(
        f"/api/v1/disputes/{resp.json()['id']}/decide",
        json={"winner_user_id": crm["rep2"], "reason": "总经理考虑客户关系，归后保护的销售"},
        headers=h("gm"),
    )
    assert decided.status_code == 200
    with database.transaction() as s:
        assert s.get(Customer, a.id).owner_id == crm["rep2"]  # the kept (earlier) record goes to the winner
        assert s.get(Customer, b.id).pool == "merged"


def test_dsp1_win_by_the_owner_opens_nothing(client, h, crm, signed_by_other, database):
    ids = signed_by_other(date(2026, 10, 12))
    with database.transaction() as s:
        s.get(Deal, ids["deal"]).owner_id = crm["rep1"]
    clock.set_now(at(date(2026, 10, 13) + timedelta(days=1), 16), frozen=True)
    client.post(
        f"/api/v1/deals/{ids['deal']}/win",
        json={"actual_amount": 1, "contract_no": "HT-8"},
        headers=h("rep1"),
    )
    assert client.get("/api/v1/disputes", headers=h("gm")).json() == []
