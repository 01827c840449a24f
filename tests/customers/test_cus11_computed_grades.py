"""CUS-11 (revised): the grade is computed from facts and recomputed when they change — a deal
expected to close within 12 months makes a direct customer core; a lead or a won deal with a recent
substantive contact makes it high-growth, and the daily step lets that lapse after 30 days; a
distributor's registered project with an order this year makes it core, an agency agreement or
earlier cooperation high-growth; a grade needs the eleven fields. The SQL rule equals the Python one."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from poolcrm import clock
from poolcrm.customers import rules
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.models import Customer
from poolcrm.jobs.service import run_daily
from tests.deals.conftest import deal_body

FULL = dict(
    postal_code="100080",
    region="北京",
    industry="软件",
    source="展会",
    profile="扫描仪用户",
    contact_position="采购经理",
    customer_type="direct",
)


def _patch(client, cid, headers, **body):
    return client.patch(f"/api/v1/customers/{cid}", json=body, headers=headers)


def _grade(client, cid, headers):
    return client.get(f"/api/v1/customers/{cid}", headers=headers).json()["grade"]


def test_cus11_a_deal_closing_within_a_year_makes_a_direct_customer_core(client, org, approved):
    cid = approved("rep", **FULL)
    assert _grade(client, cid, org["h"]["rep"]) == "ordinary"
    close_on = (clock.today() + timedelta(days=90)).isoformat()
    deal = deal_body(cid, expected_close_on=close_on)
    resp = client.post("/api/v1/deals", json=deal, headers=org["h"]["rep"])
    assert resp.status_code == 201, resp.text
    assert _grade(client, cid, org["h"]["rep"]) == "core"
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["grade_next"] == [] and detail["grade_override"] is None


def test_cus11_distributor_grades_come_from_its_recorded_facts(client, org, approved):
    cid = approved("rep", **{**FULL, "customer_type": "distributor"})
    assert _grade(client, cid, org["h"]["rep"]) == "ordinary"
    needs = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()["grade_next"]
    assert [n["grade"] for n in needs] == ["high_growth", "core"]
    assert _patch(client, cid, org["h"]["rep"], agency_agreement=True).status_code == 200
    assert _grade(client, cid, org["h"]["rep"]) == "high_growth"
    assert _patch(client, cid, org["h"]["rep"], registered_project=True).status_code == 200
    assert _grade(client, cid, org["h"]["rep"]) == "high_growth"  # no order expected this year yet
    assert _patch(client, cid, org["h"]["rep"], order_expected_this_year=True).status_code == 200
    assert _grade(client, cid, org["h"]["rep"]) == "core"


def test_cus11_no_grade_until_the_eleven_fields_are_complete(client, org, approved):
    cid = approved("rep")
    assert _grade(client, cid, org["h"]["rep"]) is None
    assert _patch(client, cid, org["h"]["rep"], **FULL).status_code == 200
    assert _grade(client, cid, org["h"]["rep"]) == "ordinary"


def test_cus11_the_daily_step_lets_high_growth_lapse_after_thirty_days(client, org, approved, database):
    cid = approved("rep", **FULL)
    close_on = (clock.today() + timedelta(days=600)).isoformat()  # beyond the 12-month horizon
    lead = client.post(
        "/api/v1/deals",
        json=deal_body(cid, category="lead", stage=1, expected_close_on=close_on),
        headers=org["h"]["rep"],
    )
    assert lead.status_code == 201, lead.text
    with database.transaction() as s:
        s.get(Customer, cid).last_valid_followup_at = clock.now() - timedelta(days=29)
        refresh_grades(s, [cid])
    assert _grade(client, cid, org["h"]["rep"]) == "high_growth"  # a lead and a contact 29 days ago
    clock.set_now(clock.now() + timedelta(days=2), frozen=True)
    try:
        run_daily(database, clock.today(), catch_up=False)
    finally:
        clock.reset()
    assert _grade(client, cid, org["h"]["rep"]) == "ordinary"  # the contact is now 31 days old


def test_cus11_sql_rule_equals_the_python_rule(session, org):
    """Every combination of the facts: the stored grade (SQL) is what `rules.grade_for` says."""
    combos = list(itertools.product(("direct", "distributor"), (False, True), (False, True), (False, True)))
    ids = []
    for n, (ctype, project, order, agency) in enumerate(combos):
        c = Customer(
            code=f"GR{n:04d}",
            name=f"分级{n}科技有限公司",
            name_key=f"分级{n}",
            address="北京市海淀区中关村大街1号",
            contact_name="王经理",
            phone="+861062345678",
            customer_type=ctype,
            registered_project=project,
            order_expected_this_year=order,
            agency_agreement=agency,
            pool="public",
            tags=[],
            created_at=clock.now(),
            updated_at=clock.now(),
            **{k: v for k, v in FULL.items() if k != "customer_type"},
        )
        session.add(c)
        session.flush()
        ids.append(c.id)
    refresh_grades(session, ids)
    stored = dict(session.execute(select(Customer.id, Customer.grade).where(Customer.id.in_(ids))).all())
    for cid, (ctype, project, order, agency) in zip(ids, combos, strict=True):
        facts = rules.GradeFacts(
            registered_project_ordering_this_year=project and order, agency_or_cooperation=agency
        )
        assert stored[cid] == rules.grade_for(ctype, facts, 30), (ctype, project, order, agency)
