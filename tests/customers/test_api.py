"""Customers API: registration, duplicate check, approval, list/detail, change control."""

from __future__ import annotations


def test_cus1_required_fields_named_in_422(client, org, register):
    resp = client.post("/api/v1/customers", json={"name": "  "}, headers=org["h"]["rep"])
    assert resp.status_code == 422
    fields = resp.json()["error"]["details"]["fields"]
    assert set(fields) == {"name", "address", "contact_name", "phone", "industry", "customer_type"}
    assert resp.json()["error"]["rule"] == "CUS-1"


def test_cus9_registration_creates_pending_application_with_code(client, org, register):
    resp = register(org["h"]["rep"])
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["kind"] == "new_customer" and body["status"] == "pending" and body["customer_id"]
    detail = client.get(f"/api/v1/customers/{body['customer_id']}", headers=org["h"]["rep"]).json()
    assert detail["pool"] == "pending"
    assert detail["code"].startswith("ABC20")
    assert detail["phone_e164"] == "+861062345678"


def test_cus7_traditional_name_is_an_exact_duplicate(client, org, register, approved):
    approved("rep")
    resp = register(org["h"]["other"], name="北京友好創達科技有限公司", phone="010-88889999")
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["rule"] == "CUS-7" and err["code"] == "duplicate"
    match = err["details"]["matches"][0]
    assert match["owner"]["display_name"] == "张伟"
    assert set(match) >= {"customer_id", "code", "name", "pool", "owner", "score", "reasons"}
    assert "address" not in match


def test_cus7_duplicates_endpoint_reasons_in_english(client, org, approved):
    approved("rep")
    headers = {**org["h"]["other"], "Accept-Language": "en"}
    resp = client.post("/api/v1/customers/duplicates", json={"name": "友好創達科技"}, headers=headers)
    assert resp.status_code == 200
    matches = resp.json()["matches"]
    assert matches and matches[0]["pool"] == "private"
    assert matches[0]["reasons"]


def test_cus9_cs_approves_into_private_pool_and_history(client, org, register):
    app = register(org["h"]["rep"]).json()
    resp = client.post(f"/api/v1/applications/{app['id']}/approve", json={}, headers=org["h"]["cs"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "approved"
    detail = client.get(f"/api/v1/customers/{app['customer_id']}", headers=org["h"]["rep"]).json()
    assert detail["pool"] == "private" and detail["owner"]["id"] == org["ids"]["rep"]
    assert detail["protected_since"]
    history = client.get(f"/api/v1/customers/{app['customer_id']}/history", headers=org["h"]["rep"]).json()
    assert history[-1]["rule"] == "CUS-9" and history[-1]["to_pool"] == "private"


def test_pool3_private_customer_invisible_to_other_rep(client, org, approved):
    cid = approved("rep")
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["other"]).status_code == 404
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["sup"]).status_code == 200
    listed = client.get("/api/v1/customers?pool=all", headers=org["h"]["other"]).json()
    assert listed["total"] == 0
    assert client.get("/api/v1/customers?pool=mine", headers=org["h"]["rep"]).json()["total"] == 1


def test_cus1_needs_description_is_recorded_and_shown(client, org, register):
    app = register(org["h"]["rep"], needs="档案室200万页扫描，预算50万，明年一季度").json()
    detail = client.get(f"/api/v1/customers/{app['customer_id']}", headers=org["h"]["rep"]).json()
    assert detail["needs"] == "档案室200万页扫描，预算50万，明年一季度"
    assert detail["industry"] == "IT" and detail["customer_type"] == "direct"
