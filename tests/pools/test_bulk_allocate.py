"""POOL-7 bulk allocation on the allocation bin page: ticked bin customers all to one rep as one
plan, through the plan's own checks (bin only, not planned twice, an active rep, POOL-8); on each
engine."""

from sqlalchemy import select

from poolcrm.errors import InvalidInput
from poolcrm.org.models import User
from poolcrm.pools import allocation
from poolcrm.pools.models import AllocationPlan
from tests.web.helpers import HTML, page_login


def test_pool7_bulk_allocate_ticked_bin_customers_to_one_rep(client, org, customers, database):
    a, b = customers(pool="bin"), customers(pool="bin")
    csrf = page_login(client, "gm")
    page = client.get("/allocation", headers=HTML)
    assert page.status_code == 200 and 'name="customer_ids"' in page.text and "批量分配" in page.text
    resp = client.post(
        "/allocation/plans",
        data={
            "csrf_token": csrf,
            "rule": "bulk",
            "customer_ids": [str(a), str(b)],
            "to_user_id": str(org["rep1"]),
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    with database.transaction() as s:
        plan = s.scalars(select(AllocationPlan)).one()
        out = allocation.plan_out(s, plan)
    assert sorted((i["customer_id"], i["to_user"]["id"]) for i in out["items"]) == [
        (a, org["rep1"]),
        (b, org["rep1"]),
    ]


def test_pool7_bulk_allocate_refuses_public_customers_and_bad_input_with_422(client, org, customers):
    public = customers(pool="public")
    csrf = page_login(client, "gm")
    for data in (
        {"customer_ids": [str(public)], "to_user_id": str(org["rep1"])},
        {"to_user_id": str(org["rep1"])},
        {"customer_ids": [str(customers(pool="bin"))]},
        {"customer_ids": ["abc"], "to_user_id": str(org["rep1"])},
    ):
        resp = client.post(
            "/allocation/plans", data={"csrf_token": csrf, "rule": "bulk", **data}, headers=HTML
        )
        assert resp.status_code == 422 and 'class="flash error"' in resp.text, data


def test_pool7_plan_for_rep_names_the_fields(session, org):
    gm = session.get(User, org["gm"])
    try:
        allocation.plan_for_rep(session, gm, [], None)
    except InvalidInput as exc:
        assert set(exc.details["fields"]) == {"customer_ids", "to_user_id"}
    else:
        raise AssertionError("an empty selection must be refused")
