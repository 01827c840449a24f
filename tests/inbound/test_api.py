"""Inbound API (IN-1, IN-2, POOL-2, CUS-7, ORG-5, GOV-1), both engines."""

from __future__ import annotations

from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from poolcrm.notify.models import Notification
from poolcrm.ownership.models import OwnershipEvent
from tests.inbound.conftest import NOW

NOW_DAY = NOW.date()


def _call(client, h, user="cs", **body):
    body.setdefault("kind", "call")
    return client.post("/api/v1/inbound", json=body, headers=h(user))


def test_in1_call_from_a_private_customer_notifies_the_owner(client, h, crm, customer, database):
    cid = customer("北京友好创达科技有限公司", pool="private", owner_id=crm["rep2"])
    resp = _call(client, h, company="北京友好创达科技有限公司", need="扫描仪报价")
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["outcome"] == "owner_notified" and out["rule"] == "IN-1"
    assert out["customer_id"] == cid and out["assigned_to"]["id"] == crm["rep2"]
    assert out["explanation"].startswith("IN-1: ") and "李娜" in out["explanation"]
    with database.transaction() as s:
        assert s.get(Customer, cid).owner_id == crm["rep2"]
        note = s.scalar(select(Notification).where(Notification.user_id == crm["rep2"]))
        assert note is not None and note.rule == "IN-1" and note.link == f"/customers/{cid}"


def test_in1_trial_request_matched_by_phone_in_another_spelling(client, h, crm, customer):
    cid = customer("上海晨光档案管理有限公司", pool="private", owner_id=crm["rep1"], phone="+862162345678")
    out = _call(client, h, company="晨光档案", phone="021-6234 5678", kind="trial").json()
    assert out["outcome"] == "owner_notified" and out["customer_id"] == cid and out["kind"] == "trial"


def test_in1_call_for_a_pending_registration_notifies_the_registrant(client, h, crm, customer, database):
    from poolcrm import clock
    from poolcrm.applications.models import Application

    cid = customer("杭州西湖影像设备有限公司", pool="pending")
    with database.transaction() as s:
        s.add(
            Application(
                kind="new_customer",
                status="pending",
                customer_id=cid,
                applicant_id=crm["rep3"],
                created_at=clock.now(),
            )
        )
    out = _call(client, h, company="杭州西湖影像设备有限公司").json()
    assert out["outcome"] == "owner_notified" and out["assigned_to"]["id"] == crm["rep3"]
    assert "等待审核" in out["explanation"]


def test_in2_public_customer_moves_into_the_duty_reps_private_pool(client, h, crm, customer, database):
    cid = customer("天津海河数据科技有限公司")
    out = _call(client, h, company="天津海河数据科技有限公司", need="存储系统").json()
    assert out["outcome"] == "assigned_to_duty" and out["rule"] == "IN-2"
    rep = out["assigned_to"]["id"]
    with database.transaction() as s:
        c = s.get(Customer, cid)
        assert c.pool == "private" and c.owner_id == rep and c.protected_since is not None
        event = s.scalar(select(OwnershipEvent).where(OwnershipEvent.customer_id == cid))
        assert event.rule == "IN-2" and event.to_owner_id == rep and event.actor_id == crm["cs"]
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "inbound.record"))
        assert audit.rule == "IN-2" and audit.actor_id == crm["cs"]
        assert s.scalar(select(Notification.rule).where(Notification.user_id == rep)) == "IN-2"


def test_in2_binned_customer_also_goes_to_the_duty_rep(client, h, crm, customer, database):
    cid = customer("南京钟山信息技术有限公司", pool="bin")
    out = _call(client, h, company="南京钟山信息技术有限公司").json()
    assert out["outcome"] == "assigned_to_duty" and "待分配" in out["explanation"]
    with database.transaction() as s:
        assert s.get(Customer, cid).pool == "private"


def test_in2_unknown_company_goes_to_the_duty_rep_with_a_prefilled_registration(client, h, crm, database):
    out = _call(client, h, company="广州珠江办公设备有限公司", phone="13800138000", need="打印机").json()
    assert out["outcome"] == "new_for_duty" and out["customer_id"] is None
    assert out["register_link"] == f"/customers/new?inbound={out['id']}"
    rep = out["assigned_to"]["id"]
    with database.transaction() as s:
        note = s.scalar(select(Notification).where(Notification.user_id == rep))
        assert note.rule == "IN-2" and note.link == out["register_link"]
        assert s.scalar(select(Customer.id)) is None  # the rep registers it through CUS-9


LONG_COMPANY = "中国人民财产保险股份有限公司北京市分公司海淀区中关村科技园区营业部第二分部"


def test_in2_a_long_company_name_and_need_reach_the_duty_rep_by_the_items_id(client, h, crm, database):
    """SEC-1: the notification's link names the stored item, never the caller's text — a long
    company name, a long need or emoji (percent-encoded nine bytes a character) made the link
    longer than its column: a 500 on PostgreSQL."""
    need = "需要采购一批高速扫描仪，用于档案数字化项目，预计数量二十台左右，希望尽快安排人员上门演示"
    bodies = [
        {"company": LONG_COMPANY, "phone": "021-55556667"},
        {"company": "上海某公司", "phone": "021-55556668", "need": need},
        {"company": "😀" * 30, "phone": "021-55556666", "need": "n"},
        {"company": "上海某236公司", "phone": "021-55556669", "need": "😀" * 30},
        {"company": "长" * 200, "need": "需" * 2000},  # the schema's own limits
    ]
    for body in bodies:
        resp = _call(client, h, **body)
        assert resp.status_code == 201, resp.text
        out = resp.json()
        assert out["outcome"] == "new_for_duty"
        assert out["register_link"] == f"/customers/new?inbound={out['id']}"
        with database.transaction() as s:
            note = s.scalars(select(Notification).order_by(Notification.id.desc())).first()
            assert note.link == out["register_link"] and note.params["company"] == body["company"]


def test_in1_fuzzy_match_below_the_policy_score_is_shown_but_treated_as_unknown(
    client, h, crm, customer, database
):
    from poolcrm.policy.service import update_policy

    customer("北京友好创达科技有限公司", pool="private", owner_id=crm["rep2"])
    assert _call(client, h, company="友好创达（北京）").json()["outcome"] == "owner_notified"  # 93 ≥ 90
    with database.transaction() as s:
        update_policy(s, crm["admin"], {"inbound_match_min_score": 95})
    out = _call(client, h, company="友好创达（北京）").json()
    assert out["outcome"] == "new_for_duty" and out["customer_id"] is None
    assert out["matches"][0]["owner"]["id"] == crm["rep2"] and out["matches"][0]["score"] < 95


def test_in1_cs_confirms_the_customer_explicitly(client, h, crm, customer):
    cid = customer("北京友好创达科技有限公司", pool="private", owner_id=crm["rep2"])
    out = _call(client, h, company="友好创达（北京）", customer_id=cid).json()
    assert out["outcome"] == "owner_notified" and out["customer_id"] == cid
    assert _call(client, h, company="x", customer_id=999999).status_code == 404


def test_pool2_full_duty_rep_is_passed_over_for_the_next(client, h, crm, customer, database):
    from poolcrm.duty.service import on_duty
    from poolcrm.policy.service import update_policy

    with database.transaction() as s:
        update_policy(s, crm["admin"], {"private_pool_limit_senior": 1})
        first = on_duty(s, NOW_DAY).user_ids[0]
    customer("已满客户一有限公司", pool="private", owner_id=first)
    cid = customer("成都天府软件有限公司")
    out = _call(client, h, company="成都天府软件有限公司").json()
    assert out["outcome"] == "assigned_to_duty" and out["assigned_to"]["id"] != first
    assert out["skipped"][0]["id"] == first and out["skipped"][0]["rule"] == "POOL-2"
    with database.transaction() as s:
        assert s.get(Customer, cid).owner_id == out["assigned_to"]["id"]


def test_pool2_everyone_on_duty_full_refuses_and_changes_nothing(client, h, crm, customer, database):
    from poolcrm.duty.service import on_duty
    from poolcrm.policy.service import update_policy

    with database.transaction() as s:
        update_policy(s, crm["admin"], {"private_pool_limit_senior": 1})
        duty = on_duty(s, NOW_DAY).user_ids
    for n, rep in enumerate(duty):
        customer(f"已满客户{n}有限公司", pool="private", owner_id=rep)
    cid = customer("重庆山城机电有限公司")
    resp = _call(client, h, company="重庆山城机电有限公司")
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "POOL-2"
    assert resp.json()["error"]["message"].startswith("POOL-2")
    with database.transaction() as s:
        assert s.get(Customer, cid).pool == "public"


def test_in1_only_customer_service_records_inbound(client, h, crm):
    resp = _call(client, h, user="rep1", company="某公司")
    assert resp.status_code == 403 and resp.json()["error"]["rule"] == "IN-1"


def test_in1_bad_input_names_the_field(client, h, crm):
    resp = _call(client, h, company="")
    assert resp.status_code == 422 and "company" in resp.json()["error"]["details"]["fields"]
    resp = _call(client, h, company="某公司", kind="visit")
    assert resp.status_code == 422 and "kind" in resp.json()["error"]["details"]["fields"]
    resp = _call(client, h, company="某公司", phone="12")
    assert resp.status_code == 422 and "phone" in resp.json()["error"]["details"]["fields"]


def test_in1_log_lists_items_and_reps_see_only_theirs(client, h, crm, customer):
    customer("北京友好创达科技有限公司", pool="private", owner_id=crm["rep2"])
    _call(client, h, company="北京友好创达科技有限公司")
    _call(client, h, company="深圳南山新创科技有限公司")
    items = client.get("/api/v1/inbound", headers=h("cs")).json()
    assert [i["company"] for i in items] == ["深圳南山新创科技有限公司", "北京友好创达科技有限公司"]
    mine = client.get("/api/v1/inbound", headers=h("rep2")).json()
    assert all(i["assigned_to"]["id"] == crm["rep2"] for i in mine) and mine
    assert items[0]["assigned_to"]["id"] == crm["rep1"]  # fallback roster: rep1 first
    assert client.get(f"/api/v1/inbound/{items[0]['id']}", headers=h("rep2")).status_code == 404


def test_in1_explanation_in_english(client, h, crm, customer):
    customer("北京友好创达科技有限公司", pool="private", owner_id=crm["rep2"])
    out = client.post(
        "/api/v1/inbound", json={"company": "北京友好创达科技有限公司"}, headers=h("cs", "en")
    ).json()
    assert out["explanation"].startswith("IN-1: ") and "private pool" in out["explanation"]
    # the owner's notification names the kind of contact in the reader's language too
    note = client.get("/api/v1/notifications", headers=h("rep2", "en")).json()["items"][0]["message"]
    assert note.startswith("Your customer 北京友好创达科技有限公司: Incoming call") and "来电" not in note
    zh = client.get("/api/v1/notifications", headers=h("rep2")).json()["items"][0]["message"]
    assert "来电" in zh


def test_i18n_catalogue_terms_in_params_are_translated_with_the_message():
    from poolcrm.i18n import TERMS, translate

    params = {"what": "虚假跟进", "name": "虚假跟进", TERMS: ["what"]}
    assert translate("{name} 第 {n} 次违规已记录：{what}", "zh", n=1, **params).endswith("：虚假跟进")
    english = translate("{name} 第 {n} 次违规已记录：{what}", "en", n=1, **params)
    assert english.startswith("Violation #1 of 虚假跟进 recorded: ")  # a name stays as written
    assert not english.endswith("虚假跟进")


def test_in1b_call_for_a_departed_owners_customer_goes_to_the_supervisor(client, h, crm, customer, database):
    from poolcrm.org.models import User

    cid = customer("成都万象信息技术有限公司", pool="private", owner_id=crm["rep2"])
    with database.transaction() as s:
        s.get(User, crm["rep2"]).active = False  # ORG-7: departed, customers await POOL-10
    out = _call(client, h, company="成都万象信息技术有限公司").json()
    assert out["outcome"] == "owner_notified" and out["customer_id"] == cid
    assert out["assigned_to"]["id"] == crm["sup"]
    assert "已离职" in out["explanation"] and "王主管" in out["explanation"]
    with database.transaction() as s:
        assert s.get(Customer, cid).owner_id == crm["rep2"]  # ownership waits for the POOL-10 plan
        assert s.scalar(select(Notification).where(Notification.user_id == crm["sup"])) is not None
        assert s.scalar(select(Notification).where(Notification.user_id == crm["rep2"])) is None
