"""NOTE-1/NOTE-2 pure rules: each vendor's signature and message shape as documented, how its
answers are read, backoff, and what a channel's settings must hold."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus, unquote_plus

import pytest

from poolcrm.notify import rules

MESSAGE = rules.Message(
    title="跟进提醒",
    body="今天 09:00 有 3 条计划跟进",
    link="http://crm.local/",
    rule="FU-4",
    mention="zhangwei",
)


def test_note1_dingtalk_sign_is_hmac_sha256_of_timestamp_newline_secret_base64_urlencoded():
    # 钉钉's documented example: string_to_sign = timestamp + "\n" + secret, keyed with the secret
    secret, ms = "SEC000000000000000000000", 1_700_000_000_000
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ms}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    signed = rules.dingtalk_sign(secret, ms)
    assert signed == quote_plus(expected)
    assert unquote_plus(signed) == expected and "+" not in signed and "/" not in signed


def test_note1_feishu_sign_keys_hmac_with_timestamp_newline_secret_over_an_empty_message():
    secret, ts = "demo-secret", 1_700_000_000
    expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert rules.feishu_sign(secret, ts) == expected
    payload = rules.feishu_payload(MESSAGE, "打开", ts, expected)
    assert payload["timestamp"] == str(ts) and payload["sign"] == expected
    assert "timestamp" not in rules.feishu_payload(MESSAGE, "打开", ts, None)


def test_note1_each_robot_gets_its_own_format_with_title_link_rule_and_mention():
    wecom = rules.wecom_payload(MESSAGE, "在 poolcrm 中打开")
    assert wecom["msgtype"] == "markdown"
    content = wecom["markdown"]["content"]
    assert content.startswith("**跟进提醒**") and "[在 poolcrm 中打开](http://crm.local/)" in content
    assert "FU-4" in content and content.endswith("<@zhangwei>")

    ding = rules.dingtalk_payload(MESSAGE, "打开")
    assert ding["markdown"]["title"] == "跟进提醒" and "@zhangwei" in ding["markdown"]["text"]
    assert ding["at"] == {"isAtAll": False, "atUserIds": ["zhangwei"]}
    by_mobile = rules.dingtalk_payload(rules.Message("t", "b", None, None, "13800000000"), "打开")
    assert by_mobile["at"]["atMobiles"] == ["13800000000"]

    post = rules.feishu_payload(MESSAGE, "打开", 1, None)["content"]["post"]["zh_cn"]
    assert post["title"] == "跟进提醒"
    tags = [item["tag"] for line in post["content"] for item in line]
    assert tags == ["text", "at", "a", "text"]


@pytest.mark.parametrize(
    ("vendor", "status", "body", "ok", "retry", "throttled"),
    [
        ("wecom", 200, {"errcode": 0, "errmsg": "ok"}, True, False, False),
        ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, False, True, True),
        ("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, False, False, False),
        ("dingtalk", 200, {"errcode": 310000, "errmsg": "sign not match"}, False, False, False),
        ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}, False, True, True),
        ("feishu", 200, {"code": 0, "msg": "success"}, True, False, False),
        ("feishu", 200, {"code": 19021, "msg": "sign match fail"}, False, False, False),
        ("feishu", 200, {"code": 11232, "msg": "frequency limited"}, False, True, True),
        ("feishu", 429, None, False, True, True),
        ("wecom", 502, None, False, True, False),
        ("dingtalk", 404, None, False, False, False),
        ("feishu", 200, {"code": 12345, "msg": "?"}, False, True, False),
    ],
)
def test_note2_robot_answers_read_as_sent_retried_throttled_or_failed_for_good(
    vendor, status, body, ok, retry, throttled
):
    outcome = rules.read_robot_answer(vendor, status, body)
    assert (outcome.ok, outcome.retry, outcome.throttled) == (ok, retry, throttled)
    if body and not ok:
        assert outcome.code == str(body.get("errcode", body.get("code")))


def test_note2_backoff_doubles_from_the_base_up_to_the_cap():
    assert [rules.backoff_seconds(n, 30, 3600) for n in (1, 2, 3, 4, 8, 20)] == [30, 60, 120, 240, 3600, 3600]


def test_note2_each_robot_has_its_vendors_per_minute_limit_unless_set():
    assert rules.per_minute("wecom", {}) == 20 and rules.per_minute("dingtalk", {}) == 20
    assert rules.per_minute("feishu", {}) == 100 and rules.per_minute("smtp", {}) == 0
    assert (
        rules.per_minute("wecom", {"per_minute": 5}) == 5
        and rules.per_minute("wecom", {"per_minute": 0}) == 0
    )


def test_note1_channel_settings_name_each_wrong_field():
    assert set(
        rules.check_channel("smtp", {"host": "bad host!", "port": 0, "tls": "x", "sender": "x"}, {})
    ) == {
        "config.host",
        "config.port",
        "config.tls",
        "config.sender",
    }
    good = {"host": "smtp.exmail.qq.com", "port": 465, "tls": "ssl", "sender": "crm@example.com"}
    assert rules.check_channel("smtp", good, {}) == {}
    assert "config.webhook" in rules.check_channel("wecom", {}, {"webhook": "https://qyapi.weixin.qq.com/x"})
    assert "config.secret" in rules.check_channel(
        "wecom", {}, {"webhook": rules.WEBHOOK_EXAMPLES["wecom"], "secret": "s"}
    )
    for vendor, example in rules.WEBHOOK_EXAMPLES.items():
        assert rules.check_channel(vendor, {}, {"webhook": example}) == {}
        assert rules.check_channel(vendor, {}, {"webhook": example + "\x00"}) == {
            "config.webhook": rules.webhook_problem(vendor, "")
        }
    assert rules.check_channel("fax", {}, {}) == {"type": rules.check_channel("fax", {}, {})["type"]}


def test_note1_preferences_name_unknown_kinds_and_channels():
    assert rules.check_preferences({"followup_reminder": ["email", "wecom"]}) == {}
    errors = rules.check_preferences({"nope": ["email"], "recycled": ["pigeon"]})
    assert set(errors) == {"channels.nope", "channels.recycled"}
    assert rules.check_preferences(["email"]) == {"channels": rules.check_preferences(1)["channels"]}
    assert rules.chosen_channels("recycled", {"recycled": ["inapp", "feishu", "email"]}) == [
        "email",
        "feishu",
    ]
    assert rules.chosen_channels("recycled", None) == []


def test_note1a_secrets_are_shown_only_by_their_last_characters():
    assert rules.mask("SECabcdef0123456789") == "••••6789"
    assert rules.mask("short") == "••••" and rules.mask("") == ""
