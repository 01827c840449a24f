"""CUS-19 (revised 2026-12-02): a rejected registration goes back to its registrant, who sees it,
fixes it and resubmits it (a new application on the same record) or withdraws it; never a 404 to
them, still a 404 to everyone outside their tree."""

from __future__ import annotations

from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from tests.customers.conftest import VALID


def test_cus19_rejected_registration_fixed_and_resubmitted_on_the_same_record(client, org, register):
    app = register(org["h"]["rep"]).json()
    cid = app["customer_id"]
    client.post(
        f"/api/v1/applications/{app['id']}/reject", json={"reason": "地址不完整"}, headers=org["h"]["cs"]
    )
    seen = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"])
    assert seen.status_code == 200 and seen.json()["pool"] == "rejected"
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["other"]).status_code == 404
    listed = client.get("/api/v1/customers?pool=rejected", headers=org["h"]["rep"]).json()
    assert [c["id"] for c in listed["items"]] == [cid]
    fixed = {**VALID, "address": "北京市海淀区中关村大街1号海龙大厦5楼501室（东门）"}
    other = client.post(f"/api/v1/customers/{cid}/resubmit", json=fixed, headers=org["h"]["mate"])
    assert other.status_code == 404
    again = client.post(f"/api/v1/customers/{cid}/resubmit", json=fixed, headers=org["h"]["rep"])
    assert again.status_code == 201, again.text
    assert again.json()["customer_id"] == cid and again.json()["status"] == "pending"
    assert again.json()["id"] != app["id"]
    shown = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert (shown["pool"], shown["address"]) == ("pending", fixed["address"])
    twice = client.post(f"/api/v1/customers/{cid}/resubmit", json=fixed, headers=org["h"]["rep"])
    assert twice.status_code == 409 and twice.json()["error"]["rule"] == "CUS-19"
    done = client.post(f"/api/v1/applications/{again.json()['id']}/approve", json={}, headers=org["h"]["cs"])
    assert done.status_code == 200
    with client.app.state.db.transaction() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.resubmit"))
        assert entry.rule == "CUS-19" and "address" in entry.after


def test_cus19_the_registrant_withdraws_a_rejected_registration(client, org, register):
    app = register(org["h"]["rep"]).json()
    cid = app["customer_id"]
    client.post(
        f"/api/v1/applications/{app['id']}/reject", json={"reason": "重复登记"}, headers=org["h"]["cs"]
    )
    assert client.post(f"/api/v1/customers/{cid}/withdraw", headers=org["h"]["mate"]).status_code == 404
    gone = client.post(f"/api/v1/customers/{cid}/withdraw", headers=org["h"]["rep"])
    assert gone.status_code == 200 and gone.json()["pool"] == "deleted"
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).status_code == 404


def test_cus19_a_resubmission_meets_the_duplicate_check_like_a_new_one(client, org, register, approved):
    app = register(org["h"]["rep"], name="上海晨光档案管理有限公司", phone="021-64000001").json()
    client.post(
        f"/api/v1/applications/{app['id']}/reject", json={"reason": "名称有误"}, headers=org["h"]["cs"]
    )
    approved("mate")  # 北京友好创达科技有限公司 now exists
    clash = client.post(
        f"/api/v1/customers/{app['customer_id']}/resubmit", json=VALID, headers=org["h"]["rep"]
    )
    assert clash.status_code == 409 and clash.json()["error"]["rule"] == "CUS-7"


def test_cus19_the_pages_show_the_rejection_and_resubmit(client, org, register):
    from tests.web.helpers import HTML, page_login

    app = register(org["h"]["rep"]).json()
    cid = app["customer_id"]
    client.post(
        f"/api/v1/applications/{app['id']}/reject", json={"reason": "地址不完整"}, headers=org["h"]["cs"]
    )
    csrf = page_login(client, "rep")
    detail = client.get(f"/customers/{cid}", headers=HTML)
    assert (
        detail.status_code == 200 and "rejected-registration" in detail.text and "地址不完整" in detail.text
    )
    form = client.get(f"/customers/{cid}/resubmit", headers=HTML)
    assert form.status_code == 200 and f'action="/customers/{cid}/resubmit"' in form.text
    assert 'value="北京友好创达科技有限公司"' in form.text
    data = {**VALID, "csrf_token": csrf, "address": "北京市海淀区中关村大街1号海龙大厦5楼501室东门"}
    sent = client.post(f"/customers/{cid}/resubmit", data=data, headers=HTML, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/customers/{cid}")
