"""Contracts, order lines, installments and payments (CTR-1..4, DEAL-8) through the API, both engines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.contracts.models import Contract
from poolcrm.customers.models import Customer
from poolcrm.jobs.service import run_daily
from poolcrm.notify.models import Notification
from tests.conftest import counted
from tests.deals.conftest import NOW

PLAN = [("2026-03-20", 20000), ("2026-04-30", 38000)]


def _pay(client, h, contract_id, amount, on="2026-03-10", user="rep"):
    body = {"received_on": on, "amount": amount, "method": "银行转账"}
    return client.post(f"/api/v1/contracts/{contract_id}/payments", json=body, headers=h(user))


def test_ctr1_refused_for_a_customer_not_in_the_crm_and_404_for_one_the_signer_cannot_see(
    client, h, team, database, make_customer
):
    body = {"number": "HT-X", "amount": 1000, "signed_on": "2026-03-10"}
    pending = make_customer(team["rep"])
    with database.transaction() as s:
        s.get(Customer, pending).pool, s.get(Customer, pending).created_by = "pending", team["rep"]
    resp = client.post("/api/v1/contracts", json={**body, "customer_id": pending}, headers=h("rep"))
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CTR-1"
    other = make_customer(team["other"])
    resp = client.post("/api/v1/contracts", json={**body, "customer_id": other}, headers=h("rep"))
    unknown = client.post("/api/v1/contracts", json={**body, "customer_id": 999999}, headers=h("rep"))
    assert resp.status_code == unknown.status_code == 404 and resp.json() == unknown.json()
    mine = make_customer(team["rep"])
    resp = client.post("/api/v1/contracts", json={**body, "customer_id": mine}, headers=h("rep"))
    assert resp.status_code == 201 and resp.json()["status"] == "pending_approval"
    assert resp.json()["deal"] is None and resp.json()["installments"][0]["due_on"] == "2026-04-09"


def test_ctr1_bad_input_is_422_naming_the_field(client, h, team, new_deal):
    deal = new_deal()
    base = {"customer_id": deal["customer_id"], "deal_id": deal["id"], "number": "HT-1", "amount": 58000}
    cases = [
        ({**base, "signed_on": "2026-03-11"}, "signed_on"),
        ({**base, "signed_on": "2026-03-10", "amount": 0}, "amount"),
        ({**base, "signed_on": "2026-03-10", "number": "  "}, "number"),
        (
            {**base, "signed_on": "2026-03-10", "installments": [{"due_on": "2026-04-01", "amount": 1}]},
            "installments",
        ),
        (
            {**base, "signed_on": "2026-03-10", "installments": [{"due_on": "2026-03-01", "amount": 58000}]},
            "installments.0.due_on",
        ),
        (
            {
                **base,
                "signed_on": "2026-03-10",
                "lines": [{"product": "扫描仪", "quantity": 0, "unit_price": 1}],
            },
            "lines.0.quantity",
        ),
    ]
    for body, field in cases:
        resp = client.post("/api/v1/contracts", json=body, headers=h("rep"))
        assert resp.status_code == 422 and field in resp.json()["error"]["details"]["fields"], (
            field,
            resp.text,
        )
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=h("rep")).json()["category"] == "short"


def test_ctr1d_a_signing_date_further_back_than_contract_backdate_days_is_refused(client, h, team, new_deal):
    """CTR-1d: a contract signed 1900-01-01 was recorded (and so its deal signed). Today is
    2026-03-10; a signing date at most `contract_backdate_days` (90) back: 422 CTR-1d naming
    signed_on, nothing recorded; a future date stays CTR-1."""
    deal = new_deal()
    base = {"customer_id": deal["customer_id"], "deal_id": deal["id"], "number": "HT-1", "amount": 58000}
    for signed_on, rule in (("1900-01-01", "CTR-1d"), ("2025-12-09", "CTR-1d"), ("2026-03-11", "CTR-1")):
        resp = client.post("/api/v1/contracts", json={**base, "signed_on": signed_on}, headers=h("rep"))
        assert resp.status_code == 422, signed_on
        assert resp.json()["error"]["rule"] == rule
        assert set(resp.json()["error"]["details"]["fields"]) == {"signed_on"}
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=h("rep")).json()["category"] == "short"
    ok = client.post("/api/v1/contracts", json={**base, "signed_on": "2025-12-10"}, headers=h("rep"))
    assert ok.status_code == 201, ok.text


def test_ctr2_order_lines_come_from_the_deal_products_and_may_be_edited(client, h, sign, new_deal):
    taken = sign(number="HT-A")
    assert [(x["product"], x["quantity"], x["line_total"]) for x in taken["lines"]] == [
        ("高速扫描仪", 4.0, 50000.0),
        ("扫描软件", 1.0, 8000.0),
    ]
    edited = sign(
        number="HT-B",
        lines=[
            {
                "product": "高速扫描仪",
                "model": "FS-9000",
                "quantity": 5,
                "unit_price": 11000,
                "delivery_on": "2026-04-01",
            }
        ],
    )
    assert [(x["product"], x["line_total"], x["delivery_on"]) for x in edited["lines"]] == [
        ("高速扫描仪", 55000.0, "2026-04-01")
    ]


def test_deal8_contract_signs_the_deal_supervisor_approves_payments_win_it(client, h, team, database, sign):
    contract = sign(PLAN)
    deal_id = contract["deal"]["id"]
    deal = client.get(f"/api/v1/deals/{deal_id}", headers=h("rep")).json()
    assert (deal["category"], deal["stage"], deal["actual_amount"]) == ("signed", 8, 58000.0)
    assert deal["contract"]["outstanding"] == 58000.0
    with database.transaction() as s:
        assert s.get(Customer, deal["customer_id"]).status == "closed"
    resp = _pay(client, h, contract["id"], 20000)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CTR-3"  # not approved yet
    own = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("rep"))
    assert own.status_code == 403 and own.json()["error"]["rule"] == "CTR-1"
    assert client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("other")).status_code == 404
    approved = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("admin"))
    assert again.status_code == 409 and again.json()["error"]["rule"] == "CTR-1"
    first = _pay(client, h, contract["id"], 20000).json()
    assert (first["received"], first["outstanding"], first["deal_status"]) == (20000.0, 38000.0, "signed")
    assert [i["outstanding"] for i in first["installments"]] == [0.0, 38000.0]
    over = _pay(client, h, contract["id"], 38000.01)
    assert over.status_code == 409 and over.json()["error"]["rule"] == "CTR-3"
    assert over.json()["error"]["details"]["outstanding"] == "38000.00"
    future = _pay(client, h, contract["id"], 100, on="2026-03-11")
    assert future.status_code == 422 and "received_on" in future.json()["error"]["details"]["fields"]
    last = _pay(client, h, contract["id"], 38000).json()
    assert (last["status"], last["outstanding"], last["deal_status"]) == ("paid", 0.0, "won")
    deal = client.get(f"/api/v1/deals/{deal_id}", headers=h("rep")).json()
    assert (deal["category"], deal["stage"], deal["status"]) == ("won", 10, "won")
    with database.transaction() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "contract").order_by(AuditEntry.id)
        ).all()
        assert actions == ["contract.create", "contract.approve", "contract.payment", "contract.payment"]


def test_ctr1_the_gm_approves_after_the_supervisor_from_the_policy_amount(client, h, team, make_user, sign):
    make_user("gm", ["gm"], dept="总经办", kind="other")
    contract = sign(amount=250000, lines=[{"product": "整体方案", "quantity": 1, "unit_price": 250000}])
    first = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup")).json()
    assert (first["status"], first["approval_level"]) == ("pending_approval", "gm")
    resp = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup"))
    assert resp.status_code == 403 and resp.json()["error"]["rule"] == "CTR-1"
    final = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("gm")).json()
    assert (final["status"], final["decided_by"]["id"]) == ("approved", final["decided_by"]["id"])
    notes = client.get("/api/v1/notifications", headers=h("gm")).text
    assert contract["number"] in notes


def test_ctr1_a_refused_contract_gives_the_deal_and_the_customer_back(client, h, database, sign):
    contract = sign(PLAN)
    resp = client.post(f"/api/v1/contracts/{contract['id']}/reject", json={"reason": " "}, headers=h("sup"))
    assert resp.status_code == 422 and "reason" in resp.json()["error"]["details"]["fields"]
    resp = client.post(
        f"/api/v1/contracts/{contract['id']}/reject",
        json={"reason": "付款条件不符合公司规定"},
        headers=h("sup"),
    )
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    deal = client.get(f"/api/v1/deals/{contract['deal']['id']}", headers=h("rep")).json()
    assert (deal["category"], deal["stage"], deal["contract_no"], deal["contract"]) == (
        "short",
        3,
        None,
        None,
    )
    with database.transaction() as s:
        assert s.get(Customer, deal["customer_id"]).status == "intent"  # as before the signing
        assert s.scalar(select(func.count()).select_from(Contract)) == 1  # kept, as a state
    again = sign(PLAN, deal=deal, number="HT-2026-0310B")
    assert again["status"] == "pending_approval"


def test_ctr1_a_cancelled_contract_is_kept_and_its_deal_lost_with_the_reason(client, h, sign):
    contract = sign(PLAN)
    client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup"))
    own = client.post(
        f"/api/v1/contracts/{contract['id']}/cancel", json={"reason": "客户撤单"}, headers=h("rep")
    )
    assert own.status_code == 403
    resp = client.post(
        f"/api/v1/contracts/{contract['id']}/cancel", json={"reason": "客户撤单"}, headers=h("sup")
    )
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    deal = client.get(f"/api/v1/deals/{contract['deal']['id']}", headers=h("rep")).json()
    assert (deal["category"], deal["lost_reason"]) == ("lost", "合同作废：客户撤单")
    assert _pay(client, h, contract["id"], 100).status_code == 409
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=h("rep")).json()["status"] == "cancelled"


def test_ctr3_overdue_installments_are_shown_and_remind_owner_and_supervisor_once(
    client, h, team, database, sign
):
    contract = sign(PLAN)
    client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup"))
    clock.set_now(NOW + timedelta(days=15), frozen=True)
    shown = client.get(f"/api/v1/contracts/{contract['id']}", headers=h("rep")).json()
    assert shown["overdue"] == 20000.0 and [i["overdue"] for i in shown["installments"]] == [True, False]
    listed = client.get("/api/v1/contracts?overdue=true", headers=h("sup")).json()
    assert [c["id"] for c in listed["items"]] == [contract["id"]]
    assert client.get("/api/v1/contracts?overdue=true", headers=h("other")).json()["total"] == 0
    for _ in range(2):
        run_daily(database, clock.today(), catch_up=False)
    with database.transaction() as s:
        notes = s.scalars(select(Notification).where(Notification.kind == "installment_overdue")).all()
        assert sorted(n.user_id for n in notes) == sorted([team["rep"], team["sup"]])
        assert notes[0].rule == "CTR-3"


def test_ctr3_two_payments_at_once_never_pass_the_contract_amount(client, h, database, sign, team):
    from poolcrm.contracts.payments import record_payment
    from poolcrm.contracts.schemas import PaymentIn
    from poolcrm.org.models import User
    from tests.concurrency import run_all

    contract = sign(PLAN)
    client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup"))

    def pay(s):
        data = PaymentIn(received_on=clock.today(), amount=40000, method="银行转账")
        record_payment(s, s.get(User, team["rep"]), contract["id"], data)

    outcomes = run_all(database, [pay] * 6)
    assert sorted(outcomes) == ["CTR-3"] * 5 + ["ok"], outcomes
    shown = client.get(f"/api/v1/contracts/{contract['id']}", headers=h("rep")).json()
    assert shown["received"] == 40000.0 and len(shown["payments"]) == 1


def test_ctr1_contract_number_is_unique_and_nothing_leaks_to_other_reps(client, h, sign, new_deal):
    contract = sign()
    deal = new_deal()
    body = {"customer_id": deal["customer_id"], "deal_id": deal["id"], "number": contract["number"]}
    resp = client.post(
        "/api/v1/contracts", json={**body, "amount": 1, "signed_on": "2026-03-10"}, headers=h("rep")
    )
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CTR-1"
    hidden = client.get(f"/api/v1/contracts/{contract['id']}", headers=h("other"))
    unknown = client.get("/api/v1/contracts/999999", headers=h("other"))
    assert hidden.status_code == unknown.status_code == 404 and hidden.json() == unknown.json()
    assert client.get("/api/v1/contracts", headers=h("other")).json()["total"] == 0
    assert client.get("/api/v1/contracts", headers=h("sup")).json()["total"] == 1


def test_ctr1b_the_scanned_contract_is_checked_and_only_read_by_who_sees_the_contract(client, h, sign):
    contract = sign()
    url = f"/api/v1/contracts/{contract['id']}/files"
    pdf = b"%PDF-1.4\n" + b"0" * 1000
    resp = client.post(url, files={"file": ("合同扫描件.pdf", pdf, "application/pdf")}, headers=h("rep"))
    assert resp.status_code == 201, resp.text
    file_id = resp.json()["id"]
    fake = client.post(url, files={"file": ("合同.pdf", b"MZ\x90\x00", "application/pdf")}, headers=h("rep"))
    exe = client.post(url, files={"file": ("setup.exe", b"MZ", "application/octet-stream")}, headers=h("rep"))
    assert fake.status_code == exe.status_code == 422
    got = client.get(f"{url}/{file_id}", headers=h("sup"))
    assert (
        got.status_code == 200 and got.content == pdf and "attachment" in got.headers["content-disposition"]
    )
    assert client.get(f"{url}/{file_id}", headers=h("other")).status_code == 404
    files = client.get(f"/api/v1/contracts/{contract['id']}", headers=h("rep")).json()["files"]
    assert [f["filename"] for f in files] == ["合同扫描件.pdf"]


def test_ctr3_analytics_report_signed_and_collected_side_by_side(client, h, team, sign, new_deal):
    a = sign(PLAN)
    client.post(f"/api/v1/contracts/{a['id']}/approve", headers=h("sup"))
    _pay(client, h, a["id"], 20000)
    sign(
        number="HT-OTHER",
        user="other",
        amount=10000,
        deal=new_deal("other"),
        lines=[{"product": "维保服务", "quantity": 1, "unit_price": 10000}],
    )
    by_month = client.get("/api/v1/contracts/analytics?from=2026-01&to=2026-03", headers=h("admin")).json()
    months = [
        (r["key"], r["signed_count"], r["signed_amount"], r["collected_amount"]) for r in by_month["rows"]
    ]
    assert months == [("2026-01", 0, 0.0, 0.0), ("2026-02", 0, 0.0, 0.0), ("2026-03", 2, 68000.0, 20000.0)]
    by_owner = client.get(
        "/api/v1/contracts/analytics?by=owner&from=2026-03&to=2026-03", headers=h("rep")
    ).json()["rows"]
    assert [(r["label"], r["signed_amount"], r["collected_amount"]) for r in by_owner] == [
        ("张伟", 58000.0, 20000.0)
    ]
    by_product = client.get(
        "/api/v1/contracts/analytics?by=product&from=2026-03&to=2026-03", headers=h("admin")
    ).json()["rows"]
    shares = {r["key"]: (r["signed_amount"], r["collected_amount"]) for r in by_product}
    assert shares["高速扫描仪"] == (50000.0, round(20000 * 50000 / 58000, 2))
    assert shares["维保服务"] == (10000.0, 0.0)
    teams = client.get(
        "/api/v1/contracts/analytics?by=team&from=2026-03&to=2026-03", headers=h("admin")
    ).json()
    assert {r["label"] for r in teams["rows"]} == {"销售一部", "销售二部"}
    other = client.get("/api/v1/contracts?q=HT-OTHER", headers=h("admin")).json()["items"][0]
    reason = {"reason": "价格低于底价"}
    client.post(f"/api/v1/contracts/{other['id']}/reject", json=reason, headers=h("admin"))
    march = client.get("/api/v1/contracts/analytics?from=2026-03&to=2026-03", headers=h("admin")).json()
    assert march["totals"] == {"signed_count": 1, "signed_amount": 58000.0, "collected_amount": 20000.0}
    bad = client.get("/api/v1/contracts/analytics?by=colour&from=2026-03&to=2026-03", headers=h("admin"))
    assert bad.status_code == 422


def test_ctr4_special_price_refused_while_the_distributors_customers_are_not_maintained(
    client, h, team, database, make_customer, new_deal
):
    distributor = make_customer(team["rep"], customer_type="distributor", name="上海渠道科技有限公司")
    body = {
        "customer_id": distributor,
        "product": "高速扫描仪",
        "list_price": 12800,
        "special_price": 9800,
        "reason": "项目竞争激烈",
    }
    resp = client.post("/api/v1/special-prices", json=body, headers=h("rep"))
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CTR-4"
    assert "无" in resp.json()["error"]["message"]
    deal = new_deal(channel_customer_id=distributor)
    clock.set_now(NOW + timedelta(days=100), frozen=True)
    stale = client.post("/api/v1/special-prices", json=body, headers=h("rep"))
    assert stale.status_code == 409 and "90" in stale.json()["error"]["message"]
    with database.transaction() as s:
        s.get(Customer, deal["customer_id"]).updated_at = clock.now()
    asked = client.post("/api/v1/special-prices", json=body, headers=h("rep"))
    assert asked.status_code == 201 and asked.json()["status"] == "pending_approval"
    own = client.post(f"/api/v1/special-prices/{asked.json()['id']}/approve", headers=h("rep"))
    assert own.status_code == 403
    assert client.get(f"/api/v1/special-prices/{asked.json()['id']}", headers=h("other")).status_code == 404
    ok = client.post(f"/api/v1/special-prices/{asked.json()['id']}/approve", headers=h("sup"))
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    direct = make_customer(team["rep"])
    resp = client.post("/api/v1/special-prices", json={**body, "customer_id": direct}, headers=h("rep"))
    assert resp.status_code == 422 and "customer_id" in resp.json()["error"]["details"]["fields"]


def test_ctr1_parallel_contracts_one_number_or_one_deal_record_one(client, h, database, team, new_deal):
    from decimal import Decimal

    from poolcrm.contracts.schemas import ContractIn
    from poolcrm.contracts.service import record_contract
    from poolcrm.org.models import User
    from tests.concurrency import run_all

    deals = [new_deal() for _ in range(4)]

    def record(deal, number):
        def fn(s):
            data = ContractIn(
                customer_id=deal["customer_id"],
                deal_id=deal["id"],
                number=number,
                amount=Decimal(58000),
                signed_on=clock.today(),
            )
            record_contract(s, s.get(User, team["rep"]), data)

        return fn

    same_number = run_all(database, [record(d, "HT-RACE") for d in deals[:3]])
    assert sorted(same_number) == ["CTR-1", "CTR-1", "ok"], same_number
    one_deal = run_all(database, [record(deals[3], f"HT-ONE-{i}") for i in range(3)])
    assert sorted(one_deal) == ["DEAL-8", "DEAL-8", "ok"], one_deal
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 2


def test_ctr3_the_dashboard_shows_contracts_to_approve_and_overdue_installments(client, h, sign):
    contract = sign(PLAN)
    page = client.get("/", headers={**h("sup"), "Accept": "text/html"}).text
    assert "contracts-widget" in page and contract["number"] in page and "份合同待我审批" in page
    assert "contracts-widget" not in client.get("/", headers=h("other")).text
    client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h("sup"))
    clock.set_now(NOW + timedelta(days=15), frozen=True)
    page = client.get("/", headers=h("rep")).text
    assert "份合同有逾期未收款" in page and "¥20,000" in page


def test_the_contract_list_reads_people_customers_and_deals_once(client, database, h, sign):
    """Issue 22, no N+1: the contract list (API, page and the dashboard's contract card) runs as
    many statements for four contracts as for one."""
    from tests.pools.test_lists_scale import counted

    sign(number="HT-N1")
    client.get("/api/v1/contracts", headers=h("rep"))  # warm: policy and session read once
    with counted(database) as one:
        assert client.get("/api/v1/contracts", headers=h("rep")).status_code == 200
    for n in range(2, 5):
        sign(number=f"HT-N{n}")
    with counted(database) as four:
        body = client.get("/api/v1/contracts", headers=h("rep")).json()
    assert len(body["items"]) == 4
    assert len(four) == len(one), "\n".join(four)


def test_list2_contract_list_reads_no_lines_products_or_competitors(client, h, sign, database):
    """A list of contracts shows each deal's number and name: neither the contracts' lines nor the
    deals' products and competitor evaluations are read for it (issue 22); the contract's own page
    still has its lines."""
    signed = [sign(number=f"HT-LIST-{i}") for i in range(3)]
    with counted(database) as seen:
        body = client.get("/api/v1/contracts", headers=h("rep")).json()
    assert body["total"] == 3 and all(item["deal"]["number"] for item in body["items"])
    tables = ("FROM contract_lines", "FROM deal_products", "FROM deal_competitors")
    assert not [s for s in seen if any(t in s for t in tables)]
    one = client.get(f"/api/v1/contracts/{signed[0]['id']}", headers=h("rep")).json()
    assert one["lines"] and one["lines"][0]["product"]
