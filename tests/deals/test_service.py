"""Deal services beyond the API: progress as follow-ups (DEAL-6), concurrency (DEAL-8), pages."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.deals.models import Deal, DealMonth
from tests.deals.conftest import NOW, TODAY, deal_body

REAL = "拜访了信息中心王主任，确认预算已批复，下周安排产品演示"


def test_deal6_progress_counts_as_contact_and_protects_the_customer(client, h, database, new_deal):
    from poolcrm.followups.models import FollowUp

    deal = new_deal()
    clock.set_now(NOW + timedelta(days=2), frozen=True)
    resp = client.post(
        f"/api/v1/deals/{deal['id']}/progress",
        json={"details": REAL, "next_plan": "准备演示方案", "counts_as_contact": True},
        headers=h("rep"),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["valid"] is True and body["invalid_reasons"] == [] and body["id"]
    with database.transaction() as s:
        fu = s.scalars(select(FollowUp).where(FollowUp.customer_id == deal["customer_id"])).one()
        assert (fu.source, fu.source_id, fu.valid) == ("deal_progress", body["id"], True)
        assert s.get(Customer, deal["customer_id"]).last_valid_followup_at == clock.now()
    got = client.get(f"/api/v1/deals/{deal['id']}", headers=h("rep")).json()
    assert got["due_on"] == (TODAY + timedelta(days=2 + 7)).isoformat()  # reminder clock restarted


def test_deal6_noncontact_note_is_kept_but_invalid(client, h, database, new_deal):
    from poolcrm.followups.models import FollowUp

    deal = new_deal()
    resp = client.post(
        f"/api/v1/deals/{deal['id']}/progress",
        json={"details": "打了三次电话，电话未接通，改天再联系客户的采购负责人", "next_plan": "明天再打"},
        headers=h("rep"),
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["valid"] is False
    assert [(r["rule"], r["clause"]) for r in body["invalid_reasons"]] == [("FU-1", "d")]
    assert "电话未接通" in body["invalid_reasons"][0]["message"]
    with database.transaction() as s:
        fu = s.scalars(select(FollowUp).where(FollowUp.customer_id == deal["customer_id"])).one()
        assert fu.valid is False  # recorded, protects nothing (POOL-6)
        assert s.get(Customer, deal["customer_id"]).last_valid_followup_at is None
    timeline = client.get(f"/api/v1/deals/{deal['id']}/progress", headers=h("rep")).json()
    assert timeline[0]["valid"] is False


def test_deal6_not_counted_as_contact_records_no_followup(client, h, database, new_deal):
    from poolcrm.followups.models import FollowUp

    deal = new_deal()
    resp = client.post(
        f"/api/v1/deals/{deal['id']}/progress",
        json={"details": REAL, "next_plan": "内部评审报价", "counts_as_contact": False},
        headers=h("rep"),
    )
    assert resp.status_code == 201 and resp.json()["valid"] is True and resp.json()["followup_id"] is None
    empty = client.post(
        f"/api/v1/deals/{deal['id']}/progress",
        json={"details": REAL + "。", "next_plan": " "},
        headers=h("rep"),
    ).json()
    assert empty["valid"] is False and empty["invalid_reasons"][0]["rule"] == "DEAL-6"
    with database.transaction() as s:
        assert (
            s.scalars(select(FollowUp).where(FollowUp.source == "deal_progress")).all()[0].source_id
            == empty["id"]
        )


def test_deal8_numbers_stay_unique_under_concurrent_creation(database, team, make_customer):
    from poolcrm.deals.schemas import DealIn
    from poolcrm.deals.service import create_deal
    from poolcrm.org.models import User

    cid = make_customer(team["rep"], code="ABC2026900")
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            with database.transaction() as s:
                create_deal(s, s.get(User, team["rep"]), DealIn(**deal_body(cid, name=f"并发{n}")))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.transaction() as s:
        numbers = sorted(s.scalars(select(Deal.number).where(Deal.customer_id == cid)))
    assert numbers == [f"ABC2026900OP{i:03d}" for i in range(1, 7)]


def test_deal7_daily_job_carries_open_deals_into_the_new_month(client, h, database, new_deal):
    from poolcrm.deals.reminders import run_reminders

    deal = new_deal()
    closed = new_deal(name="已丢")
    client.post(f"/api/v1/deals/{closed['id']}/lose", json={"reason": "预算取消"}, headers=h("rep"))
    with database.transaction() as s:
        run_reminders(s, TODAY.replace(month=4, day=1))
        run_reminders(s, TODAY.replace(month=4, day=2))  # idempotent
        april = s.scalars(select(DealMonth).where(DealMonth.yyyymm == 202604)).all()
    assert [(m.deal_id, m.category) for m in april] == [(deal["id"], "short")]


def _login(client, username):
    from tests.conftest import PASSWORD

    resp = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert resp.status_code == 303


def test_deal_pages_render_and_board_refusal_is_explained(client, h, team, make_customer, new_deal):
    deal = new_deal()
    lead = new_deal(category="lead", stage=1, expected_close_on="2027-09-01", name="远期线索")
    _login(client, "rep")
    html = {"Accept": "text/html"}
    for path in ("/deals", "/deals/board", "/deals/new", f"/deals/{deal['id']}", "/deals/analytics", "/"):
        resp = client.get(path, headers=html)
        assert resp.status_code == 200, (path, resp.text[:300])
    board = client.get("/deals/board", headers=html).text
    assert f'data-id="{deal["id"]}"' in board and "远期线索" in board
    assert "我的跟单" in client.get("/", headers=html).text
    csrf = board.split('data-csrf="')[1].split('"')[0]
    resp = client.patch(f"/api/v1/deals/{lead['id']}", json={"stage": 4}, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "DEAL-2"
    resp = client.patch(f"/api/v1/deals/{deal['id']}", json={"stage": 6}, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 200
    cid = make_customer(team["rep"])
    form = {
        "csrf_token": csrf,
        "customer_id": cid,
        "name": "表单跟单",
        "category": "mid",
        "stage": "2",
        "status": "active",
        "expected_close_on": "2026-09-30",
        "intention": "软件",
        "product_name": "归档软件",
        "product_quantity": "2",
        "product_unit_price": "15000",
        "product_model": "",
        **{
            k: "有"
            for k in (
                "purchase_reason",
                "purchase_form",
                "budget",
                "requirements",
                "execution_time",
                "competitors",
            )
        },
    }
    resp = client.post("/deals/new", data=form, headers=html, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    bad = client.post("/deals/new", data={**form, "expected_close_on": "2026-03-11"}, headers=html)
    assert bad.status_code == 422 and "DEAL-5" in bad.text
    deal_id = int(resp.headers["location"].rsplit("/", 1)[1])
    resp = client.post(
        f"/deals/{deal_id}/win",
        data={"csrf_token": csrf, "actual_amount": "30000", "contract_no": "HT-P1"},
        headers=html,
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert "closed" in client.get(f"/deals/{deal_id}", headers=html).text
