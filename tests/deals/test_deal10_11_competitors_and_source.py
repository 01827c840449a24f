"""DEAL-10 competitors and DEAL-11 source (revised 2026-12-02): on the form, the API, the export and
the win/loss analytics, both engines."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.deals.conftest import deal_body

EVAL = {
    "competitor": "富士通",
    "strengths": "本地服务团队",
    "weaknesses": "单价偏高",
    "evaluated_on": "2026-03-09",
}


def test_deal11_source_recorded_from_the_list_or_from_the_customer(client, h, team, make_customer):
    from_fair = make_customer(team["rep"], source="展会")
    resp = client.post("/api/v1/deals", json=deal_body(from_fair), headers=h("rep"))
    assert resp.status_code == 201 and resp.json()["source"] == "展会"  # DEAL-11a: the customer's source
    unknown = make_customer(team["rep"], source="朋友介绍的朋友")
    assert client.post("/api/v1/deals", json=deal_body(unknown), headers=h("rep")).json()["source"] == "其他"
    chosen = client.post("/api/v1/deals", json=deal_body(unknown, source="来电"), headers=h("rep"))
    assert chosen.json()["source"] == "来电"
    bad = client.post("/api/v1/deals", json=deal_body(unknown, source="路边广告"), headers=h("rep"))
    assert bad.status_code == 422 and bad.json()["error"]["rule"] == "DEAL-11"
    assert "source" in bad.json()["error"]["details"]["fields"]
    patched = client.patch(
        f"/api/v1/deals/{chosen.json()['id']}", json={"source": "合作伙伴"}, headers=h("rep")
    )
    assert patched.status_code == 200 and patched.json()["source"] == "合作伙伴"


def test_deal10_competitor_evaluations_checked_stored_and_replaced(client, h, team, make_customer):
    cid = make_customer(team["rep"])
    body = deal_body(cid, competitor_evaluations=[EVAL, {**EVAL, "competitor": "柯达", "strengths": ""}])
    resp = client.post("/api/v1/deals", json=body, headers=h("rep"))
    assert resp.status_code == 201, resp.text
    assert [e["competitor"] for e in resp.json()["competitor_evaluations"]] == ["富士通", "柯达"]
    cases = [
        ({**EVAL, "competitor": "无名公司"}, "competitor_evaluations.0.competitor"),
        ({**EVAL, "evaluated_on": "2026-03-11"}, "competitor_evaluations.0.evaluated_on"),
        ({**EVAL, "strengths": " ", "weaknesses": ""}, "competitor_evaluations.0.strengths"),
    ]
    for item, field in cases:
        bad = client.post(
            "/api/v1/deals", json=deal_body(cid, competitor_evaluations=[item]), headers=h("rep")
        )
        assert bad.status_code == 422 and bad.json()["error"]["rule"] == "DEAL-10", field
        assert field in bad.json()["error"]["details"]["fields"], field
    twice = client.post(
        "/api/v1/deals", json=deal_body(cid, competitor_evaluations=[EVAL, EVAL]), headers=h("rep")
    )
    assert "competitor_evaluations.1.competitor" in twice.json()["error"]["details"]["fields"]
    replaced = client.patch(
        f"/api/v1/deals/{resp.json()['id']}",
        json={"competitor_evaluations": [{**EVAL, "competitor": "佳能"}]},
        headers=h("rep"),
    )
    assert [e["competitor"] for e in replaced.json()["competitor_evaluations"]] == ["佳能"]


def test_deal10_deal11_win_loss_by_competitor_and_source_and_in_the_export(
    client, h, team, make_customer, pay_in_full
):
    deals = []
    for source, competitor in (("展会", "富士通"), ("展会", "柯达"), ("来电", "富士通")):
        cid = make_customer(team["rep"])
        body = deal_body(cid, source=source, competitor_evaluations=[{**EVAL, "competitor": competitor}])
        deals.append(client.post("/api/v1/deals", json=body, headers=h("rep")).json())
    client.post(
        f"/api/v1/deals/{deals[0]['id']}/win",
        json={"actual_amount": 50000, "contract_no": "HT-W1"},
        headers=h("rep"),
    )
    pay_in_full(deals[0]["id"])
    client.post(f"/api/v1/deals/{deals[2]['id']}/lose", json={"reason": "输给富士通的低价"}, headers=h("rep"))
    url = "/api/v1/deals/analytics/win-loss?period=2026-03&months=3"
    by_competitor = {r["key"]: r for r in client.get(f"{url}&by=competitor", headers=h("sup")).json()["rows"]}
    assert (
        by_competitor["富士通"]["won"],
        by_competitor["富士通"]["lost"],
        by_competitor["富士通"]["win_rate"],
    ) == (
        1,
        1,
        0.5,
    )
    assert by_competitor["柯达"]["open"] == 1 and by_competitor["柯达"]["win_rate"] is None
    by_source = {r["key"]: r for r in client.get(f"{url}&by=source", headers=h("rep")).json()["rows"]}
    assert (by_source["展会"]["deals"], by_source["展会"]["amount_won"]) == (2, 50000.0)
    assert client.get(f"{url}&by=source", headers=h("other")).json()["rows"] == []
    assert client.get(f"{url}&by=colour", headers=h("rep")).status_code == 422
    sheet = load_workbook(BytesIO(client.get("/api/v1/deals/export.xlsx", headers=h("rep")).content)).active
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("跟单编号")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    first = rows[deals[0]["number"]]
    assert (first[header.index("商机来源")], first[header.index("竞争对手")]) == ("展会", "富士通")
