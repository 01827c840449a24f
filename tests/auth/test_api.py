from tests.conftest import PASSWORD, auth_headers


def test_auth_token_and_me(client, make_user):
    make_user("rep")
    headers = auth_headers(client, "rep")
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "rep"


def test_auth_wrong_password_is_401_in_chinese_by_default(client, make_user):
    make_user("rep")
    resp = client.post("/api/v1/auth/token", json={"username": "rep", "password": "nope"})
    assert resp.status_code == 401
    assert resp.json()["error"]["message"] == "用户名或密码错误"


def test_auth1_repeated_failures_answer_429_with_retry_after(client, make_user):
    make_user("rep")
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "rep", "password": "x"}).status_code == 401
    resp = client.post(
        "/api/v1/auth/token",
        json={"username": "rep", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert resp.json()["error"]["rule"] == "AUTH-1"
    assert "Too many" in resp.json()["error"]["message"]


def test_auth2_change_password_invalidates_old_tokens(client, make_user):
    make_user("rep")
    headers = auth_headers(client, "rep")
    resp = client.post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "short"}, headers=headers
    )
    assert resp.status_code == 422
    resp = client.post(
        "/api/v1/me/password",
        json={"old_password": PASSWORD, "new_password": "a-new-password"},
        headers=headers,
    )
    assert resp.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert auth_headers(client, "rep", "a-new-password")


def test_auth_no_token_is_401(client):
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


def test_auth3_cookie_session_needs_csrf_on_writes(client, make_user):
    make_user("rep")
    resp = client.post(
        "/login", data={"username": "rep", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert resp.status_code == 303
    cookie = resp.cookies.get("poolcrm_session")
    assert cookie and "httponly" in resp.headers["set-cookie"].lower()
    assert client.get("/api/v1/me").status_code == 200
    bad = client.post("/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "another-pass"})
    assert bad.status_code == 403 and bad.json()["error"]["rule"] == "AUTH-3"
    from poolcrm.web.deps import csrf_token_for

    good = client.post(
        "/api/v1/me/password",
        json={"old_password": PASSWORD, "new_password": "another-pass"},
        headers={"X-CSRF-Token": csrf_token_for("test-secret", cookie)},
    )
    assert good.status_code == 204


def test_auth6_api_logout_ends_the_bearer_token(client, make_user):
    make_user("rep")
    headers = auth_headers(client, "rep")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_auth6_page_logout_ends_a_saved_cookie(client, make_user):
    from tests.web.helpers import page_login

    make_user("rep")
    csrf = page_login(client, "rep")
    saved = dict(client.cookies)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    for name, value in saved.items():
        client.cookies.set(name, value)
    assert client.get("/api/v1/me").status_code == 401


def test_auth1_login_page_429_carries_retry_after(client, make_user):
    make_user("rep")
    for _ in range(5):
        client.post("/login", data={"username": "rep", "password": "x"}, follow_redirects=False)
    resp = client.post("/login", data={"username": "rep", "password": PASSWORD}, follow_redirects=False)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
