"""The service desk through the API on both engines (SVC-1..8)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.followups.models import FollowUp
from poolcrm.notify.models import Notification
from poolcrm.notify.service import render
from poolcrm.service.models import Ticket
from poolcrm.service.sla import scan_breaches
from tests.service.conftest import NOW


def test_svc2_number_and_subject_are_generated_and_the_log_starts(open_ticket):
    first, second = open_ticket(), open_ticket(kind="installation")
    assert first["number"] == "FW2026001" and second["number"] == "FW2026002"
    assert first["subject"] == "2026年12月2日 保内维修服务"
    assert second["subject"] == "2026年12月2日 初始安装服务"
    assert first["status"] == "pending" and first["assignee"] is None
    assert [x["action"] for x in first["log"]] == ["open"]


def test_svc1_bad_input_is_422_naming_the_field(client, h, team, make_customer):
    cid = make_customer(team["rep"])
    base = {"customer_id": cid, "kind": "in_warranty", "request_type": "consultation", "description": "x"}
    for body, field in [
        ({**base, "kind": "repair"}, "kind"),
        ({**base, "request_type": "x"}, "request_type"),
        ({**base, "priority": "urgent"}, "priority"),
        ({**base, "description": "   "}, "description"),
        ({**base, "request_type": "complaint"}, "emotion"),
    ]:
        resp = client.post("/api/v1/tickets", json=body, headers=h("cs"))
        assert resp.status_code == 422, body
        assert field in resp.json()["error"]["details"]["fields"]


def test_svc3_high_priority_lands_on_the_service_supervisor(open_ticket, team):
    t = open_ticket(priority="high")
    assert t["assignee"]["id"] == team["svcsup"] and t["status"] == "pending"
    complaint = open_ticket(request_type="complaint", priority="low", emotion="agitated")
    assert complaint["priority"] == "high" and complaint["urgent"] is True
    assert complaint["assignee"]["id"] == team["svcsup"]


def test_svc3_assign_confirm_resolve_close_with_required_documents(client, h, open_ticket, upload):
    t = open_ticket()
    resp = client.post(f"/api/v1/tickets/{t['id']}/assign", json={"user_id": 0}, headers=h("svcsup"))
    assert resp.status_code == 422
    assigned = client.post(
        f"/api/v1/tickets/{t['id']}/assign", json={"user_id": _id(client, h, "svc1")}, headers=h("svcsup")
    )
    assert assigned.status_code == 200 and assigned.json()["assignee"]["display_name"] == "马工"
    not_mine = client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svc2"))
    assert not_mine.status_code in (404, 409)
    assert (
        client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svc1")).json()["status"] == "processing"
    )
    assert (
        client.post(
            f"/api/v1/tickets/{t['id']}/log", json={"text": "电话指导清理进纸轮"}, headers=h("svc1")
        ).status_code
        == 200
    )
    refused = client.post(
        f"/api/v1/tickets/{t['id']}/resolve", json={"result": "更换进纸轮"}, headers=h("svc1")
    )
    assert refused.status_code == 409 and refused.json()["error"]["rule"] == "SVC-2"
    assert refused.json()["error"]["details"]["missing"] == ["service_sheet"]
    assert upload(t["id"], "service_sheet").status_code == 201
    done = client.post(f"/api/v1/tickets/{t['id']}/resolve", json={"result": "更换进纸轮"}, headers=h("svc1"))
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    closed = client.post(
        f"/api/v1/tickets/{t['id']}/close", json={"customer_confirmed": True}, headers=h("cs")
    )
    assert closed.json()["status"] == "closed"
    actions = [x["action"] for x in closed.json()["log"]]
    assert actions == ["open", "assign", "accept", "log", "attach", "resolve", "close_confirmed"]
    again = client.post(f"/api/v1/tickets/{t['id']}/resolve", json={"result": "x"}, headers=h("svc1"))
    assert again.status_code == 409 and again.json()["error"]["rule"] == "SVC-2"


def _id(client, h, username):
    return client.get("/api/v1/me", headers=h(username)).json()["id"]


def test_svc2_installation_needs_sheet_acceptance_and_commissioning(client, h, open_ticket, upload, team):
    t = open_ticket(kind="installation")
    client.post(f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc1"]}, headers=h("svcsup"))
    client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svc1"))
    upload(t["id"], "service_sheet")
    refused = client.post(
        f"/api/v1/tickets/{t['id']}/resolve", json={"result": "安装完成"}, headers=h("svc1")
    )
    assert refused.json()["error"]["details"]["missing"] == ["acceptance", "commissioning"]


def test_svc2_upload_too_big_wrong_type_or_forged_leaves_nothing(client, h, open_ticket, upload, database):
    t = open_ticket()
    assert (
        upload(t["id"], "service_sheet", user="cs", content=b"MZ\x90\x00evil", name="a.exe").status_code
        == 422
    )
    assert upload(t["id"], "service_sheet", user="cs", content=b"not a pdf", name="a.pdf").status_code == 422
    assert upload(t["id"], "service_sheet", user="cs", content=b"", name="a.pdf").status_code == 422
    big = b"%PDF-" + b"0" * (20 * 1024 * 1024)
    assert upload(t["id"], "service_sheet", user="cs", content=big, name="a.pdf").status_code == 422
    assert upload(t["id"], "nonsense", user="cs").status_code == 422
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=h("cs")).json()
    assert detail["files"] == [] and [x["action"] for x in detail["log"]] == ["open"]


def test_svc8_who_sees_a_ticket_and_its_attachment(client, h, open_ticket, upload, team):
    t = open_ticket()
    file_id = upload(t["id"], "service_sheet", user="cs").json()["id"]
    for user in ("cs", "gm", "svcsup", "rep", "sup", "svc1"):  # svc1: the team's unassigned queue
        assert client.get(f"/api/v1/tickets/{t['id']}", headers=h(user)).status_code == 200, user
    client.post(f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc2"]}, headers=h("svcsup"))
    missing = client.get("/api/v1/tickets/99999999", headers=h("other"))
    for path in (
        f"/api/v1/tickets/{t['id']}",
        f"/api/v1/attachments/{file_id}",
        f"/api/v1/tickets/{t['id']}/rating-link",
    ):
        for user in ("other", "svc1"):
            resp = client.get(path, headers=h(user))
            assert resp.status_code == 404 and resp.json() == missing.json(), (path, user)
    assert client.get(f"/api/v1/attachments/{file_id}", headers=h("svc2")).content.startswith(b"%PDF-")
    listed = client.get("/api/v1/tickets", headers=h("other")).json()
    assert listed["total"] == 0 and listed["items"] == []
    assert client.get("/api/v1/tickets?assignee=me", headers=h("svc2")).json()["total"] == 1


def test_svc5_confirmed_complaint_writes_resolved_into_the_followups(client, h, open_ticket, team, database):
    t = open_ticket(request_type="complaint", emotion="disappointed", kind="online")
    assert client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svcsup")).status_code == 200
    client.post(
        f"/api/v1/tickets/{t['id']}/resolve", json={"result": "上门更换整机并致歉"}, headers=h("svcsup")
    )
    client.post(f"/api/v1/tickets/{t['id']}/close", json={"customer_confirmed": True}, headers=h("cs"))
    with database.transaction() as s:
        f = s.scalar(select(FollowUp).where(FollowUp.source == "ticket", FollowUp.source_id == t["id"]))
        assert f is not None and f.content.startswith("投诉已解决") and f.customer_id == t["customer"]["id"]
        owner_note = s.scalar(
            select(Notification).where(
                Notification.user_id == team["rep"], Notification.kind == "service.complaint"
            )
        )
        assert owner_note is not None


def test_svc4_complaint_deadlines_and_breach_notifies_assignee_supervisor_and_escalates(
    client, h, open_ticket, team, database
):
    t = open_ticket(request_type="complaint", emotion="agitated")
    d = {k: datetime.fromisoformat(v) for k, v in t["deadlines"].items()}
    assert d["assign_by"] == NOW + timedelta(minutes=10)
    assert d["contact_by"] == NOW + timedelta(minutes=30) == d["respond_by"]
    assert d["resolve_by"] == NOW + timedelta(hours=24)
    clock.set_now(NOW + timedelta(minutes=11), frozen=True)
    with database.transaction() as s:
        assert scan_breaches(s) == [t["id"]]
        assert scan_breaches(s) == []  # counted once
    with database.transaction() as s:
        ticket = s.get(Ticket, t["id"])
        assert ticket.breaches == ["assign_by"] and ticket.breach_count == 1
        notes = s.scalars(select(Notification).where(Notification.kind == "service.sla_breach")).all()
        assert sorted(n.user_id for n in notes) == sorted([team["svcsup"], team["gm"]])
        # the deadline's name is read in the reader's language (it was Chinese in English: "分派")
        assert "分派" in render(notes[0], "zh") and "分派" not in render(notes[0], "en")
        assert "Ticket" in render(notes[0], "en")
    listed = client.get("/api/v1/tickets?breached=true", headers=h("svcsup")).json()
    assert [x["id"] for x in listed["items"]] == [t["id"]]


def test_svc4_meeting_a_deadline_stops_its_clock(client, h, open_ticket, team, database):
    t = open_ticket(priority="high")
    client.post(f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc1"]}, headers=h("svcsup"))
    client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svc1"))
    clock.set_now(NOW + timedelta(hours=2), frozen=True)
    with database.transaction() as s:
        assert scan_breaches(s) == []
    clock.set_now(NOW + timedelta(hours=25), frozen=True)
    with database.transaction() as s:
        assert scan_breaches(s) == [t["id"]]
        assert s.get(Ticket, t["id"]).breaches == ["resolve_by"]
        notes = s.scalars(select(Notification.user_id).where(Notification.kind == "service.sla_breach")).all()
        assert sorted(notes) == sorted([team["svc1"], team["svcsup"], team["gm"]])


def test_svc3_two_supervisors_assigning_at_once_one_wins_the_other_409(
    client, h, open_ticket, team, make_user
):
    make_user("svcsup2", ["service", "supervisor"], dept="服务部", kind="service", supervisor_id=team["gm"])
    t = open_ticket()
    first = client.post(
        f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc1"]}, headers=h("svcsup")
    )
    second = client.post(
        f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc2"]}, headers=h("svcsup2")
    )
    assert first.status_code == 200 and second.status_code == 409
    assert second.json()["error"]["rule"] == "SVC-3"
    moved = client.post(
        f"/api/v1/tickets/{t['id']}/assign",
        json={"user_id": team["svc2"], "reassign": True},
        headers=h("svcsup2"),
    )
    assert moved.status_code == 200 and moved.json()["assignee"]["id"] == team["svc2"]


def test_svc2_abandon_needs_a_reason_and_keeps_the_ticket(client, h, open_ticket, team):
    t = open_ticket()
    client.post(f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc1"]}, headers=h("svcsup"))
    assert (
        client.post(f"/api/v1/tickets/{t['id']}/abandon", json={"reason": " "}, headers=h("svc1")).status_code
        == 422
    )
    done = client.post(
        f"/api/v1/tickets/{t['id']}/abandon", json={"reason": "客户取消报修"}, headers=h("svc1")
    )
    assert done.json()["status"] == "abandoned" and done.json()["next_deadline_at"] is None
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=h("cs")).status_code == 200


def test_svc7_stats_by_staff_customer_product_and_the_excel_export(client, h, open_ticket, upload, team):
    for _ in range(2):
        t = open_ticket()
        client.post(f"/api/v1/tickets/{t['id']}/assign", json={"user_id": team["svc1"]}, headers=h("svcsup"))
        clock.set_now(NOW + timedelta(minutes=30), frozen=True)
        client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svc1"))
        upload(t["id"], "service_sheet")
        clock.set_now(NOW + timedelta(hours=3), frozen=True)
        client.post(f"/api/v1/tickets/{t['id']}/resolve", json={"result": "已修复"}, headers=h("svc1"))
        clock.set_now(NOW, frozen=True)
    staff = client.get("/api/v1/tickets/stats?by=staff&period=2026-12", headers=h("svcsup")).json()
    row = staff["rows"][0]
    assert row["name"] == "马工" and row["tickets"] == 2 and row["avg_response_minutes"] == 30.0
    assert row["avg_resolution_hours"] == 3.0 and row["sla_kept_pct"] == 100.0
    product = client.get("/api/v1/tickets/stats?by=product&period=2026-12", headers=h("svcsup")).json()
    assert product["rows"] == [{"key": "高速扫描仪 FS-9000", "name": "高速扫描仪 FS-9000", "repairs": 2}]
    assert client.get("/api/v1/tickets/stats?by=region", headers=h("svcsup")).status_code == 422
    assert client.get("/api/v1/tickets/stats?period=2026-13", headers=h("svcsup")).status_code == 422
    export = client.get("/api/v1/tickets/stats/export?period=2026-12", headers=h("svcsup"))
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert "20261202-1000" in export.headers["content-disposition"]


def test_svc1_only_customers_in_the_crm_and_reps_only_on_customers_they_see(
    client, h, team, make_customer, database
):
    pending = make_customer(team["rep"])
    with database.transaction() as s:
        s.get(Customer, pending).pool = "pending"
    body = {"kind": "online", "request_type": "consultation", "description": "咨询"}
    refused = client.post("/api/v1/tickets", json={**body, "customer_id": pending}, headers=h("cs"))
    assert refused.status_code == 409 and refused.json()["error"]["rule"] == "SVC-1"
    others = make_customer(team["other"])
    hidden = client.post("/api/v1/tickets", json={**body, "customer_id": others}, headers=h("rep"))
    unknown = client.post("/api/v1/tickets", json={**body, "customer_id": 99999999}, headers=h("rep"))
    assert hidden.status_code == unknown.status_code == 404 and hidden.json() == unknown.json()
    mine = client.post(
        "/api/v1/tickets", json={**body, "customer_id": make_customer(team["rep"])}, headers=h("rep")
    )
    assert mine.status_code == 201
    by_service = client.post("/api/v1/tickets", json={**body, "customer_id": others}, headers=h("svc1"))
    assert by_service.status_code == 201  # SVC-8a: the service desk reaches any customer in the CRM
    wrong_contact = client.post(
        "/api/v1/tickets", json={**body, "customer_id": others, "contact_id": 99999999}, headers=h("cs")
    )
    assert (
        wrong_contact.status_code == 422
        and "contact_id" in wrong_contact.json()["error"]["details"]["fields"]
    )


def test_svc5_weekly_review_records_cause_action_and_follow_through(client, h, open_ticket, team):
    complaint = open_ticket(request_type="complaint", emotion="calm", kind="online")
    other = open_ticket()
    url = f"/api/v1/tickets/{complaint['id']}/review"
    assert client.post(url, json={"cause": "天气"}, headers=h("svcsup")).status_code == 422
    assert (
        client.post(url, json={"cause": "产品质量"}, headers=h("rep")).status_code == 403
    )  # sees it, may not review
    assert (
        client.post(url, json={"cause": "产品质量"}, headers=h("svc1")).status_code == 404
    )  # not his ticket
    done = client.post(url, json={"cause": "产品质量", "action": "出厂加测", "done": True}, headers=h("cs"))
    assert done.status_code == 200 and done.json()["complaint"] == {
        "cause": "产品质量",
        "action": "出厂加测",
        "done": True,
    }
    not_complaint = client.post(
        f"/api/v1/tickets/{other['id']}/review", json={"cause": "产品质量"}, headers=h("cs")
    )
    assert not_complaint.status_code == 404


def test_svc2_junk_input_never_answers_500(client, h, open_ticket):
    t = open_ticket()
    for path, body in [
        (f"/api/v1/tickets/{t['id']}/assign", {"user_id": 2**63}),
        (f"/api/v1/tickets/{t['id']}/assign", {"user_id": "x"}),
        (f"/api/v1/tickets/{t['id']}/log", {"text": "\x00\x01"}),
        (f"/api/v1/tickets/{t['id']}/abandon", {"reason": 5}),
        (
            "/api/v1/tickets",
            {"customer_id": -1, "kind": "online", "request_type": "consultation", "description": "x"},
        ),
    ]:
        assert client.post(path, json=body, headers=h("svcsup")).status_code in (404, 409, 422), (path, body)
    for path in (
        "/api/v1/tickets?assignee=-1",
        "/api/v1/tickets?status=x",
        "/api/v1/tickets/99999999999999999999",
        "/api/v1/tickets?customer_id=-99999999999",
        "/api/v1/tickets/stats?period=0000-00",
    ):
        assert client.get(path, headers=h("svcsup")).status_code in (404, 422), path
