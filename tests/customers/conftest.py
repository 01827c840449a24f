"""Customer fixtures: a small sales org (rep, colleague, supervisor, CS) and a registration helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth_headers

VALID = {
    "name": "北京友好创达科技有限公司",
    "address": "北京市海淀区中关村大街1号海龙大厦5楼501室",
    "contact_name": "张三",
    "phone": "010-62345678",
    "industry": "IT",
    "customer_type": "direct",
}


@pytest.fixture
def org(client: TestClient, make_user: Callable[..., int]) -> dict[str, Any]:
    """sup ← rep, sup ← mate; other (another team); cs; admin — with their auth headers."""
    ids = {"admin": make_user("admin", ["admin"], dept="总经办", kind="other")}
    ids["sup"] = make_user("sup", ["supervisor", "sales"])
    ids["rep"] = make_user("rep", ["sales"], supervisor_id=ids["sup"], display_name="张伟")
    ids["mate"] = make_user("mate", ["sales"], supervisor_id=ids["sup"], display_name="李娜")
    ids["other"] = make_user("other", ["sales"], dept="销售二部", display_name="刘洋")
    ids["cs"] = make_user("cs", ["cs"], dept="客服部", kind="cs", display_name="郑客服")
    headers = {name: auth_headers(client, name) for name in ids}
    return {"ids": ids, "h": headers}


@pytest.fixture
def register(client: TestClient) -> Callable[..., Any]:
    """POST /customers with valid defaults; returns the response."""

    def _register(headers: dict[str, str], **fields: Any) -> Any:
        body = {**VALID, **fields}
        return client.post("/api/v1/customers", json=body, headers=headers)

    return _register


@pytest.fixture
def approved(client: TestClient, org: dict[str, Any], register: Callable[..., Any]) -> Callable[..., int]:
    """Register as `who` and have CS approve; returns the customer id."""

    def _approved(who: str = "rep", **fields: Any) -> int:
        resp = register(org["h"][who], confirm_warnings=True, confirm_duplicates=True, **fields)
        assert resp.status_code == 201, resp.text
        app = resp.json()
        if app["status"] == "pending":
            done = client.post(f"/api/v1/applications/{app['id']}/approve", json={}, headers=org["h"]["cs"])
            assert done.status_code == 200, done.text
        return int(app["customer_id"])

    return _approved


@pytest.fixture
def admin_headers_for_cus7a(org: dict[str, Any]) -> dict[str, str]:
    return org["h"]["admin"]
