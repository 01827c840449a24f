"""The customer record: CUS-10..17, export and import (CUS-18), the dormant job (CUS-12)."""

from __future__ import annotations

import io
from datetime import date

import xlsxwriter
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer, CustomerChange, CustomerNameGram


def _patch(client, cid, headers, **body):
    return client.patch(f"/api/v1/customers/{cid}", json=body, headers=headers)


def test_cus13_every_change_recorded_with_old_new_and_reason(client, org, approved):
    cid = approved("rep")
    resp = _patch(client, cid, org["h"]["rep"], remark="年采购50万", tier="A", reason="拜访后补充")
    assert resp.status_code == 200, resp.text
    changes = client.get(f"/api/v1/customers/{cid}/changes", headers=org["h"]["rep"]).json()
    by_field = {c["field"]: c for c in changes}
    assert by_field["tier"]["old_value"] is None and by_field["tier"]["new_value"] == "A"
    assert (
        by_field["remark"]["reason"] == "拜访后补充" and by_field["remark"]["actor"]["display_name"] == "张伟"
    )


def test_cus13_closed_customer_key_fields_wait_for_supervisor(client, org, approved):
    cid = approved("rep")
    closing = _patch(client, cid, org["h"]["admin"], status="closed", reason="合同 HT-1 已签")  # CUS-16
    assert closing.status_code == 200
    resp = _patch(
        client, cid, org["h"]["rep"], address="北京市朝阳区建国路88号SOHO大厦1楼101室", remark="备注"
    )
    body = resp.json()
    assert body["pending_change_request"]["changes"] == {"address": "北京市朝阳区建国路88号SOHO大厦1楼101室"}
    assert body["address"] != "北京市朝阳区建国路88号SOHO大厦1楼101室" and body["remark"] == "备注"
    req = body["pending_change_request"]["id"]
    assert (
        client.post(f"/api/v1/customer-requests/{req}/approve", headers=org["h"]["mate"]).status_code == 403
    )
    ok = client.post(f"/api/v1/customer-requests/{req}/approve", headers=org["h"]["sup"])
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["address"] == "北京市朝阳区建国路88号SOHO大厦1楼101室"


def test_cus13_rep_cannot_edit_public_or_foreign_customers(client, org, approved):
    cid = approved("rep")
    assert _patch(client, cid, org["h"]["other"], remark="x").status_code == 404
    assert _patch(client, cid, org["h"]["rep"], name="").status_code == 422


def test_cus11_grade_is_computed_and_only_a_supervisor_overrides_it_with_a_reason(client, org, approved):
    cid = approved("rep")
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["suggested_grade"] == "ordinary" and detail["grade"] is None  # incomplete: no grade
    assert "postal_code" in detail["grade_missing"]
    resp = _patch(client, cid, org["h"]["rep"], grade="core", reason="大客户")
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CUS-11"
    full = dict(
        postal_code="100080",
        region="北京",
        industry="软件",
        source="展会",
        profile="扫描仪用户",
        contact_position="采购经理",
        customer_type="direct",
    )
    assert _patch(client, cid, org["h"]["rep"], **full).status_code == 200
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()["grade"] == "ordinary"
    no_reason = _patch(client, cid, org["h"]["sup"], grade="core")
    assert no_reason.status_code == 409 and "原因" in no_reason.json()["error"]["message"]
    assert _patch(client, cid, org["h"]["sup"], grade="core", reason="集团年度框架采购").status_code == 200
    shown = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert shown["grade"] == "core" and shown["grade_override"]["reason"] == "集团年度框架采购"
    assert _patch(client, cid, org["h"]["sup"], grade=None, reason="框架取消").status_code == 200
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()["grade"] == "ordinary"


def test_cus15_tier_cadence_and_cus16_membership_in_detail(client, org, approved):
    cid = approved("rep", tier="A")
    membership = _patch(client, cid, org["h"]["admin"], member_until="2099-12-31", reason="会员合同已付款")
    assert membership.status_code == 200  # CUS-16: CS/admin with a reason, never the owner
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["contact_due_on"] and detail["contact_overdue"] is False
    assert detail["membership"] == "active"


def test_cus17_contacts_many_with_key_decision_maker(client, org, approved):
    cid = approved("rep")
    url = f"/api/v1/customers/{cid}/contacts"
    a = client.post(
        url,
        json={
            "name": "王五",
            "department": "信息中心",
            "position": "主任",
            "mobile": "13900139000",
            "is_key_decision_maker": True,
        },
        headers=org["h"]["rep"],
    )
    assert a.status_code == 201, a.text
    client.post(url, json={"name": "赵六"}, headers=org["h"]["rep"])
    assert (
        client.post(url, json={"name": "坏号", "mobile": "123"}, headers=org["h"]["rep"]).status_code == 422
    )
    listed = client.get(url, headers=org["h"]["rep"]).json()
    assert [c["name"] for c in listed] == ["王五", "赵六"] and listed[0]["is_key_decision_maker"]
    off = client.patch(f"{url}/{listed[1]['id']}", json={"active": False}, headers=org["h"]["rep"])
    assert off.status_code == 200
    assert len(client.get(url, headers=org["h"]["rep"]).json()) == 1


def _grams(s, customer_id: int) -> int:
    return s.scalar(select(func.count()).where(CustomerNameGram.customer_id == customer_id))


def test_cus14_deletion_needs_department_head_and_admin_and_leaves_tombstone(client, org, approved, database):
    cid = approved("rep")
    req = client.post(
        f"/api/v1/customers/{cid}/delete-request", json={"reason": "测试数据"}, headers=org["h"]["rep"]
    )
    assert req.status_code == 201
    rid = req.json()["id"]
    first = client.post(f"/api/v1/customer-requests/{rid}/approve", headers=org["h"]["admin"])
    assert first.json()["status"] == "pending"
    second = client.post(f"/api/v1/customer-requests/{rid}/approve", headers=org["h"]["sup"])
    assert second.json()["status"] == "approved"
    with database.transaction() as s:
        c = s.get(Customer, cid)
        assert c is not None and c.pool == "deleted" and c.deleted_at is not None
        assert _grams(s, cid) == 0, "a tombstone leaves the duplicate index"
        assert (
            s.scalar(
                select(func.count()).where(AuditEntry.action == "customer.move", AuditEntry.rule == "CUS-14")
            )
            == 1
        )
    assert client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).status_code == 404
    dup = client.post(
        "/api/v1/customers/duplicates", json={"name": "北京友好创达科技有限公司"}, headers=org["h"]["rep"]
    )
    assert dup.json()["matches"] == []


def test_cus10_merge_keeps_earliest_and_loses_nothing(client, org, approved, database):
    keep = approved("rep")
    late = approved(
        "other",
        name="北京友好创达信息科技有限公司",
        phone="010-88889999",
        email="it@yhcd.cn",
        postal_code="100080",
    )
    client.post(f"/api/v1/customers/{late}/contacts", json={"name": "王五"}, headers=org["h"]["other"])
    resp = client.post(
        "/api/v1/customers/merge",
        json={"customer_ids": [late, keep], "reason": "同一公司"},
        headers=org["h"]["cs"],
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"] == keep and body["email"] == "it@yhcd.cn" and body["postal_code"] == "100080"
    contacts = client.get(f"/api/v1/customers/{keep}/contacts", headers=org["h"]["cs"]).json()
    assert {"王五", "张三"} <= {c["name"] for c in contacts}
    with database.transaction() as s:
        gone = s.get(Customer, late)
        assert gone.pool == "merged" and gone.merged_into_id == keep
        assert _grams(s, late) == 0 and _grams(s, keep) > 0
        assert (
            s.scalar(
                select(func.count()).where(
                    CustomerChange.customer_id == keep, CustomerChange.field == "email"
                )
            )
            == 1
        )
    apps = client.get("/api/v1/applications?status=approved", headers=org["h"]["cs"]).json()["items"]
    assert {a["customer_id"] for a in apps} == {keep}
    assert (
        client.post(
            "/api/v1/customers/merge",
            json={"customer_ids": [keep, late], "reason": "x"},
            headers=org["h"]["rep"],
        ).status_code
        == 403
    )


def test_cus18_export_honours_scope_and_is_audited(client, org, approved, database):
    approved("rep")
    approved("other", name="上海某某贸易有限公司", phone="021-55556666")
    resp = client.get("/api/v1/customers/export?pool=all", headers=org["h"]["rep"])
    assert resp.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(resp.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and rows[1][1] == "北京友好创达科技有限公司"
    with database.transaction() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.export"))
        assert entry is not None and entry.rule == "ORG-5" and entry.after["rows"] == 1


def _xlsx(rows):
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = book.add_worksheet()
    for i, row in enumerate(rows):
        ws.write_row(i, 0, row)
    book.close()
    return buf.getvalue()


HEAD = ["公司全称*", "经营地址*", "联系人*", "电话*", "手机", "行业", "客户类型"]
ADDR = "北京市海淀区中关村大街{n}号海龙大厦5楼501室"


def test_cus18_import_with_bad_row_in_the_middle(client, org, database):
    rows = [
        HEAD,
        ["北京甲子科技有限公司", ADDR.format(n=1), "张一", "010-61110001", "", "IT", "直客"],
        ["北京乙丑贸易有限公司", "", "张二", "010-61110002", "", "零售业", "直客"],
        ["北京丙寅软件有限公司", ADDR.format(n=3), "张三", "010-61110003", "12345", "IT", "直客"],
        ["北京甲子科技有限公司", ADDR.format(n=4), "张四", "010-61110004", "", "IT", "直客"],
        ["北京丁卯信息技术有限公司", ADDR.format(n=5), "张五", "010-61110005", "13800138000", "IT", "渠道"],
    ]
    resp = client.post(
        "/api/v1/customers/import", files={"file": ("c.xlsx", _xlsx(rows))}, headers=org["h"]["cs"]
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["imported"] == 2 and body["rejected_rows"] == 3 and body["mode"] == "public"
    rejected = {(r["row"], r["field"]) for r in body["rejected"]}
    assert rejected == {(3, "address"), (4, "mobile"), (5, "name")}
    with database.transaction() as s:
        names = set(s.scalars(select(Customer.name)))
        assert names == {"北京甲子科技有限公司", "北京丁卯信息技术有限公司"}
        assert {c.pool for c in s.scalars(select(Customer))} == {"public"}


def test_cus1_import_rejects_rows_without_industry_or_type_with_the_reason(client, org):
    rows = [
        HEAD,
        ["北京甲子科技有限公司", ADDR.format(n=1), "张一", "010-61110001", "", "", "直客"],
        ["北京乙丑贸易有限公司", ADDR.format(n=2), "张二", "010-61110002", "", "零售业", ""],
        ["北京丙寅软件有限公司", ADDR.format(n=3), "张三", "010-61110003", "", "IT", "直客"],
    ]
    resp = client.post(
        "/api/v1/customers/import", files={"file": ("c.xlsx", _xlsx(rows))}, headers=org["h"]["cs"]
    )
    body = resp.json()
    assert body["imported"] == 1 and body["rejected_rows"] == 2
    assert {(r["row"], r["field"]) for r in body["rejected"]} == {(2, "industry"), (3, "customer_type")}


def test_cus18_import_by_rep_creates_pending_applications_and_csv(client, org):
    csv_text = (
        "公司全称,经营地址,联系人,电话,行业,客户类型\n北京甲子科技有限公司,"
        + ADDR.format(n=1)
        + ",张一,010-61110001,IT,直客\n"
    )
    resp = client.post(
        "/api/v1/customers/import", files={"file": ("c.csv", csv_text.encode())}, headers=org["h"]["rep"]
    )
    assert resp.json()["imported"] == 1 and resp.json()["mode"] == "application"
    apps = client.get("/api/v1/applications?status=pending", headers=org["h"]["cs"]).json()["items"]
    assert [a["applicant_id"] for a in apps] == [org["ids"]["rep"]]


def test_cus18_import_rejects_unreadable_file(client, org):
    resp = client.post(
        "/api/v1/customers/import", files={"file": ("c.txt", b"hello")}, headers=org["h"]["rep"]
    )
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "CUS-18"


def test_cus12_daily_job_marks_dormant(client, org, approved, database):
    from poolcrm.customers.jobs import mark_dormant

    cid = approved("rep")
    with database.transaction() as s:
        created = s.get(Customer, cid).created_at.date()
        result = mark_dormant(s, created.replace(year=created.year + 2))
        assert result["dormant"] == [cid]
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["status"] == "dormant" and detail["dormant_since"]
    with database.transaction() as s:
        assert mark_dormant(s, date.today().replace(year=date.today().year + 3))["dormant"] == []


def test_cus16_the_owner_can_never_set_membership_or_closed(client, org, approved, register):
    cid = approved("rep")
    for body in (
        {"member_until": "2099-12-31"},
        {"status": "closed"},
        {"member_until": "2099-12-31", "reason": "x"},
    ):
        resp = _patch(client, cid, org["h"]["rep"], **body)
        assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CUS-16"
    no_reason = _patch(client, cid, org["h"]["admin"], member_until="2099-12-31")
    assert no_reason.status_code == 409 and no_reason.json()["error"]["rule"] == "CUS-16"
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["member_until"] is None and detail["status"] != "closed"
    resp = register(
        org["h"]["rep"],
        name="上海会员测试科技有限公司",
        phone="021-61234567",
        member_until="2099-12-31",
        confirm_warnings=True,
    )
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "CUS-16"


def test_cus7_import_keeps_other_cities_namesakes_and_rejects_the_same_entity(client, org):
    rows = [
        [*HEAD, "确认提示（是/否）"],
        ["深圳恒通科技股份有限公司", ADDR.format(n=1), "张一", "0755-77099226", "", "IT", "直客", ""],
        # another city's namesake: a fuzzy match, imported once confirmed
        ["杭州恒通科技股份有限公司", ADDR.format(n=2), "张二", "0571-88000001", "", "IT", "直客", "是"],
        # the Shenzhen company again, its city in brackets: the same legal entity, even confirmed
        ["恒通科技股份有限公司（深圳）", ADDR.format(n=3), "张三", "0755-77099999", "", "IT", "直客", "是"],
    ]
    resp = client.post(
        "/api/v1/customers/import", files={"file": ("c.xlsx", _xlsx(rows))}, headers=org["h"]["cs"]
    )
    body = resp.json()
    assert body["imported"] == 2, body["rejected"]
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [(4, "name")]
