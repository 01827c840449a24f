"""SEC-1 (junk input answers 422 naming the field, before any handler or database sees it) and SEC-2
(no framing, a Content-Security-Policy, Swagger UI served by the app itself)."""

from __future__ import annotations

import pytest

from poolcrm.web.guard import bad_character
from tests.conftest import auth_headers


@pytest.mark.parametrize("text", ["a\x00b", "\x07", "x\x1b[31m", "\x85", "\ud800"])
def test_sec1_control_characters_and_lone_surrogates_are_bad(text):
    assert bad_character(text)


@pytest.mark.parametrize("text", ["北京友好创达科技有限公司", "line\nbreak\tand tab\r", "emoji 😀", "é", ""])
def test_sec1_ordinary_text_is_fine(text):
    assert not bad_character(text)


def test_sec1_nul_in_the_login_username_is_422_before_authentication(client):
    resp = client.post("/api/v1/auth/token", json={"username": "ad\x00min", "password": "whatever1"})
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["fields"] == {"username": "不能包含控制字符"}
    assert resp.json()["error"]["rule"] == "SEC-1"


def test_sec1_nul_in_a_query_a_form_and_a_nested_json_field(client, make_user):
    make_user("rep")
    headers = auth_headers(client, "rep")
    assert client.get("/api/v1/customers", params={"q": "北京\x00"}, headers=headers).json()["error"][
        "details"
    ]["fields"] == {"q": "不能包含控制字符"}
    resp = client.post(
        "/login", data={"username": "rep\x00", "password": "x"}, headers={"Accept": "text/html"}
    )
    assert resp.status_code == 422 and "控制字符" in resp.text
    body = {"name": "测试公司", "contacts": [{"name": "王\x00经理"}]}
    resp = client.post("/api/v1/customers", json=body, headers=headers)
    assert resp.status_code == 422
    assert "contacts.0.name" in resp.json()["error"]["details"]["fields"]


def test_sec1_non_finite_and_huge_json_numbers_are_422(client, make_user):
    make_user("rep")
    headers = {**auth_headers(client, "rep"), "Content-Type": "application/json"}
    for raw in (
        '{"actual_amount": NaN}',
        '{"actual_amount": 1e999}',
        '{"actual_amount": 99999999999999999999}',
    ):
        resp = client.post("/api/v1/deals/1/win", content=raw, headers=headers)
        assert resp.status_code == 422, raw
        assert resp.json()["error"]["details"]["fields"] == {"actual_amount": "数值超出范围"}


def test_sec2_pages_cannot_be_framed_and_carry_a_csp(client):
    resp = client.get("/login")
    assert resp.headers["x-frame-options"] == "DENY"
    policy = resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'nonce-" in policy
    assert "'unsafe-eval'" not in policy


def test_sec2_api_docs_are_served_from_the_app_not_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").status_code == 200
