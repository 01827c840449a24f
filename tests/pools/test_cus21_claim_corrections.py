"""CUS-21 (revised 2026-12-02): corrections carried in a claim are typed field by field, shown to CS
field by field (now → corrected), applied on approval after the duplicate check and recorded in the
customer's change history — never lost in a remark."""

from __future__ import annotations

from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from tests.web.helpers import HTML, page_login


def test_cus21_claim_corrections_shown_field_by_field_then_applied_and_recorded(
    client, org, customers, database
):
    cid = customers(pool="public")
    csrf = page_login(client, "rep1")
    form = client.get(f"/pools/customers/{cid}/claim", headers=HTML)
    assert form.status_code == 200 and 'name="contact_name"' in form.text
    with database.transaction() as s:
        before = s.get(Customer, cid)
        old_contact, old_phone = before.contact_name, before.phone
    data = {
        "csrf_token": csrf,
        "contact_name": "李主任",
        "phone": old_phone,
        "mobile": "13912345678",
        "remark": "新联系人",
    }
    sent = client.post(
        f"/pools/customers/{cid}/claim-corrected", data=data, headers=HTML, follow_redirects=False
    )
    assert sent.status_code == 303
    page_login(client, "cs")
    inbox = client.get("/applications", headers=HTML).text
    assert "corrections-" in inbox and "李主任" in inbox and old_contact in inbox and "13912345678" in inbox
    apps = client.get("/api/v1/applications?status=pending", headers=HTML).json()
    app = next(a for a in apps["items"] if a["customer_id"] == cid)
    assert app["corrections"] == {
        "contact_name": "李主任",
        "mobile": "13912345678",
    }  # unchanged phone left out
    client.post(
        f"/applications/{app['id']}/approve", data={"csrf_token": page_login(client, "cs")}, headers=HTML
    )
    with database.transaction() as s:
        after = s.get(Customer, cid)
        assert (after.contact_name, after.mobile, after.owner_id) == ("李主任", "13912345678", org["rep1"])
        changes = s.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "customer", AuditEntry.object_id == str(cid))
        ).all()
        assert any(e.after and e.after.get("contact_name") == "李主任" for e in changes)
