"""Deals API, one test per rule (DEAL-1..10, DSP-3, WORK-4, CUS-12, ORG-5, POOL-15), both engines."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from tests.deals.conftest import NOW, TODAY, deal_body


def test_deal1_refuses_a_deal_on_a_distributor(client, h, team, make_customer):
    dist = make_customer(team["rep"], customer_type="distributor")
    resp = client.post("/api/v1/deals", json=deal_body(dist), headers=h("rep"))
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["rule"] == "DEAL-1" and err["message"].startswith("DEAL-1")


def test_deal1_distributor_attached_as_channel_only(client, h, team, make_customer, new_deal):
    dist = make_customer(team["rep"], customer_type="distributor", name="上海渠道商贸有限公司")
    deal = new_deal(channel_customer_id=dist)
    assert deal["channel_customer"]["name"] == "上海渠道商贸有限公司"
    direct = make_customer(team["rep"])
    resp = client.post(
        "/api/v1/deals",
        json=deal_body(make_customer(team["rep"]), channel_customer_id=direct),
        headers=h("rep"),
    )
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-1"


def test_deal8_number_is_customer_code_op_sequence(client, h, team, make_customer, new_deal):
    cid = make_customer(team["rep"], code="ABC2026777")
    first, second = new_deal(customer_id=cid), new_deal(customer_id=cid, name="第二期")
    assert (first["number"], second["number"]) == ("ABC2026777OP001", "ABC2026777OP002")
    other = new_deal()
    assert other["number"].endswith("OP001")


def test_deal2_stage_below_the_category_floor_refused(client, h, team, make_customer):
    cid = make_customer(team["rep"])
    for category, stage in (("short", 2), ("mid", 1), ("lead", 0)):
        resp = client.post(
            "/api/v1/deals", json=deal_body(cid, category=category, stage=stage), headers=h("rep")
        )
        assert resp.status_code == 422, (category, resp.text)
        assert resp.json()["error"]["rule"] == "DEAL-2"
        assert "stage" in resp.json()["error"]["details"]["fields"]
    resp = client.post(
        "/api/v1/deals",
        json=deal_body(cid, category="lead", stage=1, expected_close_on="2027-09-01"),
        headers=h("rep"),
    )
    assert resp.status_code == 201 and resp.json()["warnings"] == []


def test_deal2_a_close_date_past_the_categorys_horizon_is_refused(client, h, team, make_customer, new_deal):
    """DEAL-2: short closes within 3 months, mid within 12 (policy numbers). A short deal expected
    in 2199 was created: now 422 DEAL-2 naming expected_close_on, on create and on edit, nothing
    stored. A lead expected within a year is only warned about (a lead's date may be unknown)."""
    cid = make_customer(team["rep"])
    for category, stage, close_on in (
        ("short", 3, "2199-12-31"),
        ("short", 3, "2026-06-11"),
        ("mid", 2, "2027-03-11"),
    ):
        body = deal_body(cid, category=category, stage=stage, expected_close_on=close_on)
        resp = client.post("/api/v1/deals", json=body, headers=h("rep"))
        assert resp.status_code == 422, (category, close_on)
        error = resp.json()["error"]
        assert error["rule"] == "DEAL-2" and set(error["details"]["fields"]) == {"expected_close_on"}
    assert client.get("/api/v1/deals", headers=h("rep")).json()["total"] == 0
    short = new_deal(category="short", stage=3, expected_close_on="2026-06-10")
    assert short["warnings"] == []
    mid = new_deal(category="mid", stage=2, expected_close_on="2027-03-10")
    lead = new_deal(category="lead", stage=1, expected_close_on="2026-12-01")
    assert [w["rule"] for w in lead["warnings"]] == ["DEAL-2"]
    far = client.patch(
        f"/api/v1/deals/{short['id']}", json={"expected_close_on": "2199-12-31"}, headers=h("rep")
    )
    assert far.status_code == 422 and far.json()["error"]["rule"] == "DEAL-2"
    to_short = {"category": "short", "stage": 3, "status": "focus", "expected_close_on": "2027-03-10"}
    resp = client.patch(f"/api/v1/deals/{mid['id']}", json=to_short, headers=h("rep"))
    assert resp.status_code == 422 and set(resp.json()["error"]["details"]["fields"]) == {"expected_close_on"}
    assert client.get(f"/api/v1/deals/{mid['id']}", headers=h("rep")).json()["category"] == "mid"
    renamed = client.patch(f"/api/v1/deals/{mid['id']}", json={"name": "新名称"}, headers=h("rep"))
    assert renamed.status_code == 200


def test_deal2_category_change_needs_stage_status_and_close_date(client, h, new_deal):
    deal = new_deal(category="mid", stage=2, expected_close_on="2026-09-30")
    resp = client.patch(f"/api/v1/deals/{deal['id']}", json={"category": "short"}, headers=h("rep"))
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["rule"] == "DEAL-2"
    assert set(err["details"]["fields"]) == {"stage", "status", "expected_close_on"}
    resp = client.patch(
        f"/api/v1/deals/{deal['id']}",
        json={"category": "short", "stage": 2, "status": "focus", "expected_close_on": "2026-05-30"},
        headers=h("rep"),
    )
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-2"  # short needs stage ≥ 3
    resp = client.patch(
        f"/api/v1/deals/{deal['id']}",
        json={"category": "short", "stage": 4, "status": "focus", "expected_close_on": "2026-05-30"},
        headers=h("rep"),
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["category"], resp.json()["stage"], resp.json()["status"]) == ("short", 4, "focus")
    history = client.get(f"/api/v1/deals/{deal['id']}/history", headers=h("rep")).json()
    assert [(x["category"], x["stage"]) for x in history] == [("mid", 2), ("short", 4)]


def test_deal2_won_and_lost_only_through_win_and_lose(client, h, new_deal):
    deal = new_deal()
    resp = client.patch(
        f"/api/v1/deals/{deal['id']}",
        json={"category": "won", "stage": 10, "status": "active", "expected_close_on": "2026-05-30"},
        headers=h("rep"),
    )
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "DEAL-8"


def test_deal2_lead_stays_at_stage_one_until_recategorised(client, h, new_deal):
    lead = new_deal(category="lead", stage=1, expected_close_on="2027-09-01")
    resp = client.patch(f"/api/v1/deals/{lead['id']}", json={"stage": 2}, headers=h("rep"))
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-2"


def test_deal2_category_floors_are_data_an_admin_edits(client, h, team, make_customer):
    cats = {c["category"]: c for c in client.get("/api/v1/deals/categories", headers=h("rep")).json()}
    assert (cats["short"]["min_stage"], cats["short"]["reminder_days"]) == (3, 7)
    assert (cats["lead"]["min_stage"], cats["lead"]["max_stage"], cats["lead"]["reminder_days"]) == (1, 1, 15)
    assert (
        client.put(
            "/api/v1/deals/categories/short", json={"min_stage": 4, "max_stage": 10}, headers=h("rep")
        ).status_code
        == 403
    )
    resp = client.put(
        "/api/v1/deals/categories/short", json={"min_stage": 4, "max_stage": 10}, headers=h("admin")
    )
    assert resp.status_code == 200
    resp = client.post("/api/v1/deals", json=deal_body(make_customer(team["rep"]), stage=3), headers=h("rep"))
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-2"
    bad = client.put(
        "/api/v1/deals/categories/mid", json={"min_stage": 5, "max_stage": 2}, headers=h("admin")
    )
    assert bad.status_code == 422


def test_deal3_stage_table_from_the_seed_editable_by_admin(client, h, new_deal):
    stages = client.get("/api/v1/deals/stages", headers=h("rep")).json()
    assert [s["probability"] for s in stages] == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert stages[1]["customer_desc"] == "有业务需求" and stages[1]["agent_desc"] == "口头承诺合作"
    assert stages[10]["customer_desc"] == "实施完毕并成功收款"
    deal = new_deal(stage=4)
    assert deal["probability"] == 40 and deal["weighted_amount"] == round(deal["amount"] * 0.4, 2)
    body = {
        "probability": 45,
        "customer_desc": "确定财务计划已批准",
        "agent_desc": "代理商接受我公司的价格政策",
    }
    assert client.put("/api/v1/deals/stages/4", json=body, headers=h("rep")).status_code == 403
    assert client.put("/api/v1/deals/stages/4", json=body, headers=h("admin")).status_code == 200
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=h("rep")).json()["probability"] == 45
    body["probability"] = 95  # above stage 5's 50%: probabilities never decrease
    resp = client.put("/api/v1/deals/stages/4", json=body, headers=h("admin"))
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-3"
    audit = client.get("/api/v1/audit?object_type=deal_stage", headers=h("admin"))
    assert audit.status_code in (200, 404)


def test_deal4_intention_products_and_details_required(client, h, team, make_customer):
    cid = make_customer(team["rep"])
    body = deal_body(
        cid,
        intention="手机",
        products=[],
        details={"purchase_reason": "x", "purchase_form": "", "budget": "1万"},
    )
    resp = client.post("/api/v1/deals", json=body, headers=h("rep"))
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["rule"] == "DEAL-4"
    assert {
        "intention",
        "products",
        "details.purchase_form",
        "details.requirements",
        "details.execution_time",
        "details.competitors",
    } <= set(err["details"]["fields"])


def test_deal4_totals_computed_and_intentions_from_policy(client, h, team, make_customer, new_deal):
    deal = new_deal()
    assert deal["amount"] == 4 * 12500 + 8000
    assert [p["line_total"] for p in deal["products"]] == [50000, 8000]
    cid = make_customer(team["rep"])
    assert (
        client.post("/api/v1/deals", json=deal_body(cid, intention="服务器"), headers=h("rep")).status_code
        == 422
    )
    cats = ["扫描仪", "存储系统", "软件", "打印机", "耗材", "综合设备", "服务器"]
    assert (
        client.patch("/api/v1/policy", json={"deal_product_categories": cats}, headers=h("admin")).status_code
        == 200
    )
    assert (
        client.post("/api/v1/deals", json=deal_body(cid, intention="服务器"), headers=h("rep")).status_code
        == 201
    )


def test_deal5_default_close_date_refused(client, h, team, make_customer, new_deal):
    cid = make_customer(team["rep"])
    default = (TODAY + timedelta(days=1)).isoformat()
    resp = client.post("/api/v1/deals", json=deal_body(cid, expected_close_on=default), headers=h("rep"))
    assert resp.status_code == 422
    assert resp.json()["error"]["rule"] == "DEAL-5"
    assert "expected_close_on" in resp.json()["error"]["details"]["fields"]
    deal = new_deal()
    resp = client.patch(f"/api/v1/deals/{deal['id']}", json={"expected_close_on": default}, headers=h("rep"))
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-5"
    en = client.post(
        "/api/v1/deals",
        json=deal_body(cid, expected_close_on=default),
        headers={**h("rep"), "Accept-Language": "en"},
    )
    assert en.json()["error"]["message"].startswith("DEAL-5: ") and "default" in en.json()["error"]["message"]


def test_deal8_win_needs_amount_and_contract_then_signed_customer_closed_won_when_paid(
    client, h, database, new_deal, pay_in_full
):
    deal = new_deal()
    resp = client.post(f"/api/v1/deals/{deal['id']}/win", json={"actual_amount": 0}, headers=h("rep"))
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-8"
    assert set(resp.json()["error"]["details"]["fields"]) == {"actual_amount", "contract_no"}
    resp = client.post(
        f"/api/v1/deals/{deal['id']}/win",
        json={"actual_amount": 57000, "contract_no": "HT-2026-001"},
        headers=h("rep"),
    )
    assert resp.status_code == 200, resp.text
    signed = resp.json()
    assert (signed["category"], signed["stage"], signed["status"]) == ("signed", 8, "signed")
    assert signed["credited_to"]["id"] == signed["owner"]["id"] and signed["dispute_needed"] is False
    contract = signed["contract"]
    assert (contract["number"], contract["status"], contract["outstanding"]) == (
        "HT-2026-001",
        "pending_approval",
        57000.0,
    )
    with database.transaction() as s:
        customer = s.get(Customer, deal["customer_id"])
        assert customer.status == "closed"
        audit = s.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "customer",
                AuditEntry.action == "customer.status",
                AuditEntry.object_id == str(customer.id),
            )
        ).all()
        assert [a.after["status"] for a in audit] == ["intent", "closed"]
        assert audit[-1].rule == "CUS-12"
    again = client.post(
        f"/api/v1/deals/{deal['id']}/win", json={"actual_amount": 1, "contract_no": "X"}, headers=h("rep")
    )
    assert again.status_code == 409 and again.json()["error"]["rule"] == "DEAL-8"
    won = pay_in_full(deal["id"])
    assert (won["category"], won["stage"], won["status"]) == ("won", 10, "won")
    assert won["contract"]["status"] == "paid" and won["contract"]["outstanding"] == 0


def test_ctr1_contract_number_recorded_once(client, h, new_deal):
    a, b = new_deal(), new_deal()
    body = {"actual_amount": 1000, "contract_no": "HT-1"}
    assert client.post(f"/api/v1/deals/{a['id']}/win", json=body, headers=h("rep")).status_code == 200
    resp = client.post(f"/api/v1/deals/{b['id']}/win", json=body, headers=h("rep"))
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CTR-1"


def test_deal8_lose_needs_a_reason_and_sets_stage_zero(client, h, new_deal):
    deal = new_deal()
    resp = client.post(f"/api/v1/deals/{deal['id']}/lose", json={"reason": "  "}, headers=h("rep"))
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-8"
    resp = client.post(
        f"/api/v1/deals/{deal['id']}/lose", json={"reason": "客户预算取消，项目暂停"}, headers=h("rep")
    )
    assert resp.status_code == 200
    assert (resp.json()["category"], resp.json()["stage"], resp.json()["lost_reason"]) == (
        "lost",
        0,
        "客户预算取消，项目暂停",
    )
    progress = client.get(f"/api/v1/deals/{deal['id']}/progress", headers=h("rep")).json()
    assert progress[0]["details"] == "客户预算取消，项目暂停"


def test_dsp3_win_on_member_open_for_redevelopment_credited_to_winner(
    client, h, team, make_customer, new_deal
):
    from poolcrm.deals.signals import deal_signed

    seen = []
    hook = deal_signed.connect(
        lambda session, deal, actor: seen.append((deal.credited_to, deal.dispute_needed, actor.id))
    )
    try:
        cid = make_customer(
            team["rep"], member_until=TODAY + timedelta(days=200), open_for_redevelopment=True
        )
        deal = new_deal("other", customer_id=cid)
        assert deal["owner"]["id"] == team["other"]
        won = client.post(
            f"/api/v1/deals/{deal['id']}/win",
            json={"actual_amount": 9000, "contract_no": "HT-9"},
            headers=h("other"),
        ).json()
        assert won["credited_to"]["id"] == team["other"] and won["credit_rule"] == "DSP-3"
        assert seen == [(team["other"], False, team["other"])]
    finally:
        deal_signed.disconnect(hook)


def test_dsp1_win_by_non_owner_flags_a_dispute(client, h, team, database, make_customer, new_deal):
    cid = make_customer(team["rep"], member_until=TODAY + timedelta(days=200), open_for_redevelopment=True)
    deal = new_deal("other", customer_id=cid)
    with database.transaction() as s:  # membership maintained again: no longer open for redevelopment
        s.get(Customer, cid).open_for_redevelopment = False
    won = client.post(
        f"/api/v1/deals/{deal['id']}/win",
        json={"actual_amount": 9000, "contract_no": "HT-10"},
        headers=h("other"),
    ).json()
    assert (
        won["credited_to"]["id"] == team["rep"]
        and won["dispute_needed"] is True
        and won["credit_rule"] == "DSP-1"
    )
    notes = client.get("/api/v1/notifications", headers=h("rep"))
    assert notes.status_code == 200 and "DSP-1" in notes.text


def test_deal10_only_the_owner_side_opens_deals(client, h, team, make_customer):
    cid = make_customer(team["rep"])
    assert client.post("/api/v1/deals", json=deal_body(cid), headers=h("other")).status_code == 404
    resp = client.post("/api/v1/deals", json=deal_body(cid), headers=h("sup"))
    assert resp.status_code == 201 and resp.json()["owner"]["id"] == team["rep"]
    public = make_customer(None)
    resp = client.post("/api/v1/deals", json=deal_body(public), headers=h("rep"))
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "DEAL-10"


def test_org5_deals_scoped_by_the_tree(client, h, team, new_deal):
    mine = new_deal("rep")
    theirs = new_deal("other")
    assert client.get(f"/api/v1/deals/{theirs['id']}", headers=h("rep")).status_code == 404
    assert client.get(f"/api/v1/deals/{mine['id']}", headers=h("sup")).status_code == 200
    assert client.get(f"/api/v1/deals/{mine['id']}", headers=h("rep2")).status_code == 404
    listed = client.get("/api/v1/deals", headers=h("rep")).json()
    assert [d["id"] for d in listed["items"]] == [mine["id"]] and listed["total"] == 1
    assert client.get("/api/v1/deals", headers=h("admin")).json()["total"] == 2
    assert client.get(f"/api/v1/deals/{mine['id']}", headers=h("cs")).status_code == 200
    resp = client.patch(f"/api/v1/deals/{mine['id']}", json={"stage": 5}, headers=h("cs"))
    assert resp.status_code == 403
    assert client.patch(f"/api/v1/deals/{mine['id']}", json={"stage": 5}, headers=h("sup")).status_code == 200


def test_deal_list_filters(client, h, team, new_deal):
    new_deal(category="short", stage=3)
    new_deal(category="mid", stage=5, expected_close_on="2026-10-01")
    lead = new_deal(category="lead", stage=1, expected_close_on="2027-10-01")
    base = "/api/v1/deals"
    assert client.get(f"{base}?category=mid", headers=h("rep")).json()["total"] == 1
    assert client.get(f"{base}?stage=1", headers=h("rep")).json()["items"][0]["id"] == lead["id"]
    assert client.get(f"{base}?owner=me", headers=h("rep")).json()["total"] == 3
    assert client.get(f"{base}?owner={team['rep']}", headers=h("sup")).json()["total"] == 3
    assert client.get(f"{base}?owner={team['rep2']}", headers=h("sup")).json()["total"] == 0
    assert client.get(f"{base}?category=bogus", headers=h("rep")).status_code == 422
    assert client.get(f"{base}?owner=&category=&stage=", headers=h("rep")).json()["total"] == 3
    assert client.get(f"{base}?stage=11", headers=h("rep")).status_code == 422


def test_deal7_monthly_statistics_count_each_deal_once_in_latest_category(client, h, new_deal):
    lead = new_deal(category="lead", stage=1, expected_close_on="2027-09-01")
    client.patch(
        f"/api/v1/deals/{lead['id']}",
        json={"category": "mid", "stage": 2, "status": "active", "expected_close_on": "2026-12-01"},
        headers=h("rep"),
    )
    client.patch(
        f"/api/v1/deals/{lead['id']}",
        json={"category": "short", "stage": 3, "status": "focus", "expected_close_on": "2026-05-01"},
        headers=h("rep"),
    )
    rows = client.get("/api/v1/deals/analytics?period=2026-03&by=category", headers=h("rep")).json()["rows"]
    assert [(r["key"], r["count"]) for r in rows] == [("short", 1)]
    clock.set_now(NOW + timedelta(days=31), frozen=True)  # April: unchanged, still counted, once
    rows = client.get("/api/v1/deals/analytics?period=2026-04&by=category", headers=h("rep")).json()["rows"]
    assert [(r["key"], r["count"]) for r in rows] == [("short", 1)]
    client.post(
        f"/api/v1/deals/{lead['id']}/win",
        json={"actual_amount": 70000, "contract_no": "HT-7"},
        headers=h("rep"),
    )
    rows = client.get("/api/v1/deals/analytics?period=2026-04&by=category", headers=h("rep")).json()["rows"]
    assert [(r["key"], r["count"], r["amount"]) for r in rows] == [("signed", 1, 70000.0)]
    march = client.get("/api/v1/deals/analytics?period=2026-03&by=category", headers=h("rep")).json()["rows"]
    assert [(r["key"], r["count"]) for r in march] == [("short", 1)]


def test_deal9_analytics_by_stage_owner_category_with_weighted_pipeline(
    client, h, team, new_deal, pay_in_full
):
    a = new_deal("rep", stage=4)  # 58000 at 40 %
    new_deal("rep2", category="mid", stage=2, expected_close_on="2026-10-01")  # 58000 at 20 %
    new_deal("other", stage=5)
    by_stage = client.get("/api/v1/deals/analytics?period=2026-03&by=stage", headers=h("sup")).json()
    assert {r["key"]: (r["count"], r["amount"], r["weighted_amount"]) for r in by_stage["rows"]} == {
        "2": (1, 58000.0, 11600.0),
        "4": (1, 58000.0, 23200.0),
    }
    conv = {(c["from"], c["to"]): c for c in by_stage["conversion"]}
    assert conv[(2, 3)]["reached"] == 2 and conv[(2, 3)]["advanced"] == 1 and conv[(2, 3)]["rate"] == 0.5
    by_owner = client.get("/api/v1/deals/analytics?period=2026-03&by=owner", headers=h("admin")).json()
    assert sorted(r["label"] for r in by_owner["rows"]) == ["刘洋", "张伟", "李娜"]
    mine = client.get("/api/v1/deals/analytics?period=2026-03&by=owner", headers=h("rep")).json()
    assert [r["key"] for r in mine["rows"]] == [str(team["rep"])]
    team_rows = client.get("/api/v1/deals/analytics?period=2026-03&by=team", headers=h("admin")).json()[
        "rows"
    ]
    assert sorted(r["label"] for r in team_rows) == ["销售一部", "销售二部"]
    client.post(
        f"/api/v1/deals/{a['id']}/win", json={"actual_amount": 60000, "contract_no": "HT-A"}, headers=h("rep")
    )
    pay_in_full(a["id"])
    clock.set_now(NOW + timedelta(days=5), frozen=True)
    totals = client.get("/api/v1/deals/analytics?period=2026-03", headers=h("admin")).json()["totals"]
    assert totals["won"] == 1 and totals["win_rate"] == 1.0 and totals["avg_cycle_days"] == 0
    trend = client.get("/api/v1/deals/analytics/trend?period=2026-03&months=3", headers=h("admin")).json()
    assert trend["months"] == ["2026-01", "2026-02", "2026-03"]
    assert trend["count"]["won"] == [0, 0, 1] and trend["amount"]["won"][-1] == 60000.0
    assert client.get("/api/v1/deals/analytics?period=2026-13", headers=h("rep")).status_code == 422
    assert client.get("/api/v1/deals/analytics?by=colour", headers=h("rep")).status_code == 422


def test_pool15_open_deals_move_with_the_customer(client, h, team, database, new_deal):
    from poolcrm.ownership.moves import move_customer

    open_deal = new_deal()
    closed = new_deal(customer_id=open_deal["customer_id"], name="旧项目")
    client.post(f"/api/v1/deals/{closed['id']}/lose", json={"reason": "客户选择了竞争对手"}, headers=h("rep"))
    with database.transaction() as s:
        customer = s.get(Customer, open_deal["customer_id"])
        move_customer(
            s,
            customer,
            to_pool="private",
            to_owner_id=team["rep2"],
            rule="POOL-9",
            reason="调整",
            actor_id=team["admin"],
        )
    assert (
        client.get(f"/api/v1/deals/{open_deal['id']}", headers=h("rep2")).json()["owner"]["id"]
        == team["rep2"]
    )
    assert (
        client.get(f"/api/v1/deals/{closed['id']}", headers=h("admin")).json()["owner"]["id"] == team["rep"]
    )


def test_deal2_reminders_at_the_category_cadence_deduped_and_overdue_flagged(
    client, h, team, database, new_deal
):
    from poolcrm.deals.reminders import run_reminders
    from poolcrm.notify.models import Notification

    short = new_deal(category="short", stage=3)
    mid = new_deal(category="mid", stage=2, expected_close_on="2026-10-01")
    with database.transaction() as s:
        assert run_reminders(s, TODAY + timedelta(days=6))["deals_reminded"] == []
    with database.transaction() as s:
        assert run_reminders(s, TODAY + timedelta(days=7))["deals_reminded"] == [short["id"]]
    with database.transaction() as s:
        result = run_reminders(s, TODAY + timedelta(days=8))
        assert result["deals_reminded"] == [] and result["deals_overdue"] == [short["id"]]
    with database.transaction() as s:
        assert run_reminders(s, TODAY + timedelta(days=15))["deals_reminded"] == [mid["id"]]
        notes = s.scalars(select(Notification).where(Notification.user_id == team["rep"])).all()
        assert len(notes) == 2 and {n.rule for n in notes} == {"DEAL-2"}
    clock.set_now(NOW + timedelta(days=9), frozen=True)
    got = client.get(f"/api/v1/deals/{short['id']}", headers=h("rep")).json()
    assert got["overdue"] is True and got["due_on"] == "2026-03-17"
    assert [d["id"] for d in client.get("/api/v1/deals?overdue=true", headers=h("rep")).json()["items"]] == [
        short["id"]
    ]


def test_deal_export_xlsx(client, h, new_deal):
    from openpyxl import load_workbook

    new_deal()
    resp = client.get("/api/v1/deals/export.xlsx", headers=h("rep"))
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "跟单编号" and rows[1][4] == "短线" and len(rows) == 2


def test_gov2a_deal_stale_version_refused(client, h, new_deal):
    """GOV-2a: an edit made on an older version would overwrite another's change: 409 citing it."""
    deal = new_deal()
    ok = client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage": 4, "version": deal["version"]}, headers=h("rep")
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage": 5, "version": deal["version"]}, headers=h("rep")
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["rule"] == "GOV-2a"
    assert stale.json()["error"]["details"] == {"version": ok.json()["version"]}


def test_sec3_deal_export_keeps_a_formula_like_name_as_text(client, h, team, make_customer, new_deal):
    import io

    import openpyxl

    new_deal(name='=HYPERLINK("http://evil","点我")')
    resp = client.get("/api/v1/deals/export.xlsx", headers=h("rep"))
    assert resp.status_code == 200
    assert "deals-" in resp.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_deal1_channel_of_another_reps_private_customer_is_404_like_an_unknown_id(
    client, h, team, make_customer
):
    hidden = make_customer(team["other"], customer_type="distributor", name="广州隐藏渠道有限公司")
    for channel in (hidden, 999999):
        resp = client.post(
            "/api/v1/deals",
            json=deal_body(make_customer(team["rep"]), channel_customer_id=channel),
            headers=h("rep"),
        )
        assert resp.status_code == 404
        assert "广州隐藏渠道" not in resp.text
