"""Page-test helpers: log in through the login form (session cookie) and get the CSRF token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for
from tests.conftest import PASSWORD

HTML = {"Accept": "text/html"}


def page_login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log `username` in through POST /login; returns the CSRF token for the session's forms."""
    client.cookies.clear()
    resp = client.post(
        "/login", data={"username": username, "password": password, "next": "/"}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return csrf_token_for("test-secret", cookie)
