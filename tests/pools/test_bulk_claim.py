"""POOL-4/POOL-14 bulk claim: several public customers in one action, through the single claim's
rules, one transaction, a per-customer answer — API, page and concurrent requests, on each engine."""

from sqlalchemy import func, select

from poolcrm.applications.models import Application
from poolcrm.db import MAX_ID, MAX_SELECTION
from poolcrm.errors import InvalidInput
from poolcrm.org.models import User
from poolcrm.policy.service import update_policy
from poolcrm.pools import bulk_claim
from tests.concurrency import run_all
from tests.conftest import auth_headers
from tests.pools.conftest import add_customer
from tests.web.helpers import HTML, page_login


def _bulk(client, headers, ids, **body):
    return client.post("/api/v1/pools/public/claims", json={"customer_ids": ids, **body}, headers=headers)


def _pending(database, applicant_id):
    with database.transaction() as s:
        return s.scalar(
            select(func.count()).where(Application.applicant_id == applicant_id, Application.kind == "claim")
        )


def test_pool14_bulk_claim_stops_at_daily_cap_and_lists_each_refusal(
    client, org, customers, admin_headers_for_policy, database
):
    client.patch("/api/v1/policy", json={"daily_claim_limit": 2}, headers=admin_headers_for_policy)
    ids = [customers(pool="public") for _ in range(3)]
    resp = _bulk(client, auth_headers(client, "rep1"), ids, remark="批量")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [c["customer_id"] for c in body["claimed"]] == ids[:2]
    assert all(c["application"]["status"] == "pending" for c in body["claimed"])
    assert [(r["customer_id"], r["rule"]) for r in body["refused"]] == [(ids[2], "POOL-14")]
    assert body["refused"][0]["message"].startswith("POOL-14")
    assert _pending(database, org["rep1"]) == 2


def test_pool3_bulk_claim_invisible_customer_answers_like_a_missing_one(client, org, customers):
    public = customers(pool="public")
    other_private = customers(pool="private", owner_id=org["rep2"])
    body = _bulk(client, auth_headers(client, "rep1"), [public, other_private, MAX_ID]).json()
    assert [c["customer_id"] for c in body["claimed"]] == [public]
    refused = {r["customer_id"]: r for r in body["refused"]}
    assert refused[other_private]["code"] == refused[MAX_ID]["code"] == "not_found"
    assert refused[other_private]["message"] == refused[MAX_ID]["message"]


def test_pool4_bulk_claim_already_applied_is_refused_per_item(client, org, customers):
    cid = customers(pool="public")
    rep = auth_headers(client, "rep1")
    assert client.post(f"/api/v1/customers/{cid}/claim", json={}, headers=rep).status_code == 201
    body = _bulk(client, rep, [cid, cid]).json()
    assert body["claimed"] == [] and [r["customer_id"] for r in body["refused"]] == [cid]


def test_pool1_bulk_claim_only_sales(client, org, customers):
    resp = _bulk(client, auth_headers(client, "cs"), [customers(pool="public")])
    assert resp.status_code == 403 and resp.json()["error"]["rule"] == "POOL-1"


def test_sec1_bulk_claim_bad_selection_is_422_naming_the_field(client, org):
    rep = auth_headers(client, "rep1")
    for ids in ([], [MAX_ID + 1], [10**30], ["abc"], [-1], list(range(1, MAX_SELECTION + 2))):
        resp = _bulk(client, rep, ids)
        assert resp.status_code == 422, (ids, resp.text)
        assert any(f.startswith("customer_ids") for f in resp.json()["error"]["details"]["fields"]), ids
    resp = client.post("/api/v1/pools/public/claims", json={"customer_ids": "1,2"}, headers=rep)
    assert resp.status_code == 422


def test_pool4_bulk_claim_service_refuses_empty_selection(session, org):
    rep = session.get(User, org["rep1"])
    try:
        bulk_claim.bulk_claim(session, rep, [])
    except InvalidInput as exc:
        assert exc.details["fields"] == {"customer_ids": "请至少选择一个客户"}
    else:
        raise AssertionError("an empty selection must be refused")


def test_pool14_bulk_claim_page_lists_claimed_and_refused_in_chinese(
    client, org, customers, admin_headers_for_policy, database
):
    client.patch("/api/v1/policy", json={"daily_claim_limit": 1}, headers=admin_headers_for_policy)
    a, b = customers(pool="public", name="甲公司"), customers(pool="public", name="乙公司")
    csrf = page_login(client, "rep1")
    page = client.get("/pools/public", headers=HTML)
    assert (
        page.status_code == 200
        and 'name="customer_ids"' in page.text
        and f'href="/customers/{a}"' in page.text
    )
    resp = client.post(
        "/pools/public/claims",
        data={"csrf_token": csrf, "customer_ids": [str(a), str(b)], "region": "北京"},
        headers=HTML,
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text  # POST-redirect-GET: a refresh never claims again
    where = resp.headers["location"]
    assert where.startswith("/pools/public?") and "region=" in where and "claimed=" in where
    shown = client.get(where, headers=HTML)
    assert shown.status_code == 200, shown.text
    assert "已申请 1 个，未通过 1 个" in shown.text
    assert f'<li data-result="{a}"><span class="tag ok">已申请</span> 甲公司' in shown.text
    refused = shown.text.split(f'<li data-result="{b}">')[1].split("</li>")[0]
    assert "未通过" in refused and "乙公司" in refused and '<small class="muted">POOL-14</small>' in refused
    assert "Daily claim" not in shown.text
    assert _pending(database, org["rep1"]) == 1
    client.get(where, headers=HTML)  # the refresh
    assert _pending(database, org["rep1"]) == 1


def test_pool14_bulk_claim_result_link_is_signed_and_only_for_its_rep(client, org, customers):
    cid = customers(pool="public", name="丙公司")
    csrf = page_login(client, "rep1")
    where = client.post(
        "/pools/public/claims",
        data={"csrf_token": csrf, "customer_ids": [str(cid)]},
        headers=HTML,
        follow_redirects=False,
    ).headers["location"]
    token = where.split("claimed=")[1]
    forged = client.get(f"/pools/public?claimed={token[:-2]}xx", headers=HTML)
    assert forged.status_code == 200 and 'data-testid="bulk-results"' not in forged.text
    page_login(client, "rep2")
    other = client.get(where, headers=HTML)
    assert other.status_code == 200 and 'data-testid="bulk-results"' not in other.text


def test_sec1_bulk_claim_page_bad_selection_is_red_422(client, org):
    csrf = page_login(client, "rep1")
    for data in ({"csrf_token": csrf}, {"csrf_token": csrf, "customer_ids": "abc"}):
        resp = client.post("/pools/public/claims", data=data, headers=HTML)
        assert resp.status_code == 422, resp.text
        assert 'class="flash error"' in resp.text and "customer_ids" in resp.text
        assert "tag ok" not in resp.text


def _claim_as(rep_id, ids):
    def fn(s):
        outcomes = bulk_claim.bulk_claim(s, s.get(User, rep_id), ids)
        return sum(o.application is not None for o in outcomes)

    return fn


def test_pool14_parallel_bulk_claims_never_exceed_the_daily_cap(database, make_user):
    """Two requests by one rep (two tabs) and one by another, overlapping sets, all at once: each
    rep's claims stay within the cap and no rep holds two pending claims on one customer."""
    admin = make_user("admin", ["admin"], dept="总经办", kind="other")
    rep1, rep2 = make_user("rep1", ["sales"]), make_user("rep2", ["sales"])
    with database.transaction() as s:
        update_policy(s, admin, {"daily_claim_limit": 3})
        ids = [add_customer(s, pool="public").id for _ in range(6)]
    outcomes = run_all(
        database, [_claim_as(rep1, ids[:4]), _claim_as(rep1, ids[2:]), _claim_as(rep2, ids[1:5])]
    )
    assert sorted(outcomes) == [0, 3, 3]
    with database.transaction() as s:
        rows = s.execute(select(Application.applicant_id, Application.customer_id)).all()
    assert sum(1 for a, _ in rows if a == rep1) <= 3
    assert sum(1 for a, _ in rows if a == rep2) == 3
    assert len(rows) == len(set(rows))


def test_pool5_release_from_my_pool_redirects_to_it_with_the_outcome(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"])
    csrf = page_login(client, "rep1")
    url = f"/pools/customers/{cid}/release"
    refused = client.post(url, data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 303 and "flash_kind=error" in refused.headers["location"]
    assert "POOL-5" in client.get(refused.headers["location"], headers=HTML).text
    resp = client.post(
        url, data={"csrf_token": csrf, "reason": "客户已倒闭"}, headers=HTML, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"].startswith("/pools/mine?flash=")
    shown = client.get(resp.headers["location"], headers=HTML)
    assert shown.status_code == 200 and 'class="flash ok"' in shown.text
    assert "已提交放弃申请" in shown.text or "已放弃保护" in shown.text


def test_pool7_pool11_refused_plan_action_and_lock_rerender_with_the_refusals_status(client, org, customers):
    csrf = page_login(client, "gm")
    plan = client.post("/allocation/plans/999999/approve", data={"csrf_token": csrf}, headers=HTML)
    assert plan.status_code >= 400 and 'class="flash error"' in plan.text
    cid = customers(pool="private", owner_id=org["rep1"])
    csrf = page_login(client, "rep2")
    locked = client.post(
        f"/pools/customers/{cid}/lock",
        data={"csrf_token": csrf, "until": "2026-12-31", "owner_id": str(org["rep1"])},
        headers=HTML,
    )
    assert locked.status_code >= 400, locked.text
