"""Pools through the HTTP API on each engine: claim, approve, release, allocation, history."""

from datetime import date, timedelta

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.ownership.models import OwnershipEvent
from tests.conftest import auth_headers
from tests.pools.conftest import add_customer, at


def _claim(client, headers, cid, **body):
    return client.post(f"/api/v1/customers/{cid}/claim", json=body, headers=headers)


def _approve(client, headers, app_id):
    return client.post(f"/api/v1/applications/{app_id}/approve", json={}, headers=headers)


def test_pool4_claim_then_cs_approves_and_customer_moves_whole(client, org, customers):
    cid = customers(pool="public")
    rep, cs = auth_headers(client, "rep1"), auth_headers(client, "cs")
    resp = _claim(client, rep, cid, remark="客户有采购需求")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["kind"], body["status"]) == ("claim", "pending")
    assert client.get("/api/v1/me", headers=rep).json()["pool"]["pending"] == 1
    approved = _approve(client, cs, body["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    history = client.get(f"/api/v1/customers/{cid}/history", headers=rep).json()
    assert history[-1]["to_owner"]["id"] == org["rep1"] and history[-1]["rule"] == "POOL-4"
    assert history[-1]["actor"]["id"] == org["cs"]


def test_pool4_first_approval_wins_second_rejected_with_reason(client, org, customers):
    cid = customers(pool="public")
    a = _claim(client, auth_headers(client, "rep1"), cid).json()["id"]
    b = _claim(client, auth_headers(client, "rep2"), cid).json()["id"]
    cs = auth_headers(client, "cs")
    assert _approve(client, cs, b).status_code == 200
    other = client.get(f"/api/v1/applications/{a}", headers=cs).json()
    assert other["status"] == "rejected" and other["decision_rule"] == "POOL-4"
    assert "rep2" in other["decision_reason"]
    late = _approve(client, cs, a)
    assert late.status_code == 409


def test_pool2_claim_refused_when_pool_full_with_count_and_limit(client, org, database):
    with database.transaction() as s:
        for _ in range(250):
            add_customer(s, pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
        target = add_customer(s, pool="public").id
    resp = _claim(client, auth_headers(client, "rep1"), target)
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["rule"] == "POOL-2" and err["message"] == "POOL-2: 私海已满（250/250）"
    en = _claim(client, auth_headers(client, "rep1", lang="en"), target).json()["error"]["message"]
    assert en.startswith("POOL-2:") and "250/250" in en


def test_pool2_active_members_not_counted(client, org, database):
    with database.transaction() as s:
        for _ in range(250):
            add_customer(
                s,
                pool="private",
                owner_id=org["rep1"],
                protected_since=at(date(2026, 11, 2)),
                member_until=date.today() + timedelta(days=365),
            )
        target = add_customer(s, pool="public").id
    assert _claim(client, auth_headers(client, "rep1"), target).status_code == 201


def test_pool3_private_customer_404_for_other_reps_409_for_those_who_see_it(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    assert _claim(client, auth_headers(client, "rep2"), cid).status_code == 404
    resp = _claim(client, auth_headers(client, "sup"), cid)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-3"
    assert (
        client.get(f"/api/v1/customers/{cid}/history", headers=auth_headers(client, "rep2")).status_code
        == 404
    )


def test_pool13_reclaim_cooldown(client, org, customers, database):
    cid = customers(pool="public")
    with database.transaction() as s:
        s.add(
            OwnershipEvent(
                customer_id=cid,
                at=clock.now() - timedelta(days=3),
                from_owner_id=org["rep1"],
                to_owner_id=None,
                from_pool="private",
                to_pool="bin",
                rule="POOL-5",
            )
        )
    resp = _claim(client, auth_headers(client, "rep1"), cid)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-13"
    assert _claim(client, auth_headers(client, "rep2"), cid).status_code == 201


def test_pool14_daily_claim_cap(client, org, customers, admin_headers_for_policy):
    client.patch("/api/v1/policy", json={"daily_claim_limit": 2}, headers=admin_headers_for_policy)
    rep = auth_headers(client, "rep1")
    ids = [customers(pool="public") for _ in range(3)]
    assert _claim(client, rep, ids[0]).status_code == 201
    assert _claim(client, rep, ids[1]).status_code == 201
    resp = _claim(client, rep, ids[2])
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-14"


def test_pool14_new_in_pool_waiting_period(client, org, customers, admin_headers_for_policy):
    client.patch("/api/v1/policy", json={"new_in_pool_wait_hours": 24}, headers=admin_headers_for_policy)
    cid = customers(pool="public", entered=clock.now() - timedelta(hours=2))
    resp = _claim(client, auth_headers(client, "rep1"), cid)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-14"


def test_pool1_only_sales_may_claim(client, org, customers):
    cid = customers(pool="public")
    resp = _claim(client, auth_headers(client, "cs"), cid)
    assert resp.status_code == 403 and resp.json()["error"]["rule"] == "POOL-1"


def test_pool4_claim_applies_corrections_on_approval(client, org, customers, database):
    cid = customers(pool="public")
    app = _claim(client, auth_headers(client, "rep1"), cid, corrections={"address": "北京市朝阳路8号"}).json()
    assert _approve(client, auth_headers(client, "cs"), app["id"]).status_code == 200
    with database.transaction() as s:
        assert s.get(Customer, cid).address == "北京市朝阳路8号"


def test_pool4_reject_needs_reason(client, org, customers):
    cid = customers(pool="public")
    app = _claim(client, auth_headers(client, "rep1"), cid).json()
    cs = auth_headers(client, "cs")
    assert (
        client.post(f"/api/v1/applications/{app['id']}/reject", json={"reason": ""}, headers=cs).status_code
        == 422
    )
    resp = client.post(f"/api/v1/applications/{app['id']}/reject", json={"reason": "资料不全"}, headers=cs)
    assert resp.json()["status"] == "rejected"


def test_pool5_release_needs_supervisor_then_goes_to_bin(client, org, customers, database):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    resp = client.post(f"/api/v1/customers/{cid}/release", json={"reason": "客户已倒闭"}, headers=rep)
    assert resp.status_code == 200 and resp.json()["status"] == "pending"
    assert (
        client.post(
            f"/api/v1/applications/{resp.json()['id']}/approve", json={}, headers=auth_headers(client, "cs")
        ).status_code
        == 403
    )
    ok = client.post(
        f"/api/v1/applications/{resp.json()['id']}/approve", json={}, headers=auth_headers(client, "sup")
    )
    assert ok.status_code == 200, ok.text
    with database.transaction() as s:
        assert s.get(Customer, cid).pool == "bin"
    bin_items = client.get("/api/v1/allocation/bin", headers=auth_headers(client, "gm")).json()["items"]
    assert [i["customer_id"] for i in bin_items] == [cid]
    assert bin_items[0]["rule"] == "POOL-5"


def test_pool5_release_by_someone_else_refused(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    resp = client.post(
        f"/api/v1/customers/{cid}/release", json={"reason": "x"}, headers=auth_headers(client, "sup")
    )
    assert resp.status_code == 403 and resp.json()["error"]["rule"] == "POOL-5"


def test_pool7_gm_plans_cs_executes_with_pool2_recheck(client, org, customers, database):
    a, b = customers(pool="bin"), customers(pool="bin")
    gm, cs = auth_headers(client, "gm"), auth_headers(client, "cs")
    plan = client.post(
        "/api/v1/allocation/plans",
        json={
            "items": [
                {"customer_id": a, "to_user_id": org["rep1"]},
                {"customer_id": b, "to_user_id": org["rep2"]},
            ]
        },
        headers=gm,
    )
    assert plan.status_code == 201, plan.text
    pid = plan.json()["id"]
    assert client.post(f"/api/v1/allocation/plans/{pid}/execute", headers=cs).status_code == 409
    assert client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=cs).status_code == 403
    assert client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=gm).json()["status"] == "approved"
    with database.transaction() as s:  # rep2 fills up in the meantime
        for _ in range(250):
            add_customer(s, pool="private", owner_id=org["rep2"], protected_since=at(date(2026, 11, 2)))
    done = client.post(f"/api/v1/allocation/plans/{pid}/execute", headers=cs).json()
    assert done["status"] == "executed"
    by_customer = {i["customer_id"]: i for i in done["items"]}
    assert by_customer[a]["status"] == "done"
    assert by_customer[b]["status"] == "skipped" and by_customer[b]["rule"] == "POOL-2"
    history = client.get(f"/api/v1/customers/{a}/history", headers=auth_headers(client, "rep1")).json()
    assert history[-1]["rule"] == "POOL-7" and history[-1]["to_owner"]["id"] == org["rep1"]


def test_pool7_round_robin_skips_reps_who_gave_the_customer_up(client, org, customers, database):
    cid = customers(pool="bin")
    with database.transaction() as s:
        for rep in ("rep1", "rep2", "rep3", "sup"):
            s.add(
                OwnershipEvent(
                    customer_id=cid,
                    at=at(date(2026, 1, 5)),
                    from_owner_id=org[rep],
                    to_owner_id=None,
                    from_pool="private",
                    to_pool="bin",
                    rule="POOL-5",
                )
            )
    plan = client.post(
        "/api/v1/allocation/plans", json={"rule": "round_robin"}, headers=auth_headers(client, "gm")
    )
    assert plan.status_code == 201, plan.text
    assert [i["to_user"]["id"] for i in plan.json()["items"]] == [org["ka"]]


def test_pool9_reallocation_needs_gm_and_sales_manager(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    body = {"items": [{"customer_id": cid, "to_user_id": org["rep2"]}], "reason": "区域调整"}
    plan = client.post("/api/v1/allocation/reallocations", json=body, headers=auth_headers(client, "sup"))
    assert plan.status_code == 201, plan.text
    pid, cs = plan.json()["id"], auth_headers(client, "cs")
    assert (
        client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=auth_headers(client, "gm")).json()[
            "status"
        ]
        == "proposed"
    )
    assert client.post(f"/api/v1/allocation/plans/{pid}/execute", headers=cs).status_code == 409
    assert (
        client.post(
            f"/api/v1/allocation/plans/{pid}/approve", headers=auth_headers(client, "manager")
        ).json()["status"]
        == "approved"
    )
    done = client.post(f"/api/v1/allocation/plans/{pid}/execute", headers=cs).json()
    assert done["items"][0]["status"] == "done"
    assert (
        client.get(f"/api/v1/customers/{cid}/history", headers=auth_headers(client, "rep1")).status_code
        == 404
    )


def test_pool11_supervisor_locks_within_limit(client, org, customers, admin_headers_for_policy):
    client.patch("/api/v1/policy", json={"lock_limit_per_rep": 1}, headers=admin_headers_for_policy)
    a = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    b = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    until = (date.today() + timedelta(days=30)).isoformat()
    sup = auth_headers(client, "sup")
    assert (
        client.post(
            f"/api/v1/customers/{a}/lock", json={"until": until}, headers=auth_headers(client, "rep1")
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/customers/{a}/lock", json={"until": until}, headers=sup).status_code == 200
    resp = client.post(f"/api/v1/customers/{b}/lock", json={"until": until}, headers=sup)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-11"


def test_pool11a_a_lock_to_2199_is_refused_and_the_customer_stays_recyclable(
    client, org, customers, database
):
    """POOL-11a: a lock exempts the customer from recycling (POOL-6); one until 2199-12-31 did so
    for good. At most `lock_max_days` (90) ahead: 409 POOL-11a, nothing locked."""
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    sup = auth_headers(client, "sup")
    latest = clock.today() + timedelta(days=90)  # the company's today (Asia/Shanghai, CAL-2)
    resp = client.post(f"/api/v1/customers/{cid}/lock", json={"until": "2199-12-31"}, headers=sup)
    assert resp.status_code == 409
    error = resp.json()["error"]
    assert error["rule"] == "POOL-11a" and error["details"] == {"days": 90, "latest": latest.isoformat()}
    later = (latest + timedelta(days=1)).isoformat()
    assert client.post(f"/api/v1/customers/{cid}/lock", json={"until": later}, headers=sup).status_code == 409
    with database.transaction() as s:
        assert s.get(Customer, cid).locked_until is None
    ok = client.post(f"/api/v1/customers/{cid}/lock", json={"until": latest.isoformat()}, headers=sup)
    assert ok.status_code == 200, ok.text


def test_pool12_who_owned_it_on_a_date(client, org, customers, database):
    cid = customers(pool="public")
    with database.transaction() as s:
        s.add_all(
            [
                OwnershipEvent(
                    customer_id=cid,
                    at=at(date(2026, 3, 1)),
                    from_owner_id=None,
                    to_owner_id=org["rep1"],
                    from_pool="public",
                    to_pool="private",
                    rule="POOL-4",
                ),
                OwnershipEvent(
                    customer_id=cid,
                    at=at(date(2026, 5, 1)),
                    from_owner_id=org["rep1"],
                    to_owner_id=None,
                    from_pool="private",
                    to_pool="public",
                    rule="POOL-7",
                ),
            ]
        )
    gm = auth_headers(client, "gm")
    on = client.get(f"/api/v1/customers/{cid}/history", params={"on": "2026-04-01"}, headers=gm).json()
    assert on["owner"]["id"] == org["rep1"] and on["pool"] == "private"
    assert (
        client.get(f"/api/v1/customers/{cid}/history", params={"on": "2026-02-01"}, headers=gm).json()[
            "owner"
        ]
        is None
    )


def test_pool16_my_pool_sorted_by_recycle_date_with_countdown(client, org, customers):
    clock.set_now(at(date(2026, 11, 9), 9), frozen=True)
    late = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 6)))
    soon = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    items = client.get("/api/v1/pools/mine", headers=auth_headers(client, "rep1")).json()["items"]
    assert [i["id"] for i in items] == [soon, late]
    assert items[0]["recycle_due_on"] == "2026-11-10" and items[0]["workdays_left"] == 1 and items[0]["red"]
    assert not items[1]["red"]


def test_pool18_forecast_counts_recycles_and_full_pools(client, org, customers, database):
    clock.set_now(at(date(2026, 11, 9), 9), frozen=True)
    customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 3)))
    customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    admin = auth_headers(client, "admin")
    resp = client.post(
        "/api/v1/policy/forecast",
        json={"changes": {"recycle_idle_workdays": 4, "private_pool_limit_senior": 1}},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["recycled_tomorrow_now"] == 1 and body["recycled_tomorrow"] == 2
    assert [(o["user"]["id"], o["used"], o["limit"]) for o in body["over_limit"]] == [(org["rep1"], 2, 1)]
    bad = client.post(
        "/api/v1/policy/forecast", json={"changes": {"recycle_idle_workdays": 0}}, headers=admin
    )
    assert bad.status_code == 422
    assert (
        client.post(
            "/api/v1/policy/forecast", json={"changes": {}}, headers=auth_headers(client, "rep1")
        ).status_code
        == 403
    )


def test_job1_run_daily_api_reports_recycled(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    admin = auth_headers(client, "admin")
    body = client.post("/api/v1/jobs/run-daily", json={"as_of": "2026-11-10"}, headers=admin).json()
    assert body["recycled"] == [cid]
    again = client.post("/api/v1/jobs/run-daily", json={"as_of": "2026-11-10"}, headers=admin).json()
    assert again["recycled"] == [cid]  # idempotent per date: the stored result, nothing moved twice
    history = client.get(f"/api/v1/customers/{cid}/history", headers=auth_headers(client, "gm")).json()
    assert len(history) == 1


def test_pool9_two_different_people_approve_and_never_the_proposer(client, org, customers, make_user):
    boss = make_user("boss", ["gm", "sales_manager"], dept="总经办", kind="other")
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    body = {"items": [{"customer_id": cid, "to_user_id": org["rep2"]}], "reason": "区域调整"}
    mine = client.post("/api/v1/allocation/reallocations", json=body, headers=auth_headers(client, "manager"))
    pid = mine.json()["id"]
    own = client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=auth_headers(client, "manager"))
    assert own.status_code == 403 and own.json()["error"]["rule"] == "POOL-9"
    boss_h = auth_headers(client, "boss")
    assert (
        client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=boss_h).json()["status"] == "proposed"
    )
    again = client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=boss_h)
    assert again.status_code == 403 and again.json()["error"]["rule"] == "POOL-9"
    plan = client.get(f"/api/v1/allocation/plans/{pid}", headers=auth_headers(client, "gm")).json()
    assert plan["status"] == "proposed" and boss in (
        plan.get("gm_approved_by"),
        plan.get("manager_approved_by"),
        boss,
    )


def test_cus9_nobody_decides_their_own_application_whatever_roles_they_hold(client, org, make_user):
    make_user("dual", ["sales", "cs"])
    h = auth_headers(client, "dual")
    body = {
        "name": "杭州自审测试科技有限公司",
        "address": "浙江省杭州市西湖区文三路1号",
        "contact_name": "钱经理",
        "phone": "0571-87654321",
        "industry": "IT",
        "customer_type": "direct",
        "confirm_warnings": True,
    }
    created = client.post("/api/v1/customers", json=body, headers=h)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    resp = client.post(f"/api/v1/applications/{app_id}/approve", headers=h)
    assert resp.status_code == 403 and resp.json()["error"]["rule"] == "CUS-9"
    assert (
        client.post(f"/api/v1/applications/{app_id}/approve", headers=auth_headers(client, "cs")).status_code
        == 200
    )


def test_pool5_a_pending_release_shows_on_my_pool_and_is_not_offered_again(client, org, customers):
    from tests.conftest import PASSWORD

    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    assert (
        client.post(
            f"/api/v1/customers/{cid}/release", json={"reason": "客户已倒闭"}, headers=rep
        ).status_code
        == 200
    )
    client.post(
        "/login", data={"username": "rep1", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    row = client.get("/pools/mine").text.split(f'data-customer="{cid}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="release-pending"' in row and f"/pools/customers/{cid}/release" not in row
