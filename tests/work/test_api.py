"""Work records (WORK-1..4) through the API, both engines."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.jobs.service import run_daily
from poolcrm.notify.models import Notification
from poolcrm.notify.service import render
from tests.work.conftest import DOCX, NOW, PDF


def _report(client, h, user="rep", kind="weekly", period="2026-W10", content=DOCX, name="周报.docx"):
    files = {"file": (name, content, "application/octet-stream")} if content is not None else None
    return client.post("/api/v1/reports", data={"kind": kind, "period": period}, files=files, headers=h(user))


def test_work1b_a_period_that_ended_before_the_author_was_hired_is_refused(client, h, crew):
    """WORK-1b: an annual report for `0001` was filed. The author (hired 2024-01-01) reports on the
    periods since their hire; a period outside the business years (0001, SEC-1's 1900–2199) or not
    yet begun stays refused by WORK-1."""
    for kind, period, rule in (
        ("annual", "0001", "WORK-1"),
        ("annual", "1999", "WORK-1b"),
        ("weekly", "2023-W52", "WORK-1b"),
        ("monthly", "2023-12", "WORK-1b"),
        ("annual", "0000", "WORK-1"),
        ("annual", "2199", "WORK-1"),
    ):
        resp = _report(client, h, kind=kind, period=period)
        assert resp.status_code == 422, (kind, period)
        error = resp.json()["error"]
        assert error["rule"] == rule and set(error["details"]["fields"]) == {"period"}, (kind, period)
    assert _report(client, h, kind="weekly", period="2024-W01").status_code == 201  # 2024-01-01: hired
    assert _report(client, h, kind="annual", period="2024").status_code == 201


def test_work1_report_subject_body_attachment_and_the_supervisor_reads_it(client, h, crew, database):
    resp = _report(client, h)
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert report["subject"] == "26年第10周工作周报—张伟"
    assert report["body"] == "26年第10周工作周报，详情见附件。谢谢！"
    assert report["attachment"]["filename"] == "26年第10周工作周报—张伟.docx"
    again = _report(client, h)
    assert again.status_code == 409 and again.json()["error"]["rule"] == "WORK-1"
    missing = client.post("/api/v1/reports", data={"kind": "monthly", "period": "2026-02"}, headers=h("rep"))
    assert missing.status_code == 422 and "file" in missing.json()["error"]["details"]["fields"]
    exe = _report(client, h, kind="monthly", period="2026-02", content=b"MZ\x90", name="virus.exe")
    assert exe.status_code == 422 and exe.json()["error"]["rule"] == "WORK-1"
    future = _report(client, h, kind="monthly", period="2026-04")
    assert future.status_code == 422 and "period" in future.json()["error"]["details"]["fields"]
    for kind, period, subject in (
        ("monthly", "2026-02", "26年2月工作月报—张伟"),
        ("half_year", "2025-H2", "25年下半年工作总结—张伟"),
        ("annual", "2025", "25年年终总结—张伟"),
    ):
        assert _report(client, h, kind=kind, period=period).json()["subject"] == subject
    notes = client.get("/api/v1/notifications", headers=h("sup")).text
    assert "收到 26年第10周工作周报—张伟" in notes
    own = client.post(f"/api/v1/reports/{report['id']}/read", json={"comment": "好"}, headers=h("rep"))
    assert own.status_code == 403
    assert client.get(f"/api/v1/reports/{report['id']}", headers=h("other")).status_code == 404
    read = client.post(
        f"/api/v1/reports/{report['id']}/read", json={"comment": "客户跟进到位"}, headers=h("sup")
    )
    assert read.status_code == 200 and (read.json()["status"], read.json()["comment"]) == (
        "read",
        "客户跟进到位",
    )
    got = client.get(f"/api/v1/work/files/{report['attachment']['id']}", headers=h("sup"))
    assert got.status_code == 200 and got.content == DOCX
    assert (
        client.get(f"/api/v1/work/files/{report['attachment']['id']}", headers=h("other")).status_code == 404
    )
    template = client.get("/api/v1/reports/templates/annual", headers=h("rep"))
    assert template.status_code == 200 and template.content.startswith(b"PK")


def test_work1_late_and_missing_reports_are_listed_for_the_supervisor(client, h, crew):
    clock.set_now(NOW + timedelta(days=6), frozen=True)  # Monday 2026-03-16: W11 ended Sunday, due Monday
    _report(client, h, user="rep", period="2026-W10")
    clock.set_now(NOW + timedelta(days=8), frozen=True)  # Wednesday 03-18: W11 due 03-16 has passed
    _report(client, h, user="rep", period="2026-W11")  # filed late
    late = client.get("/api/v1/reports/late", headers=h("sup")).json()
    weekly = {(x["user"]["display_name"], x["state"]) for x in late if x["kind"] == "weekly"}
    assert weekly == {("张伟", "late"), ("李娜", "missing")}
    assert client.get("/api/v1/reports/late", headers=h("rep")).json() == []


def test_work2_trip_plan_approved_reported_with_its_followups_and_silence_shown(
    client, h, crew, work_customer, database
):
    body = {
        "region": "华东",
        "start_on": "2026-03-10",
        "end_on": "2026-03-12",
        "purpose": "拜访华东重点客户",
        "customer_ids": [work_customer["customer_id"]],
    }
    trip = client.post("/api/v1/trips", json=body, headers=h("rep")).json()
    assert trip["subject"] == "2026年03月10日-华东-出差计划—张伟" and trip["status"] == "pending"
    hidden = client.post("/api/v1/trips", json={**body, "customer_ids": [999999]}, headers=h("rep"))
    assert hidden.status_code == 404
    backwards = client.post("/api/v1/trips", json={**body, "end_on": "2026-03-09"}, headers=h("rep"))
    assert backwards.status_code == 422 and "end_on" in backwards.json()["error"]["details"]["fields"]
    report = {
        "purpose": "A",
        "result": "B",
        "next_plan": "C",
        "started_at": "2026-03-10T08:00:00+08:00",
        "ended_at": "2026-03-10T18:00:00+08:00",
    }
    early = client.post(f"/api/v1/trips/{trip['id']}/report", json=report, headers=h("rep"))
    assert early.status_code == 409 and early.json()["error"]["rule"] == "WORK-2"
    assert client.post(f"/api/v1/trips/{trip['id']}/approve", headers=h("rep")).status_code == 403
    assert client.post(f"/api/v1/trips/{trip['id']}/approve", headers=h("sup")).json()["status"] == "approved"
    with database.transaction(write=False) as s:  # the decision is a term: read in the reader's language
        (decided,) = s.scalars(select(Notification).where(Notification.kind == "trip_decided")).all()
        assert render(decided, "zh").endswith("：已批准") and render(decided, "en").endswith(": Approved")
    clock.set_now(NOW + timedelta(days=5), frozen=True)  # unseen for 5 days, but the trip ended on the 12th
    assert client.get("/api/v1/trips/silent", headers=h("sup")).json() == []
    done = client.post(f"/api/v1/trips/{trip['id']}/report", json=report, headers=h("rep")).json()
    assert done["status"] == "reported" and done["report"]["subject"] == "出差报告—张伟"
    assert [f["id"] for f in done["followups"]] == [work_customer["followup_id"]]


def test_work2_a_traveller_unseen_for_three_days_shows_up(client, h, crew, database):
    from poolcrm.work.models import Trip

    with database.transaction() as s:
        s.add(
            Trip(
                user_id=crew["rep2"],
                region="西南",
                start_on=NOW.date() - timedelta(days=5),
                end_on=NOW.date() + timedelta(days=3),
                purpose="驻点",
                customer_ids=[],
                subject="x",
                status="approved",
                created_at=clock.now(),
            )
        )
    silent = client.get("/api/v1/trips/silent", headers=h("sup")).json()
    assert [x["trip"]["user"]["display_name"] for x in silent] == ["李娜"] and silent[0]["last_seen_on"] == ""
    h("rep2")  # rep2 signs in: seen today
    assert client.get("/api/v1/trips/silent", headers=h("sup")).json() == []


def _expense(client, h, user="rep", **body):
    data = {
        "spent_on": "2026-03-09",
        "type": "交通",
        "amount": 320,
        "description": "拜访客户打车往返",
        **body,
    }
    return client.post("/api/v1/expenses", json=data, headers=h(user))


def _receipt(client, h, expense_id, user="rep"):
    files = {"file": ("发票.pdf", PDF, "application/pdf")}
    return client.post(f"/api/v1/expenses/{expense_id}/receipts", files=files, headers=h(user))


def test_work3_submit_refused_without_a_link_or_receipt_then_approved_and_reimbursed(
    client, h, crew, database, work_customer
):
    bare = _expense(client, h).json()
    assert bare["subject"] == "2026年03月09日交通费用—张伟" and bare["status"] == "draft"
    refused = client.post(f"/api/v1/expenses/{bare['id']}/submit", headers=h("rep"))
    assert refused.status_code == 409 and refused.json()["error"]["rule"] == "WORK-3"
    assert "客户" in refused.json()["error"]["message"]
    linked = _expense(client, h, customer_id=work_customer["customer_id"]).json()
    assert _receipt(client, h, linked["id"]).status_code == 201
    submitted = client.post(f"/api/v1/expenses/{linked['id']}/submit", headers=h("rep")).json()
    assert submitted["status"] == "submitted"
    assert submitted["links"]["followup"]["id"] == work_customer["followup_id"]  # the customer's progress
    assert client.post(f"/api/v1/expenses/{linked['id']}/approve", headers=h("rep")).status_code == 403
    assert client.post(f"/api/v1/expenses/{linked['id']}/reimburse", headers=h("fin")).status_code == 409
    approved = client.post(f"/api/v1/expenses/{linked['id']}/approve", headers=h("sup")).json()
    assert approved["status"] == "approved"
    assert client.post(f"/api/v1/expenses/{linked['id']}/reimburse", headers=h("sup")).status_code == 403
    paid = client.post(f"/api/v1/expenses/{linked['id']}/reimburse", headers=h("fin")).json()
    assert paid["status"] == "reimbursed"
    sheet = load_workbook(
        BytesIO(client.get("/api/v1/expenses/export.xlsx", headers=h("fin")).content)
    ).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][1] == "2026年03月09日交通费用—张伟" and rows[0][8]
    with database.transaction() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "expense")).all()
        assert "expense.reimburse" in actions


def test_work3_bad_input_hidden_links_and_the_gm_above_the_amount(client, h, crew, new_deal, work_customer):
    for body, field in (
        ({"spent_on": "2026-03-11"}, "spent_on"),
        ({"type": "旅游"}, "type"),
        ({"amount": 0}, "amount"),
        ({"description": " "}, "description"),
    ):
        resp = _expense(client, h, **body)
        assert resp.status_code == 422 and field in resp.json()["error"]["details"]["fields"], field
    theirs = new_deal("other")
    assert _expense(client, h, customer_id=theirs["customer_id"]).status_code == 404
    big = _expense(client, h, amount=8000, type="招待", followup_id=work_customer["followup_id"]).json()
    _receipt(client, h, big["id"])
    client.post(f"/api/v1/expenses/{big['id']}/submit", headers=h("rep"))
    first = client.post(f"/api/v1/expenses/{big['id']}/approve", headers=h("sup")).json()
    assert (first["status"], first["approval_level"]) == ("submitted", "gm")
    assert (
        client.post(f"/api/v1/expenses/{big['id']}/approve", headers=h("gm")).json()["status"] == "approved"
    )
    assert _receipt(client, h, big["id"]).status_code == 422  # an approved expense never changes
    correction = _expense(client, h, amount=-1, corrects_id=big["id"])
    assert correction.status_code == 422


def test_work3_what_a_deal_and_a_customer_cost(client, h, crew, new_deal):
    deal = new_deal()
    progress = client.post(
        f"/api/v1/deals/{deal['id']}/progress",
        json={"details": "与信息中心确认配置清单和交付周期，客户认可我方方案", "next_plan": "提交报价"},
        headers=h("rep"),
    ).json()
    e = _expense(client, h, amount=600, type="餐饮", deal_progress_id=progress["id"]).json()
    _receipt(client, h, e["id"])
    client.post(f"/api/v1/expenses/{e['id']}/submit", headers=h("rep"))
    client.post(f"/api/v1/expenses/{e['id']}/approve", headers=h("sup"))
    shown = client.get(f"/api/v1/deals/{deal['id']}", headers=h("rep")).json()
    assert shown["expenses"] == 600.0
    page = client.get(f"/customers/{deal['customer_id']}", headers={**h("rep"), "Accept": "text/html"})
    assert "¥600.00" in page.text and "customer-expenses" in page.text


def test_work4_weekly_actions_against_the_minimum_and_monday_shortfalls(client, h, crew, database, new_deal):
    deal = new_deal()
    for i in range(3):
        client.post(
            f"/api/v1/deals/{deal['id']}/progress",
            json={"details": f"第{i}次与客户沟通方案细节，确认配置与交付周期安排", "next_plan": "继续跟进"},
            headers=h("rep"),
        )
    rows = {
        r["user"]["display_name"]: r for r in client.get("/api/v1/work/activity", headers=h("sup")).json()
    }
    assert (rows["张伟"]["actions"], rows["张伟"]["shortfall"]) == (3, 0)
    assert rows["李娜"]["shortfall"] == 3
    clock.set_now(NOW + timedelta(days=6), frozen=True)  # JOB-1b: Monday 2026-03-16 has come
    run_daily(database, NOW.date() + timedelta(days=6), catch_up=False)
    with database.transaction() as s:
        notes = s.scalars(select(Notification).where(Notification.kind == "weekly_activity_short")).all()
        assert {n.user_id for n in notes} == {crew["gm"]}
        zh, en = render(notes[0], "zh"), render(notes[0], "en")
        assert (
            zh.startswith("2026-03-09 当周商机行动不足的销售 3 人：")
            and "、李娜（0/3）" in zh
            and "张伟" not in zh
        )
        assert en.startswith("Week of 2026-03-09: 3 reps short") and ", 李娜 (0/3)" in en and "、" not in en


def test_work3_monthly_totals_per_rep(client, h, crew, work_customer):
    for amount in (100, 250):
        e = _expense(client, h, amount=amount, customer_id=work_customer["customer_id"]).json()
        _receipt(client, h, e["id"])
        client.post(f"/api/v1/expenses/{e['id']}/submit", headers=h("rep"))
    client.post(f"/api/v1/expenses/{e['id']}/approve", headers=h("sup"))
    rows = client.get("/api/v1/expenses/totals?month=2026-03", headers=h("sup")).json()
    assert [(r["user"]["display_name"], r["count"], r["submitted"], r["approved"]) for r in rows] == [
        ("张伟", 2, 100.0, 250.0)
    ]
    assert client.get("/api/v1/expenses/totals?month=2026-03", headers=h("other")).json() == []
    assert client.get("/api/v1/expenses/totals?month=2026-13", headers=h("sup")).status_code == 422
