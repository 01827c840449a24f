"""NOTE-1/NOTE-2 pages: the admin's channel page explains each setting with the vendor's format,
never shows a secret back, answers a bad form with the field named (never a 500) and is the
admin's alone; each user's settings page saves their choices."""

from __future__ import annotations

import pytest

from poolcrm.web.deps import LANG_COOKIE, SESSION_COOKIE, csrf_token_for
from tests.conftest import PASSWORD


@pytest.fixture
def pages(client, make_user):
    make_user("admin", ["admin"], dept="总经办", kind="other")
    make_user("rep")

    def login(who):
        client.cookies.clear()
        client.post(
            "/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False
        )
        return csrf_token_for("test-secret", client.cookies.get(SESSION_COOKIE))

    return login


def test_note1_channel_page_explains_settings_and_hides_secrets(client, pages, vendors):
    token = pages("admin")
    html = client.get("/admin/channels").text
    for example in (
        "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
        "oapi.dingtalk.com/robot/send?access_token=",
        "open-apis/bot/v2/hook/",
        "smtp.exmail.qq.com",
    ):
        assert example in html
    webhook = vendors.add("feishu", "tok-secret-path")
    form = {
        "csrf_token": token,
        "type": "feishu",
        "name": "全员群",
        "webhook": webhook,
        "secret": "fs-signing-secret",
        "active": "on",
    }
    saved = client.post("/admin/channels", data=form, follow_redirects=False)
    assert saved.status_code == 303
    html = client.get("/admin/channels").text
    assert "全员群" in html and "tok-secret-path" not in html and "fs-signing-secret" not in html
    bad = client.post("/admin/channels", data={**form, "webhook": "https://open.feishu.cn/nothing"})
    assert bad.status_code == 422 and "NOTE-1" in bad.text and "open-apis/bot/v2/hook" in bad.text
    port = client.post(
        "/admin/channels",
        data={
            "csrf_token": token,
            "type": "smtp",
            "name": "邮件",
            "host": "h",
            "port": "99999999999",
            "tls": "ssl",
            "sender": "a@b.cn",
        },
    )
    assert port.status_code == 422


def test_note1_channel_pages_are_the_admins_alone(client, pages):
    token = pages("rep")
    for path in ("/admin/channels", "/admin/deliveries"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/channels/1/test", data={"csrf_token": token}).status_code in (403, 404)


def test_note1_my_settings_page_saves_choices_and_names_bad_fields(client, pages):
    token = pages("rep")
    html = client.get("/me/notifications").text
    assert "跟进提醒" in html and "渠道测试" not in html
    form = {
        "csrf_token": token,
        "pick:followup_reminder": "wecom",
        "im_wecom": "zhangwei",
        "email": "rep@example.com",
        "digest": "on",
    }
    assert (
        client.post("/me/notifications", data=form, follow_redirects=False).headers["location"]
        == "/me/notifications?saved=1"
    )
    html = client.get("/me/notifications?saved=1").text
    assert 'name="pick:followup_reminder" value="wecom" checked' in html and "已保存" in html
    bad = client.post("/me/notifications", data={**form, "email": "nope"})
    assert bad.status_code == 422 and "邮箱格式不对" in bad.text
    client.cookies.set(LANG_COOKIE, "en")
    assert "Notification settings" in client.get("/me/notifications").text
