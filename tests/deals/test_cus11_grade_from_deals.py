"""CUS-11 computed from deals: the customers domain reads deal facts (it used to look up a deals
function that did not exist, so every suggestion ignored deals)."""

from __future__ import annotations


def _suggested(client, h, cid: int) -> str:
    resp = client.get(f"/api/v1/customers/{cid}", headers=h("rep"))
    assert resp.status_code == 200, resp.text
    return resp.json()["suggested_grade"]


def test_cus11_short_deal_closing_within_twelve_months_makes_a_direct_customer_core(
    client, h, team, make_customer, new_deal
):
    cid = make_customer(team["rep"])
    assert _suggested(client, h, cid) == "ordinary"
    new_deal("rep", customer_id=cid, category="short", stage=3, expected_close_on="2026-05-20")
    assert _suggested(client, h, cid) == "core"


def test_cus11_a_lead_far_away_is_not_core(client, h, team, make_customer, new_deal):
    cid = make_customer(team["rep"])
    new_deal("rep", customer_id=cid, category="lead", stage=1, expected_close_on="2027-09-30")
    assert _suggested(client, h, cid) != "core"
