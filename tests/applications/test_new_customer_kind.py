"""The `new_customer` application kind (CUS-9) in the applications inbox."""

from __future__ import annotations

from tests.customers.conftest import VALID, approved, org, register  # noqa: F401


def test_cus9_new_customer_kind_registered_and_listed(client, org, register):  # noqa: F811
    from poolcrm.applications.registry import kinds

    assert "new_customer" in kinds()
    app = register(org["h"]["rep"]).json()
    listed = client.get(
        "/api/v1/applications?status=pending&kind=new_customer", headers=org["h"]["cs"]
    ).json()
    assert [a["id"] for a in listed["items"]] == [app["id"]]
    assert client.get("/api/v1/applications?status=pending", headers=org["h"]["other"]).json()["total"] == 0


def test_cus9_exact_duplicate_approved_first_blocks_the_later(client, org, register):  # noqa: F811
    first = register(org["h"]["rep"]).json()
    client.post(
        f"/api/v1/applications/{first['id']}/reject", json={"reason": "资料不全"}, headers=org["h"]["cs"]
    )
    second = register(org["h"]["other"], name=VALID["name"]).json()
    resp = client.post(f"/api/v1/applications/{second['id']}/approve", json={}, headers=org["h"]["cs"])
    assert resp.status_code == 200 and resp.json()["status"] == "approved"
    again = client.post(f"/api/v1/applications/{second['id']}/approve", json={}, headers=org["h"]["cs"])
    assert again.status_code == 409
