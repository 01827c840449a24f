"""Registration rules through the API: CUS-2..6, CUS-9, POOL-2."""

from __future__ import annotations

from sqlalchemy import func, select, update

from poolcrm.customers.models import CustomerNameGram
from tests.conftest import counted


def test_cus3_insurance_name_needs_contact_in_parentheses_and_mobile(client, org, register):
    resp = register(org["h"]["rep"], name="中国人民保险集团某某支公司", industry="保险")
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["rule"] == "CUS-3"
    assert {"name", "mobile"} <= set(err["details"]["fields"])
    ok = register(
        org["h"]["rep"],
        name="中国人民保险集团某某支公司(张三)",
        industry="保险",
        mobile="13800138000",
        confirm_warnings=True,
    )
    assert ok.status_code == 201, ok.text


def test_cus4_securities_name_needs_branch(client, org, register):
    resp = register(org["h"]["rep"], name="华夏证券", industry="证券")
    assert resp.status_code == 422
    assert resp.json()["error"]["rule"] == "CUS-4"
    assert register(org["h"]["rep"], name="华夏证券天仙桥营业部", industry="证券").status_code == 201


def test_cus2_abbreviation_warning_needs_confirmation_which_is_recorded(client, org, register):
    resp = register(org["h"]["rep"], name="友好创达")
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "confirmation_required"
    assert [w["rule"] for w in err["details"]["warnings"]] == ["CUS-2"]
    ok = register(org["h"]["rep"], name="友好创达", confirm_warnings=True)
    assert ok.status_code == 201
    detail = client.get(f"/api/v1/customers/{ok.json()['customer_id']}", headers=org["h"]["cs"]).json()
    assert detail["pool"] == "pending"


def test_cus5_address_format_is_a_warning(client, org, register):
    resp = register(org["h"]["rep"], address="中关村那边")
    assert resp.status_code == 409
    assert [w["rule"] for w in resp.json()["error"]["details"]["warnings"]] == ["CUS-5"]


def test_cus6_phones_validated_and_stored_e164(client, org, register):
    bad = register(org["h"]["rep"], mobile="12345")
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"].keys() == {"mobile"}
    ok = register(org["h"]["rep"], mobile="138 0013 8000")
    detail = client.get(f"/api/v1/customers/{ok.json()['customer_id']}", headers=org["h"]["rep"]).json()
    assert detail["mobile_e164"] == "+8613800138000"
    assert detail["mobile"] and detail["mobile"] != "+8613800138000"


def test_cus7_fuzzy_match_needs_confirmation_recorded_on_application(client, org, register, approved):
    approved("rep")
    resp = register(org["h"]["other"], name="北京友好创达信息科技有限公司", phone="010-88889999")
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "confirmation_required" and err["rule"] == "CUS-7"
    ids = [m["customer_id"] for m in err["details"]["matches"]]
    ok = register(
        org["h"]["other"], name="北京友好创达信息科技有限公司", phone="010-88889999", confirmed_matches=ids
    )
    assert ok.status_code == 201, ok.text
    assert [m["customer_id"] for m in ok.json()["confirmed_matches"]] == ids


def test_cus7_same_phone_is_reported(client, org, register, approved):
    approved("rep")
    resp = client.post(
        "/api/v1/customers/duplicates",
        json={"name": "完全不同的名字有限公司", "phone": "01062345678"},
        headers=org["h"]["other"],
    )
    matches = resp.json()["matches"]
    assert matches and "电话相同" in matches[0]["reasons"]


def test_cus8_codes_unique_and_sequential(client, org, register):
    a = register(org["h"]["rep"]).json()
    b = register(org["h"]["mate"], name="上海某某贸易有限公司", phone="021-55556666").json()
    codes = [
        client.get(f"/api/v1/customers/{x['customer_id']}", headers=org["h"]["cs"]).json()["code"]
        for x in (a, b)
    ]
    assert codes[0] != codes[1]
    assert int(codes[1][-3:]) == int(codes[0][-3:]) + 1


def test_cus8_code_is_taken_last_so_its_counter_is_locked_briefly(client, org, register):
    """CUS-8 under load (issue 22): the year's counter row is locked from the code's taking until
    the commit, so a registration takes it after its postings, its application and CS's
    notifications — never a stand-in code committed or audited, whether CS reviews it or the
    department skips review (approved at once, after the code)."""
    from sqlalchemy import event

    from poolcrm.audit.models import AuditEntry
    from poolcrm.customers.models import Customer

    engine = client.app.state.db.engine
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split())[:60])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        made = register(org["h"]["rep"])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert made.status_code == 201, made.text
    taking = next(i for i, s in enumerate(statements) if s.startswith("UPDATE customer_code_sequences"))
    for table in ("customer_name_grams", "applications", "notifications"):
        assert max(i for i, s in enumerate(statements) if s.startswith(f"INSERT INTO {table}")) < taking, (
            table
        )
    assert not [s for s in statements[taking:] if s.startswith("SELECT") and "FOR" in s]

    dept = client.get(f"/api/v1/users/{org['ids']['other']}", headers=org["h"]["admin"]).json()[
        "department_id"
    ]
    skip = client.patch(
        "/api/v1/policy", json={"review_skip_department_ids": [dept]}, headers=org["h"]["admin"]
    )
    assert skip.status_code == 200, skip.text
    quick = register(org["h"]["other"], name="杭州某某电子有限公司", phone="0571-88887777")
    assert quick.status_code == 201 and quick.json()["status"] == "approved", quick.text
    with client.app.state.db.transaction(write=False) as s:
        codes = {i: c for i, c in s.execute(select(Customer.id, Customer.code))}
        register_entries = select(AuditEntry.object_id, AuditEntry.after).where(
            AuditEntry.action == "customer.register"
        )
        audited = {i: after for i, after in s.execute(register_entries)}
    assert not [c for c in codes.values() if c.startswith("~")]
    for made_now in (made, quick):
        customer_id = made_now.json()["customer_id"]
        assert audited[str(customer_id)]["code"] == codes[customer_id]


def test_cus9_reject_requires_reason_and_notifies_rep(client, org, register):
    app = register(org["h"]["rep"]).json()
    resp = client.post(
        f"/api/v1/applications/{app['id']}/reject", json={"reason": " "}, headers=org["h"]["cs"]
    )
    assert resp.status_code == 422
    resp = client.post(
        f"/api/v1/applications/{app['id']}/reject", json={"reason": "地址不完整"}, headers=org["h"]["cs"]
    )
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    with client.app.state.db.transaction() as s:
        left = s.scalar(select(func.count()).where(CustomerNameGram.customer_id == app["customer_id"]))
    assert left == 0, "a rejected registration leaves the duplicate index"
    notes = client.get("/api/v1/notifications", headers=org["h"]["rep"]).json()
    text = str(notes)
    assert "地址不完整" in text
    again = register(org["h"]["rep"])
    assert again.status_code == 201, "a rejected registration no longer blocks the name"


def test_cus9_department_can_skip_review(client, org, register, make_user):
    from poolcrm.org.models import User

    dept = None
    with client.app.state.db.transaction() as s:
        dept = s.get(User, org["ids"]["rep"]).department_id
    resp = client.patch(
        "/api/v1/policy", json={"review_skip_department_ids": [dept]}, headers=org["h"]["admin"]
    )
    assert resp.status_code == 200, resp.text
    app = register(org["h"]["rep"]).json()
    assert app["status"] == "approved"
    detail = client.get(f"/api/v1/customers/{app['customer_id']}", headers=org["h"]["rep"]).json()
    assert detail["pool"] == "private"


def test_pool2_full_pool_refused_on_submit_with_counts(client, org, register):
    client.patch("/api/v1/policy", json={"private_pool_limit_senior": 1}, headers=org["h"]["admin"])
    assert register(org["h"]["rep"]).status_code == 201
    resp = register(org["h"]["rep"], name="上海某某贸易有限公司", phone="021-55556666")
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["rule"] == "POOL-2" and err["details"] == {"owned": 0, "pending": 1, "limit": 1}
    assert err["message"].startswith("POOL-2")


def test_pool2_checked_again_at_approval(client, org, register):
    first = register(org["h"]["rep"]).json()
    second = register(org["h"]["rep"], name="上海某某贸易有限公司", phone="021-55556666").json()
    client.patch("/api/v1/policy", json={"private_pool_limit_senior": 1}, headers=org["h"]["admin"])
    assert (
        client.post(
            f"/api/v1/applications/{first['id']}/approve", json={}, headers=org["h"]["cs"]
        ).status_code
        == 200
    )
    resp = client.post(f"/api/v1/applications/{second['id']}/approve", json={}, headers=org["h"]["cs"])
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-2"


def test_cus9_rep_cannot_approve_own_application(client, org, register):
    app = register(org["h"]["rep"]).json()
    resp = client.post(f"/api/v1/applications/{app['id']}/approve", json={}, headers=org["h"]["rep"])
    assert resp.status_code == 403


def test_bad_input_never_500(client, org):
    for body in ({"name": 5}, {"tags": "x"}, {"member_until": "2026-13-01"}, {"unknown": 1}, []):
        resp = client.post("/api/v1/customers", json=body, headers=org["h"]["rep"])
        assert resp.status_code == 422, (body, resp.text)
    assert client.get("/api/v1/customers?sort=bogus", headers=org["h"]["rep"]).status_code == 422
    assert client.get("/api/v1/customers?pool=bin", headers=org["h"]["rep"]).status_code == 403


def test_cus7a_the_duplicate_check_needs_real_content_is_capped_and_throttled(
    client, org, approved, admin_headers_for_cus7a
):
    approved("rep")
    url, h = "/api/v1/customers/duplicates", org["h"]["other"]
    for generic in ("北京", "科技有限公司", "北京市科技有限公司", ""):
        resp = client.post(url, json={"name": generic}, headers=h)
        assert resp.status_code == 422 and resp.json()["error"]["rule"] == "CUS-7a", generic
    by_phone = client.post(url, json={"name": "", "phone": "010-62345678"}, headers=h)
    assert by_phone.status_code == 200 and len(by_phone.json()["matches"]) == 1
    assert client.post(url, json={"name": "北京友好创达科技有限公司"}, headers=h).json()["matches"]
    client.patch("/api/v1/policy", json={"duplicate_checks_per_minute": 3}, headers=admin_headers_for_cus7a)
    answers = [client.post(url, json={"name": "友好创达科技"}, headers=h) for _ in range(3)]
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) > 0
    assert answers[-1].json()["error"]["rule"] == "CUS-7a"


def test_cus9_every_cs_user_is_told_of_a_registration_in_one_insert(client, org, make_user, register):
    """CUS-9: each active CS user gets the registration waiting for review — written in one
    statement however many they are (issue 22: one INSERT and one outbox lookup each before);
    a CS user who has left gets nothing."""
    from poolcrm.notify.models import Notification
    from poolcrm.org.models import User

    more = [make_user(f"cs{i}", ["cs"], dept="客服部", kind="cs") for i in range(2, 6)]
    gone = make_user("cs_gone", ["cs"], dept="客服部", kind="cs")
    with client.app.state.db.transaction() as s:
        s.execute(update(User).where(User.id == gone).values(active=False))
    with counted(client.app.state.db) as statements:
        made = register(org["h"]["rep"])
    assert made.status_code == 201 and made.json()["status"] == "pending", made.text
    assert len([s for s in statements if s.startswith("INSERT INTO notifications")]) == 1
    with client.app.state.db.transaction(write=False) as s:
        told = s.execute(
            select(Notification.user_id, Notification.message, Notification.params, Notification.link).where(
                Notification.kind == "application.waiting"
            )
        ).all()
    assert sorted(uid for uid, *_ in told) == sorted([org["ids"]["cs"], *more])
    assert gone not in {uid for uid, *_ in told}
    assert {(m, p["applicant"], link) for _, m, p, link in told} == {
        ("新客户待审核：{name}（{applicant}）", "张伟", "/applications")
    }
