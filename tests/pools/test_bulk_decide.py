"""CUS-9/POOL-4 bulk approve and reject in the CS inbox: each application through the single
decision's rules in one transaction, nobody decides their own request, a rejection needs a reason —
API and page, on each engine."""

from sqlalchemy import select

from poolcrm.applications.models import Application
from poolcrm.customers.models import Customer
from poolcrm.db import MAX_ID
from tests.conftest import auth_headers
from tests.web.helpers import HTML, page_login


def _claims(client, customers, reps):
    out = []
    for rep in reps:
        cid = customers(pool="public")
        resp = client.post(f"/api/v1/customers/{cid}/claim", json={}, headers=auth_headers(client, rep))
        assert resp.status_code == 201, resp.text
        out.append((cid, resp.json()["id"]))
    return out


def _decide(client, headers, ids, action, **body):
    payload = {"application_ids": ids, "action": action, **body}
    return client.post("/api/v1/applications/decisions", json=payload, headers=headers)


def test_cus9_bulk_approve_moves_each_customer_and_lists_refusals(client, org, customers, database):
    (c1, a1), (c2, a2) = _claims(client, customers, ["rep1", "rep2"])
    resp = _decide(client, auth_headers(client, "cs"), [a1, a2, MAX_ID], "approve")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert sorted(d["id"] for d in body["decided"]) == [a1, a2]
    assert [(r["application_id"], r["code"]) for r in body["refused"]] == [(MAX_ID, "not_found")]
    with database.transaction() as s:
        owners = dict(
            s.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_([c1, c2]))).all()
        )
    assert owners == {c1: org["rep1"], c2: org["rep2"]}


def test_cus9_bulk_decisions_nobody_approves_their_own_request(client, org, customers, database, make_user):
    """A CS member who is also a rep: their own claim is refused in the batch, the other approved."""
    make_user("cs2", ["cs", "sales"], dept="客服部", kind="cs")
    [(_, own), (_, other)] = _claims(client, customers, ["cs2", "rep1"])
    body = _decide(client, auth_headers(client, "cs2"), [own, other], "approve").json()
    assert [d["id"] for d in body["decided"]] == [other]
    assert [(r["application_id"], r["rule"]) for r in body["refused"]] == [(own, "CUS-9")]
    with database.transaction() as s:
        assert s.get(Application, own).status == "pending"


def test_cus9_bulk_reject_needs_a_reason_and_bad_input_is_422(client, org, customers, database):
    [(_, a1)] = _claims(client, customers, ["rep1"])
    cs = auth_headers(client, "cs")
    for body, field in (
        ({"application_ids": [a1], "action": "reject", "reason": "  "}, "reason"),
        ({"application_ids": [a1], "action": "reject"}, "reason"),
        ({"application_ids": [], "action": "approve"}, "application_ids"),
        ({"application_ids": [MAX_ID + 1], "action": "approve"}, "application_ids"),
        ({"application_ids": ["x"], "action": "approve"}, "application_ids"),
        ({"application_ids": [a1], "action": "delete"}, "action"),
    ):
        resp = client.post("/api/v1/applications/decisions", json=body, headers=cs)
        assert resp.status_code == 422, (body, resp.text)
        assert any(f.startswith(field) for f in resp.json()["error"]["details"]["fields"]), resp.text
    resp = _decide(client, cs, [a1], "reject", reason="客户已有合作方")
    assert [d["status"] for d in resp.json()["decided"]] == ["rejected"]
    with database.transaction() as s:
        assert s.get(Application, a1).decision_reason == "客户已有合作方"


def test_cus9_bulk_decisions_on_the_inbox_page(client, org, customers):
    [(_, a1), (_, a2)] = _claims(client, customers, ["rep1", "rep2"])
    csrf = page_login(client, "cs")
    inbox = client.get("/applications", headers=HTML)
    assert inbox.status_code == 200 and 'name="application_ids"' in inbox.text
    bad = client.post(
        "/applications/decisions",
        data={"csrf_token": csrf, "application_ids": [str(a1)], "action": "reject", "reason": ""},
        headers=HTML,
        follow_redirects=False,
    )
    assert bad.status_code == 422 and 'class="flash error"' in bad.text and "驳回必须填写理由" in bad.text
    ok = client.post(
        "/applications/decisions",
        data={"csrf_token": csrf, "application_ids": [str(a1), str(a2)], "action": "approve"},
        headers=HTML,
    )
    assert ok.status_code == 200 and "已通过 2 个，未通过 0 个" in ok.text
