"""NOTE-1/NOTE-2 endpoints (API.md "Notification channels"): the admin's channels with secrets
never shown back, test-send answered with the vendor's reply, the delivery log; each user's
settings; 422 naming the field, 403/404 for everyone but the admin, never a 500."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from tests.conftest import auth_headers


@pytest.fixture
def rep_headers(client, make_user):
    make_user("rep", email="rep@example.com")
    return auth_headers(client, "rep")


def _ding(client, headers, vendors, secret="SECsign-abcdef123456"):
    webhook = vendors.add("dingtalk", "tok-ding-0001", secret="SECsign-abcdef123456")
    body = {"type": "dingtalk", "name": "销售群", "config": {"webhook": webhook, "secret": secret}}
    return client.post("/api/v1/admin/channels", json=body, headers=headers)


def test_note1a_secrets_are_stored_sealed_and_shown_only_masked(client, admin_headers, vendors, database):
    created = _ding(client, admin_headers, vendors)
    assert created.status_code == 201, created.text
    listed = client.get("/api/v1/admin/channels", headers=admin_headers)
    for text in (created.text, listed.text):
        assert "tok-ding-0001" not in text and "SECsign-abcdef123456" not in text
    config = listed.json()["items"][0]["config"]
    assert config["secret"] == "••••3456" and config["webhook"].startswith("••••")
    with database.transaction() as s:
        stored = s.execute(select(AuditEntry.before, AuditEntry.after)).all()
        raw = s.connection().exec_driver_sql("SELECT config, secrets FROM notify_channels").one()
    assert "SECsign" not in json.dumps([list(r) for r in stored], ensure_ascii=False)
    assert "SECsign" not in str(raw) and "tok-ding" not in str(raw)


def test_note1_a_blank_secret_keeps_the_stored_one_and_test_send_answers_with_the_vendor(
    client, admin_headers, vendors
):
    cid = _ding(client, admin_headers, vendors).json()["id"]
    patched = client.patch(
        f"/api/v1/admin/channels/{cid}",
        json={"name": "销售一部群", "config": {"webhook": "", "secret": "", "per_minute": 10}},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["config"]["per_minute"] == 10
    answer = client.post(f"/api/v1/admin/channels/{cid}/test", headers=admin_headers).json()
    assert answer["status"] == "sent", answer
    [message] = vendors.messages("dingtalk")
    assert "销售一部群" in message.body["markdown"]["text"]


def test_note2_a_failed_test_send_shows_the_vendor_code_and_lands_in_the_log(client, admin_headers, vendors):
    cid = _ding(client, admin_headers, vendors, secret="SECwrong-secret-999").json()["id"]
    answer = client.post(f"/api/v1/admin/channels/{cid}/test", headers=admin_headers)
    assert answer.status_code == 200
    assert answer.json()["status"] == "failed" and answer.json()["vendor_code"] == "310000"
    log = client.get("/api/v1/admin/deliveries?status=failed", headers=admin_headers).json()["items"]
    assert [(e["channel"]["id"], e["kind"], e["vendor_code"]) for e in log] == [
        (cid, "channel_test", "310000")
    ]
    assert log[0]["log"][0]["outcome"] == "error" and "SECwrong" not in json.dumps(log)
    health = client.get("/api/v1/admin/channels", headers=admin_headers).json()["items"][0]["health"]
    assert (health["failed"], health["queued"], health["last_code"]) == (1, 0, "310000")
    assert client.get(
        f"/api/v1/admin/deliveries?channel_id={cid}&status=sent", headers=admin_headers
    ).json() == {"items": []}


def test_note1_a_test_email_needs_the_admins_address(client, admin_headers, mailbox):
    box, port = mailbox
    body = {
        "type": "smtp",
        "name": "企业邮箱",
        "config": {"host": "127.0.0.1", "port": port, "tls": "none", "sender": "crm@example.com"},
    }
    cid = client.post("/api/v1/admin/channels", json=body, headers=admin_headers).json()["id"]
    refused = client.post(f"/api/v1/admin/channels/{cid}/test", headers=admin_headers)
    assert refused.status_code == 422 and "to" in refused.json()["error"]["details"]["fields"]
    client.put("/api/v1/me/notification-settings", json={"email": "admin@example.com"}, headers=admin_headers)
    sent = client.post(f"/api/v1/admin/channels/{cid}/test", headers=admin_headers).json()
    assert sent["status"] == "sent" and box.envelopes == [("crm@example.com", ["admin@example.com"])]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "fax", "name": "x", "config": {}}, "type"),
        (
            {"type": "wecom", "name": "x", "config": {"webhook": "https://qyapi.weixin.qq.com/"}},
            "config.webhook",
        ),
        ({"type": "wecom", "name": "", "config": {"webhook": "http://h/cgi-bin/webhook/send?key=1"}}, "name"),
        (
            {
                "type": "smtp",
                "name": "m",
                "config": {"host": "a\x00b", "port": 25, "tls": "none", "sender": "a@b.cn"},
            },
            "config.host",
        ),
        (
            {
                "type": "smtp",
                "name": "m",
                "config": {"host": "h", "port": "25", "tls": "none", "sender": "a@b.cn"},
            },
            "config.port",
        ),
        (
            {
                "type": "feishu",
                "name": "f",
                "config": {
                    "webhook": "http://h/open-apis/bot/v2/hook/x",
                    "departments": [2**40],
                    "kinds": ["*"],
                },
            },
            "config.departments",
        ),
        (
            {
                "type": "feishu",
                "name": "f",
                "config": {
                    "webhook": "http://h/open-apis/bot/v2/hook/x",
                    "departments": [1],
                    "kinds": ["nope"],
                },
            },
            "config.kinds",
        ),
        (
            {
                "type": "dingtalk",
                "name": "d",
                "config": {"webhook": "http://h/robot/send?access_token=1", "per_minute": -1},
            },
            "config.per_minute",
        ),
    ],
)
def test_note1_bad_channel_settings_answer_422_naming_the_field(client, admin_headers, body, field):
    resp = client.post("/api/v1/admin/channels", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert field in resp.json()["error"]["details"]["fields"]


def test_note1_only_the_admin_configures_channels_and_removed_ones_are_gone(
    client, admin_headers, rep_headers, vendors
):
    cid = _ding(client, admin_headers, vendors).json()["id"]
    for method, path in (
        ("get", "/api/v1/admin/channels"),
        ("post", f"/api/v1/admin/channels/{cid}/test"),
        ("get", "/api/v1/admin/deliveries"),
        ("delete", f"/api/v1/admin/channels/{cid}"),
    ):
        assert getattr(client, method)(path, headers=rep_headers).status_code == 403
    assert client.delete(f"/api/v1/admin/channels/{cid}", headers=admin_headers).status_code == 204
    assert client.get("/api/v1/admin/channels", headers=admin_headers).json() == {"items": []}
    for path in (f"/api/v1/admin/channels/{cid}/test", "/api/v1/admin/channels/99999999999999999999/test"):
        assert client.post(path, headers=admin_headers).status_code in (404, 422)
    assert (
        client.patch(f"/api/v1/admin/channels/{cid}", json={"name": "x"}, headers=admin_headers).status_code
        == 404
    )


def test_note1_each_user_sets_their_own_channels_per_kind(client, rep_headers):
    assert client.get("/api/v1/me/notification-settings", headers=rep_headers).json() == {
        "channels": {},
        "email": "rep@example.com",
        "im_ids": {},
        "digest": False,
    }
    body = {
        "channels": {"followup_reminder": ["inapp", "wecom", "email"], "recycled": []},
        "email": "me@example.com",
        "im_ids": {"wecom": "zhangwei"},
        "digest": True,
    }
    saved = client.put("/api/v1/me/notification-settings", json=body, headers=rep_headers)
    assert saved.status_code == 200
    assert saved.json()["channels"] == {"followup_reminder": ["email", "wecom"], "recycled": []}
    assert client.get("/api/v1/me/notification-settings", headers=rep_headers).json()["digest"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": {"nope": ["email"]}}, "channels.nope"),
        ({"channels": {"recycled": ["pigeon"]}}, "channels.recycled"),
        ({"email": "not-an-address"}, "email"),
        ({"im_ids": {"wecom": "a b"}}, "im_ids"),
        ({"im_ids": {"qq": "1"}}, "im_ids"),
        ({"digest": "yes"}, "digest"),
        ({"channels": ["email"]}, "channels"),
    ],
)
def test_note1_bad_settings_answer_422_naming_the_field(client, rep_headers, body, field):
    resp = client.put("/api/v1/me/notification-settings", json=body, headers=rep_headers)
    assert resp.status_code == 422, resp.text
    assert any(f.startswith(field) for f in resp.json()["error"]["details"]["fields"]), resp.json()
