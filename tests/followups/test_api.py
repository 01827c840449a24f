"""Follow-ups through the API on each engine (FU-1..6, POOL-6 anchor, POOL-15, MEM-1)."""

from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.jobs.service import run_daily
from poolcrm.notify.models import Delivery, Notification
from poolcrm.notify.rules import WEBHOOK_EXAMPLES
from poolcrm.notify.service import list_for
from tests.conftest import auth_headers
from tests.pools.conftest import at

GOOD = "拜访王经理（采购部），确认明年扫描仪预算约二十万，下周提交方案"


def _post(client, headers, cid, **body):
    body.setdefault("subject", "去访")
    return client.post(f"/api/v1/customers/{cid}/followups", json=body, headers=headers)


def test_fu1_invalid_followup_stored_with_reasons_and_protects_nothing(client, org, customers, database):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    resp = _post(client, rep, cid, content="电话未接通")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["valid"] is False
    assert {r["rule"] for r in body["invalid_reasons"]} == {"FU-1"}
    assert any("电话未接通" in r["message"] for r in body["invalid_reasons"])
    with database.transaction() as s:
        assert s.get(Customer, cid).last_valid_followup_at is None


def test_fu1_valid_followup_moves_the_recycle_anchor(client, org, customers, database):
    clock.set_now(at(date(2026, 11, 9), 15), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    resp = _post(
        client,
        auth_headers(client, "rep1"),
        cid,
        content=GOOD,
        attitude="积极",
        next_followup_on="2026-11-12",
    )
    assert resp.json()["valid"] is True and resp.json()["invalid_reasons"] == []
    clock.set_now(at(date(2026, 11, 10), 1), frozen=True)  # JOB-1b: the night of the 10th
    assert run_daily(database, date(2026, 11, 10))["recycled"] == []
    due = client.get(f"/api/v1/customers/{cid}/recycle", headers=auth_headers(client, "rep1")).json()
    assert due["recycle_due_on"] == "2026-11-17"


def test_fu1_duplicate_content_of_same_customer_invalid(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    assert _post(client, rep, cid, content=GOOD).json()["valid"]
    again = _post(client, rep, cid, content=GOOD.replace("，", " ").replace("（", "(").replace("）", ")"))
    assert [r["clause"] for r in again.json()["invalid_reasons"]] == ["c"]
    other = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    assert _post(client, rep, other, content=GOOD).json()["valid"]


def test_fu1_english_reasons(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    body = _post(client, auth_headers(client, "rep1", lang="en"), cid, content="太短了").json()
    assert "at least" in body["invalid_reasons"][0]["message"]


def test_fu3_only_owner_and_supervisors_write(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    assert _post(client, auth_headers(client, "rep2"), cid, content=GOOD).status_code == 404
    assert _post(client, auth_headers(client, "cs"), cid, content=GOOD).status_code == 403
    assert _post(client, auth_headers(client, "sup"), cid, content=GOOD).status_code == 201
    pub = customers(pool="public")
    assert _post(client, auth_headers(client, "rep2"), pub, content=GOOD).status_code == 403


def test_mem1_open_member_customer_accepts_other_reps(client, org, customers):
    cid = customers(
        pool="private",
        owner_id=org["rep1"],
        protected_since=at(date(2026, 1, 2)),
        member_until=date.today() + timedelta(days=300),
        open_for_redevelopment=True,
    )
    resp = _post(client, auth_headers(client, "rep2"), cid, content=GOOD)
    assert resp.status_code == 201 and resp.json()["valid"]


def test_pool15_former_owner_reads_only_own_followups(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    _post(client, auth_headers(client, "rep1"), cid, content=GOOD)
    _post(client, auth_headers(client, "sup"), cid, content=GOOD + "，主管陪同")
    body = {"items": [{"customer_id": cid, "to_user_id": org["rep2"]}], "reason": "调整"}
    pid = client.post(
        "/api/v1/allocation/reallocations", json=body, headers=auth_headers(client, "sup")
    ).json()["id"]
    client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=auth_headers(client, "gm"))
    client.post(f"/api/v1/allocation/plans/{pid}/approve", headers=auth_headers(client, "manager"))
    assert (
        client.post(f"/api/v1/allocation/plans/{pid}/execute", headers=auth_headers(client, "cs")).status_code
        == 200
    )
    former = client.get(f"/api/v1/customers/{cid}/followups", headers=auth_headers(client, "rep1")).json()
    assert [f["author"]["id"] for f in former["items"]] == [org["rep1"]]
    current = client.get(f"/api/v1/customers/{cid}/followups", headers=auth_headers(client, "rep2")).json()
    assert current["total"] == 2
    assert (
        client.get(f"/api/v1/customers/{cid}/followups", headers=auth_headers(client, "rep3")).status_code
        == 404
    )


def test_fu6_filter_and_export(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    _post(client, rep, cid, content=GOOD)
    _post(client, rep, cid, content="无人接听", subject="致电")
    only_valid = client.get(
        f"/api/v1/customers/{cid}/followups", params={"valid": "true"}, headers=rep
    ).json()
    assert only_valid["total"] == 1
    xlsx = client.get(f"/api/v1/customers/{cid}/followups", params={"format": "xlsx"}, headers=rep)
    assert xlsx.status_code == 200
    import io

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][2] == "主题"


def test_fu4_reminder_on_next_followup_date_follows_the_owner(client, org, customers, database):
    from sqlalchemy import select

    from poolcrm.notify.models import Notification

    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    _post(client, auth_headers(client, "rep1"), cid, content=GOOD, next_followup_on="2026-11-12")
    assert run_daily(database, date(2026, 11, 11))["reminded"] == []
    result = run_daily(database, date(2026, 11, 12))
    assert len(result["reminded"]) == 1
    with database.transaction() as s:
        note = s.scalar(select(Notification).where(Notification.rule == "FU-4"))
        assert note.user_id == org["rep1"]


def _reminder_targets(database, cid):
    from sqlalchemy import select

    from poolcrm.followups.models import FollowUp

    with database.transaction() as s:
        rows = s.execute(
            select(FollowUp.next_followup_on, FollowUp.remind_user_id)
            .where(FollowUp.customer_id == cid)
            .order_by(FollowUp.id)
        )
        return [(d.isoformat(), uid) for d, uid in rows]


def test_fu4_reminded_once_and_a_late_entry_caught_up_next_run(client, org, customers, database):
    clock.set_now(at(date(2026, 11, 11), 15), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    first = _post(client, rep, cid, content=GOOD, next_followup_on="2026-11-12").json()["id"]
    clock.set_now(at(date(2026, 11, 12), 1), frozen=True)  # JOB-1b: each run on its own night
    assert run_daily(database, date(2026, 11, 12))["reminded"] == [first]
    clock.set_now(at(date(2026, 11, 12), 15), frozen=True)  # after the day's run
    late = _post(client, rep, cid, content=GOOD + "。", next_followup_on="2026-11-12").json()["id"]
    clock.set_now(at(date(2026, 11, 13), 1), frozen=True)
    assert run_daily(database, date(2026, 11, 13))["reminded"] == [late]
    clock.set_now(at(date(2026, 11, 16), 1), frozen=True)
    assert run_daily(database, date(2026, 11, 16))["reminded"] == []


def test_fu4_pool15_pending_reminders_follow_the_owner_and_lapse_on_recycle(client, org, customers, database):
    from poolcrm.ownership.moves import move_customer, move_customers_where

    clock.set_now(at(date(2026, 11, 11), 15), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    _post(client, rep, cid, content=GOOD, next_followup_on="2026-11-12")
    clock.set_now(at(date(2026, 11, 12), 1), frozen=True)  # JOB-1b: the night of the 12th
    run_daily(database, date(2026, 11, 12))  # the first reminder is sent to rep1
    _post(client, rep, cid, content=GOOD + "。", next_followup_on="2026-11-20")
    with database.transaction() as s:
        move_customer(
            s,
            s.get(Customer, cid),
            to_pool="private",
            to_owner_id=org["rep2"],
            rule="POOL-9",
            reason="调整",
            actor_id=None,
        )
    assert _reminder_targets(database, cid) == [("2026-11-12", org["rep1"]), ("2026-11-20", org["rep2"])]
    with database.transaction() as s:
        moved = move_customers_where(
            s, Customer.id == cid, to_pool="bin", rule="POOL-6", reason="回收", at=at(date(2026, 11, 13))
        )
    assert moved.ids == [cid] and moved.per_owner == {org["rep2"]: 1}
    assert _reminder_targets(database, cid) == [("2026-11-12", org["rep1"]), ("2026-11-20", None)]


def test_fu5_first_contact_overdue_flagged(client, org, customers):
    clock.set_now(at(date(2026, 11, 4), 9), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2), 9))
    items = client.get("/api/v1/pools/mine", headers=auth_headers(client, "rep1")).json()["items"]
    assert items[0]["id"] == cid and items[0]["first_contact_overdue"]


def test_fu1_live_preview(client, org, customers):
    rep = auth_headers(client, "rep1")
    body = client.post(
        "/api/v1/followups/preview", json={"subject": "致电", "content": "你好！"}, headers=rep
    ).json()
    assert body["count"] == 2 and body["valid"] is False and body["reasons"][0]["clause"] == "b"


def test_sec3_followup_export_keeps_formula_like_content_as_text(client, org, customers):
    import io

    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    _post(client, rep, cid, content="=CMD|'/C calc'!A0 客户要求下周上门演示扫描仪与存储方案")
    xlsx = client.get(f"/api/v1/customers/{cid}/followups", params={"format": "xlsx"}, headers=rep)
    cell = load_workbook(io.BytesIO(xlsx.content)).active.cell(row=2, column=5)
    assert cell.value.startswith("=CMD") and cell.data_type == "s"
    assert "followups-" in xlsx.headers["content-disposition"]


def test_fu1_preview_on_another_reps_customer_is_404_like_an_unknown_one(client, org, customers):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    _post(client, auth_headers(client, "rep1"), cid, content=GOOD)
    other = auth_headers(client, "rep2")
    body = {"customer_id": cid, "subject": "致电", "content": GOOD}
    mine = client.post("/api/v1/followups/preview", json=body, headers=other)
    unknown = client.post("/api/v1/followups/preview", json={**body, "customer_id": 999999}, headers=other)
    assert mine.status_code == unknown.status_code == 404
    assert (
        client.post("/api/v1/followups/preview", json=body, headers=auth_headers(client, "rep1")).json()[
            "valid"
        ]
        is False
    )


def test_fu3_author_changed_to_a_team_member_audited_and_the_anchor_follows(client, org, customers, database):
    from sqlalchemy import select

    from poolcrm.audit.models import AuditEntry

    clock.set_now(at(date(2026, 11, 9), 15), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    sup = auth_headers(client, "sup")
    written = _post(client, sup, cid, content=GOOD).json()  # the supervisor wrote it for rep1's visit
    with database.transaction() as s:
        assert s.get(Customer, cid).last_valid_followup_at is None  # not the owner's: protects nothing
    url = f"/api/v1/followups/{written['id']}/author"
    rep2 = auth_headers(client, "rep2")
    assert client.post(url, json={"author_id": org["rep1"]}, headers=rep2).status_code == 404
    ka = client.post(url, json={"author_id": org["ka"]}, headers=sup)
    assert ka.status_code == 422 and ka.json()["error"]["rule"] == "FU-3"
    assert "author_id" in ka.json()["error"]["details"]["fields"]
    moved = client.post(url, json={"author_id": org["rep1"], "reason": "代张伟录入拜访记录"}, headers=sup)
    assert moved.status_code == 200 and moved.json()["author"]["id"] == org["rep1"]
    with database.transaction() as s:
        assert s.get(Customer, cid).last_valid_followup_at is not None  # now the owner's valid follow-up
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "followup.author"))
        assert (entry.before, entry.after, entry.reason) == (
            {"author_id": org["sup"]},
            {"author_id": org["rep1"]},
            "代张伟录入拜访记录",
        )
    rep1 = auth_headers(client, "rep1")
    assert client.post(url, json={"author_id": org["rep1"]}, headers=rep1).status_code == 422  # unchanged
    back = client.post(url, json={"author_id": org["rep2"]}, headers=rep1)
    assert back.status_code == 200
    with database.transaction() as s:
        assert s.get(Customer, cid).last_valid_followup_at is None


def test_fu4_reminder_written_by_the_nightly_run_shows_and_goes_out_at_0900_company_time(
    client, org, customers, database
):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    _post(client, rep, cid, content=GOOD, next_followup_on="2026-11-12")
    client.post(
        "/api/v1/admin/channels",
        json={"type": "wecom", "name": "销售群", "config": {"webhook": WEBHOOK_EXAMPLES["wecom"]}},
        headers=auth_headers(client, "admin"),
    )
    client.put(
        "/api/v1/me/notification-settings", json={"channels": {"followup_reminder": ["wecom"]}}, headers=rep
    )
    clock.set_now(datetime(2026, 11, 11, 16, 30, tzinfo=UTC), frozen=True)  # 00:30 Beijing on 11-12
    run_daily(database, date(2026, 11, 12))
    nine = datetime(2026, 11, 12, 1, 0, tzinfo=UTC)  # 09:00 Beijing: the policy's reminder_time
    with database.transaction() as s:
        assert s.scalar(select(Notification.due_at).where(Notification.rule == "FU-4")) == nine
        assert list_for(s, org["rep1"]) == []  # not shown before its time …
        assert s.scalars(select(Delivery.next_attempt_at)).all() == [nine]  # … nor sent
    clock.set_now(nine, frozen=True)
    with database.transaction() as s:
        assert [n.rule for n in list_for(s, org["rep1"])] == ["FU-4"]


def test_fu4_the_customer_row_keeps_the_latest_followups_next_date(client, org, customers, database):
    """FU-4: the customer carries the next date its latest follow-up planned (GOV-4 reads it): a
    new plan replaces it, a follow-up planning nothing clears it, whoever writes it."""
    clock.set_now(at(date(2026, 11, 11), 15), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")

    def planned():
        with database.transaction() as s:
            return s.get(Customer, cid).next_followup_on

    _post(client, rep, cid, content=GOOD, next_followup_on="2026-11-12")
    assert planned() == date(2026, 11, 12)
    _post(client, rep, cid, content=GOOD + "。", next_followup_on="2026-11-20")
    assert planned() == date(2026, 11, 20)
    _post(client, rep, cid, content=GOOD + "！")
    assert planned() is None


def test_fu3b_a_contact_time_long_past_or_to_come_is_refused(client, org, customers, database):
    """FU-3: the contact time may be earlier than the record, never later than now; FU-3b: at most
    `followup_backdate_days` (30) earlier — a contact "1900-01-01T10:00+08:00" was stored and the
    follow-up counted valid. 422 naming contact_at, nothing stored."""
    clock.set_now(at(date(2026, 11, 11), 15), frozen=True)
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    rep = auth_headers(client, "rep1")
    for contact_at, rule in (
        ("1900-01-01T10:00:00+08:00", "FU-3b"),
        ("2026-10-12T14:59:00+08:00", "FU-3b"),
        ("2026-11-11T15:01:00+08:00", "FU-3"),
        ("2199-12-31T10:00:00+08:00", "FU-3"),
    ):
        resp = _post(client, rep, cid, content=GOOD + contact_at, contact_at=contact_at)
        assert resp.status_code == 422, contact_at
        error = resp.json()["error"]
        assert error["rule"] == rule and set(error["details"]["fields"]) == {"contact_at"}, contact_at
    with database.transaction() as s:
        assert s.get(Customer, cid).last_valid_followup_at is None
    ok = _post(client, rep, cid, content=GOOD, contact_at="2026-10-12T15:00:00+08:00")
    assert ok.status_code == 201 and ok.json()["valid"] is True
