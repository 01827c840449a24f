"""Changing one's own password from the pages (AUTH-2): errors inline, the change audited, this
browser stays logged in while every other session ends."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.db import Database
from tests.conftest import PASSWORD, auth_headers
from tests.web.helpers import HTML, page_login


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', html))


def test_auth2_change_own_password_from_the_page(
    client: TestClient, database: Database, make_user: Callable[..., int]
) -> None:
    make_user("rep", display_name="张伟")
    other_session = auth_headers(client, "rep")
    token = page_login(client, "rep")
    assert "修改密码" in client.get("/me/password", headers=HTML).text

    def change(old: str, new: str, again: str) -> object:
        data = {"csrf_token": token, "old_password": old, "new_password": new, "confirm_password": again}
        return client.post("/me/password", data=data, headers=HTML, follow_redirects=False)

    resp = change("wrong-pass", "brand-new-pass", "brand-new-pass")
    assert resp.status_code == 422 and _errors(resp.text) == {"old_password": "原密码不正确"}
    resp = change(PASSWORD, "brand-new-pass", "brand-new-pasz")
    assert _errors(resp.text) == {"confirm_password": "两次输入的新密码不一致"}
    resp = change(PASSWORD, "short", "short")
    assert _errors(resp.text) == {"new_password": "密码至少 8 位"} and "AUTH-2" in resp.text

    resp = change(PASSWORD, "brand-new-pass", "brand-new-pass")
    assert resp.status_code == 303 and resp.headers["location"] == "/me/password?done=1"
    assert "密码已修改" in client.get("/me/password?done=1", headers=HTML).text, "this browser stays in"
    assert client.get("/api/v1/me", headers=other_session).status_code == 401, "other sessions end"
    assert (
        client.post("/api/v1/auth/token", json={"username": "rep", "password": PASSWORD}).status_code == 401
    )
    assert client.post(
        "/api/v1/auth/token", json={"username": "rep", "password": "brand-new-pass"}
    ).is_success
    with database.transaction() as s:
        assert s.scalar(select(AuditEntry.rule).where(AuditEntry.action == "user.password")) == "AUTH-2"


def test_auth2_password_page_needs_a_login(client: TestClient) -> None:
    resp = client.get("/me/password", headers=HTML, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/me/password"
