"""NOTE-2 the outbox: deliveries are written with the notification in the caller's transaction,
routed by each user's choices and their department's robots, held (never dropped) by a robot's
per-minute limit, and claimed by one sender only — on PostgreSQL with two senders at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from poolcrm import clock
from poolcrm.notify import outbox
from poolcrm.notify.models import PENDING, SENDING, Delivery, Notification
from poolcrm.notify.sender import Sender
from poolcrm.notify.service import notify, notify_many
from poolcrm.org.models import Department
from tests.notify.conftest import APP_SECRET

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 Beijing


def _deliveries(database):
    with database.transaction() as s:
        return s.execute(
            select(Delivery.channel_id, Delivery.address, Notification.user_id, Delivery.status)
            .join(Notification, Notification.id == Delivery.notification_id)
            .order_by(Delivery.id)
        ).all()


def test_note2_deliveries_written_with_the_notification_and_rolled_back_with_it(
    database, make_user, add_channel, choose, vendors
):
    rep = make_user("rep")
    wecom = add_channel("wecom", webhook=vendors.add("wecom", "k1"))
    choose(rep, {"recycled": ["wecom", "email"]}, im_ids={"wecom": "rep.wx"})
    with pytest.raises(RuntimeError), database.transaction() as s:
        notify(s, rep, "recycled", "客户已被回收", rule="POOL-6")
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1  # in the same transaction
        raise RuntimeError("the business change fails")
    assert _deliveries(database) == []
    with database.transaction() as s:
        notify(s, rep, "recycled", "客户已被回收", rule="POOL-6")
    # email chosen but no SMTP channel configured: only the robot, @mentioning the rep's IM id
    assert _deliveries(database) == [(wecom, "rep.wx", rep, PENDING)]


def test_note1_department_routes_its_kinds_to_its_robot_beside_each_users_own_choice(
    database, make_user, add_channel, choose, vendors, mailbox
):
    cs1 = make_user("cs1", ["cs"], dept="客服部", kind="cs")
    rep = make_user("rep", email="rep@example.com")
    with database.transaction() as s:
        cs_dept = s.scalar(select(Department.id).where(Department.name == "客服部"))
    _, port = mailbox
    smtp = add_channel("smtp", host="127.0.0.1", port=port, tls="none", sender="crm@example.com")
    company = add_channel("dingtalk", webhook=vendors.add("dingtalk", "all"))
    cs_robot = add_channel(
        "dingtalk", webhook=vendors.add("dingtalk", "cs"), departments=[cs_dept], kinds=["approval_waiting"]
    )
    choose(rep, {"approval_waiting": ["email", "dingtalk"]})
    with database.transaction() as s:
        notify_many(s, {cs1: {}, rep: {}}, "approval_waiting", "有新的登记申请待审批", rule="REG-3")
        notify(s, cs1, "recycled", "不是路由的类型")
    rows = {(cid, uid) for cid, _, uid, _ in _deliveries(database)}
    assert rows == {(cs_robot, cs1), (smtp, rep), (company, rep)}


def test_note2_a_robots_per_minute_limit_queues_the_rest_never_drops_them(
    database, make_user, add_channel, choose, vendors, sender
):
    users = [make_user(f"u{i}") for i in range(5)]
    add_channel("wecom", webhook=vendors.add("wecom", "slow"), per_minute=3)  # our limit under the vendor's
    for uid in users:
        choose(uid, {"recycled": ["wecom"]})
    clock.set_now(T0, frozen=True)
    with database.transaction() as s:
        notify_many(s, {uid: {} for uid in users}, "recycled", "客户已被回收")
    assert sender.drain() == 3
    assert len(vendors.messages("wecom")) == 3 and vendors.refused == []
    with database.transaction() as s:
        held = s.scalars(select(Delivery.next_attempt_at).where(Delivery.status == PENDING)).all()
    assert sorted(held) == [T0 + timedelta(minutes=1)] * 2  # a minute after the first of the three
    clock.set_now(T0 + timedelta(seconds=61), frozen=True)
    assert sender.drain() == 2
    assert len(vendors.messages("wecom")) == 5


def test_note2_a_claim_whose_sender_died_is_taken_again_after_its_lease(
    database, make_user, add_channel, choose, vendors
):
    rep = make_user("rep")
    add_channel("feishu", webhook=vendors.add("feishu", "f1"))
    choose(rep, {"recycled": ["feishu"]})
    clock.set_now(T0, frozen=True)
    with database.transaction() as s:
        notify(s, rep, "recycled", "客户已被回收")
    with database.transaction() as s:
        assert len(outbox.claim(s, 10)) == 1  # … and the process dies before sending
    with database.transaction() as s:
        assert outbox.claim(s, 10) == []
        assert s.scalar(select(Delivery.status)) == SENDING
    clock.set_now(T0 + outbox.CLAIM_LEASE + timedelta(seconds=1), frozen=True)
    worker = Sender(database, APP_SECRET)
    try:
        assert worker.drain() == 1
    finally:
        worker.stop()
    assert len(vendors.messages("feishu")) == 1


def test_note2_two_senders_on_one_outbox_send_each_delivery_once(
    database, make_user, add_channel, choose, vendors
):
    """On PostgreSQL the claims lock with SKIP LOCKED; on SQLite writers take turns."""
    users = [make_user(f"p{i}") for i in range(30)]
    add_channel("wecom", webhook=vendors.add("wecom", "k", per_minute=0), per_minute=0)
    add_channel("feishu", webhook=vendors.add("feishu", "f", per_minute=0), per_minute=0)
    for uid in users:
        choose(uid, {"recycled": ["wecom", "feishu"]})
    with database.transaction() as s:
        for round_ in range(4):
            notify_many(
                s, {uid: {"n": round_} for uid in users}, "recycled", "第 {n} 批", dedupe_key=f"r{round_}"
            )
    senders = [Sender(database, APP_SECRET) for _ in range(2)]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def work(worker: Sender) -> None:
        barrier.wait()
        total = 0
        while sent := worker.send_due(limit=7):
            total += sent
        counts.append(total)

    threads = [threading.Thread(target=work, args=(w,)) for w in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for w in senders:
        w.stop()
    keys = [m.headers["X-Poolcrm-Delivery"] for m in vendors.messages()]
    assert len(keys) == 240 and len(set(keys)) == 240, "a delivery was sent twice or not at all"
    assert sum(counts) == 240
    with database.transaction() as s:
        assert set(s.scalars(select(Delivery.status))) == {"sent"}
