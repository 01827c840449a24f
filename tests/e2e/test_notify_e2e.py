"""Browser: the admin adds a 钉钉 robot with its 加签 secret against a local server that checks the
signature as 钉钉 does, sends a test message and sees the answer and the delivery log; a wrong
secret shows the vendor's error code; a rep picks their channels on a phone (NOTE-1/NOTE-2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.e2e.harness import add_department, add_user
from tests.notify.fakes import FakeVendors, start_vendors

pytestmark = pytest.mark.e2e
Login = Callable[..., tuple[Any, Any]]


@pytest.fixture(scope="module")
def seed() -> Callable[[Session], None]:
    def _team(session: Session) -> None:
        sales = add_department(session, "销售一部", "sales")
        add_user(session, "admin", "管理员", ["admin"], add_department(session, "总经办", "other"))
        add_user(session, "zhangwei", "张伟", ["sales"], sales)

    return _team


@pytest.fixture
def vendors() -> Iterator[FakeVendors]:
    fake, server = start_vendors()
    yield fake
    server.shutdown()
    server.server_close()


def _add_dingtalk(page: Any, server: str, name: str, webhook: str, secret: str) -> None:
    page.goto(f"{server}/admin/channels")
    add = page.get_by_test_id("add-dingtalk")
    add.locator("summary").click()
    form = add.get_by_test_id("channel-form-dingtalk")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=webhook]").fill(webhook)
    form.locator("input[name=secret]").fill(secret)
    form.locator("select[name=departments]").select_option(label="销售一部")
    form.locator("select[name=kinds]").select_option(value="followup_reminder")
    form.locator("button.primary").click()
    page.wait_for_url(f"{server}/admin/channels#channel-*")


def test_notify_admin_configures_a_robot_sends_a_test_and_sees_it_logged(
    server: str, login: Login, vendors: FakeVendors, shots: Path
) -> None:
    webhook = vendors.add("dingtalk", "tok-e2e", secret="SECe2e-secret-0001")
    _, page = login("admin", width=1440, height=900)
    _add_dingtalk(page, server, "销售一部群", webhook, "SECe2e-secret-0001")
    card = page.get_by_test_id("channel-list").locator("section").first
    assert "tok-e2e" not in page.content() and "SECe2e-secret-0001" not in page.content()  # NOTE-1a
    assert "••••0001" in card.inner_text()
    card.get_by_test_id("channel-test").click()
    answer = page.get_by_test_id("test-answer")
    answer.wait_for()
    assert answer.get_attribute("data-status") == "sent", answer.inner_text()
    [message] = vendors.messages("dingtalk")
    assert "销售一部群" in message.body["markdown"]["text"]
    page.screenshot(path=str(shots / "notify_channels.png"), full_page=True)
    page.get_by_test_id("add-wecom").locator("summary").click()
    form = page.get_by_test_id("channel-form-wecom")
    assert (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" in form.inner_text()
    )  # the vendor's own format
    form.screenshot(path=str(shots / "notify_channel_form_wecom.png"))

    # a wrong secret: the vendor's code on the page and in the log, nothing sent
    _add_dingtalk(page, server, "错误密钥群", webhook, "SECwrong")
    wrong = page.get_by_test_id("channel-list").locator("section").last
    wrong.get_by_test_id("channel-test").click()
    answer = page.get_by_test_id("test-answer")
    assert answer.get_attribute("data-status") == "failed" and "310000" in answer.inner_text()
    assert (
        "310000"
        in page.get_by_test_id("channel-list")
        .locator("section")
        .last.get_by_test_id("channel-health")
        .inner_text()
    )
    page.goto(f"{server}/admin/deliveries")
    log = page.get_by_test_id("delivery-log")
    assert log.locator("[data-testid=delivery][data-status=sent]").count() == 1
    assert "310000" in log.locator("[data-testid=delivery][data-status=failed]").inner_text()
    page.screenshot(path=str(shots / "notify_deliveries.png"), full_page=True)
    assert len(vendors.messages("dingtalk")) == 1

    # a rep on a phone: reminders by 钉钉 too, with the id the robot @mentions
    _, phone = login("zhangwei", width=390, height=844)
    phone.goto(f"{server}/notifications")
    phone.get_by_test_id("notify-settings-link").click()
    phone.wait_for_url(f"{server}/me/notifications")
    phone.fill("input[name=im_dingtalk]", "13800000000")
    phone.locator("input[name='pick:followup_reminder'][value=dingtalk]").check()
    save = phone.get_by_test_id("notify-save")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392
    save.click()
    phone.wait_for_url(f"{server}/me/notifications?saved=1")
    assert phone.locator("input[name='pick:followup_reminder'][value=dingtalk]").is_checked()
    phone.screenshot(path=str(shots / "notify_settings_phone.png"), full_page=False)
    _, admin_phone = login("admin", width=390, height=844)
    admin_phone.goto(f"{server}/admin/channels")
    assert admin_phone.evaluate("document.documentElement.scrollWidth") <= 392
    admin_phone.screenshot(path=str(shots / "notify_channels_phone.png"), full_page=True)
