"""NOTE-1/NOTE-2 the sender against real parts: a real SMTP server (aiosmtpd) and local servers
that check each robot's request as its vendor does (signature, timestamp, JSON shape) and answer
its error and rate-limit codes, so retries, backoff and failures are exercised."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from poolcrm import clock
from poolcrm.notify.models import FAILED, PENDING, SENT, Delivery, DeliveryAttempt
from poolcrm.notify.service import list_for, notify

NOON = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)  # 12:00 Beijing


def _one(database):
    with database.transaction() as s:
        delivery = s.scalars(select(Delivery)).one()
        attempts = s.execute(
            select(DeliveryAttempt.outcome, DeliveryAttempt.vendor_code, DeliveryAttempt.detail).order_by(
                DeliveryAttempt.id
            )
        ).all()
        return delivery, attempts


def _remind(database, user_id, kind="recycled"):
    with database.transaction() as s:
        notify(s, user_id, kind, "客户 {name} 已被回收", name="友好创达", link="/customers/7", rule="POOL-6")


def test_note1_email_through_a_real_smtp_server_with_a_chinese_subject(
    database, make_user, add_channel, choose, mailbox, sender
):
    box, port = mailbox
    rep = make_user("rep", email="rep@example.com")
    add_channel("smtp", host="127.0.0.1", port=port, tls="none", sender="crm@example.com")
    choose(rep, {"recycled": ["email"]})
    _remind(database, rep)
    assert sender.drain() == 1
    [mail] = box.messages
    assert box.envelopes == [("crm@example.com", ["rep@example.com"])]
    assert mail["Subject"] == "[poolcrm] 客户回收：客户 友好创达 已被回收"
    assert mail["To"] == "rep@example.com" and "crm@example.com" in mail["From"]
    delivery, attempts = _one(database)
    assert mail["Message-ID"] == f"<{delivery.idempotency_key}@poolcrm>"
    body = mail.get_content()
    assert "客户 友好创达 已被回收" in body and "/customers/7" in body and "POOL-6" in body
    assert delivery.status == SENT and attempts == [("sent", "250", None)]


def test_note1_each_robot_receives_a_signed_message_the_vendor_accepts(
    database, make_user, add_channel, choose, vendors, sender
):
    rep = make_user("rep")
    add_channel("wecom", webhook=vendors.add("wecom", "wk"))
    add_channel("dingtalk", webhook=vendors.add("dingtalk", "dt", secret="SECding+/="), secret="SECding+/=")
    add_channel("feishu", webhook=vendors.add("feishu", "fs", secret="fs-secret"), secret="fs-secret")
    choose(
        rep,
        {"recycled": ["wecom", "dingtalk", "feishu"]},
        im_ids={"wecom": "zhangwei", "dingtalk": "13800000000", "feishu": "ou_123"},
    )
    _remind(database, rep)
    assert sender.drain() == 3
    assert vendors.refused == []
    [wecom] = vendors.messages("wecom")
    assert (
        "友好创达" in wecom.body["markdown"]["content"] and "<@zhangwei>" in wecom.body["markdown"]["content"]
    )
    [ding] = vendors.messages("dingtalk")
    assert ding.body["at"]["atMobiles"] == ["13800000000"]
    [feishu] = vendors.messages("feishu")
    assert feishu.body["content"]["post"]["zh_cn"]["title"] == "客户回收"


def test_note2_a_wrong_secret_fails_for_good_with_the_vendors_code_and_never_leaks(
    database, make_user, add_channel, choose, vendors, sender, caplog
):
    rep = make_user("rep")
    webhook = vendors.add("dingtalk", "dt-token-777", secret="SECright")
    add_channel("dingtalk", webhook=webhook, secret="SECwrong-0123456789")
    choose(rep, {"recycled": ["dingtalk"]})
    _remind(database, rep)
    with caplog.at_level(logging.WARNING, logger="poolcrm.notify"):
        assert sender.drain() == 1
    delivery, attempts = _one(database)
    assert delivery.status == FAILED and delivery.vendor_code == "310000" and delivery.attempts == 1
    assert attempts == [("error", "310000", delivery.last_error)]
    assert "310000" in caplog.text
    for text in (caplog.text, delivery.last_error or ""):
        assert "SECwrong" not in text and "dt-token-777" not in text


def test_note2_server_errors_retry_with_exponential_backoff_then_fail_after_the_last_attempt(
    database, make_user, add_channel, choose, vendors, sender
):
    clock.set_now(NOON, frozen=True)
    rep = make_user("rep")
    add_channel("wecom", webhook=vendors.add("wecom", "wk"))
    choose(rep, {"recycled": ["wecom"]})
    _remind(database, rep)
    vendors.script(502, {"errmsg": "bad gateway"}, times=2)
    assert sender.drain() == 1
    delivery, _ = _one(database)
    assert (delivery.status, delivery.attempts, delivery.vendor_code) == (PENDING, 1, "HTTP 502")
    assert delivery.next_attempt_at == NOON + timedelta(seconds=30)  # the policy's base
    clock.set_now(NOON + timedelta(seconds=30), frozen=True)
    assert sender.drain() == 1
    delivery, _ = _one(database)
    assert delivery.next_attempt_at == NOON + timedelta(seconds=30 + 60)  # doubled
    clock.set_now(NOON + timedelta(seconds=90), frozen=True)
    assert sender.drain() == 1
    delivery, attempts = _one(database)
    assert delivery.status == SENT and [a[0] for a in attempts] == ["error", "error", "sent"]
    assert len(vendors.messages("wecom")) == 1


def test_note2_an_unreachable_host_is_retried_and_logged_without_blocking_anything(
    database, make_user, add_channel, choose, sender
):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    clock.set_now(NOON, frozen=True)
    rep = make_user("rep")
    add_channel("feishu", webhook=f"http://127.0.0.1:{dead}/open-apis/bot/v2/hook/tok-unreachable")
    choose(rep, {"recycled": ["feishu"]})
    _remind(database, rep)
    for _ in range(8):
        assert sender.drain() == 1
        delivery, _ = _one(database)
        clock.set_now(delivery.next_attempt_at, frozen=True)
    delivery, attempts = _one(database)
    assert delivery.status == FAILED and delivery.attempts == 8  # the policy's notify_max_attempts
    assert {code for _, code, _ in attempts} == {"NewConnectionError"}
    assert all("tok-unreachable" not in (detail or "") for *_, detail in attempts)


def test_note2_a_throttled_message_is_queued_again_without_using_an_attempt(
    database, make_user, add_channel, choose, vendors, sender
):
    clock.set_now(NOON, frozen=True)
    rep = make_user("rep")
    add_channel("feishu", webhook=vendors.add("feishu", "fs"))
    choose(rep, {"recycled": ["feishu"]})
    _remind(database, rep)
    vendors.script(200, {"code": 11232, "msg": "frequency limited psm"})
    assert sender.drain() == 1
    delivery, attempts = _one(database)
    assert (delivery.status, delivery.attempts, delivery.vendor_code) == (PENDING, 0, "11232")
    assert delivery.next_attempt_at == NOON + timedelta(seconds=60)
    assert attempts[0][:2] == ("throttled", "11232")
    clock.set_now(NOON + timedelta(seconds=60), frozen=True)
    assert sender.drain() == 1
    assert _one(database)[0].status == SENT and len(vendors.messages("feishu")) == 1


def test_note2_a_failing_channel_never_rolls_back_the_change_that_caused_it(
    database, make_user, add_channel, choose, sender
):
    rep = make_user("rep")
    add_channel("wecom", webhook="http://127.0.0.1:9/cgi-bin/webhook/send?key=nowhere")
    choose(rep, {"recycled": ["wecom"]})
    _remind(database, rep)
    sender.drain()
    with database.transaction() as s:
        assert [n.rule for n in list_for(s, rep)] == ["POOL-6"]  # the in-app note stays
