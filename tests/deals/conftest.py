"""Deal fixtures: a frozen clock, a small team, customers created directly with the ORM."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from poolcrm import clock
from poolcrm.db import Database
from tests.conftest import auth_headers

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    clock.set_now(NOW, frozen=True)
    yield
    clock.reset()


@pytest.fixture
def team(make_user: Callable[..., int]) -> dict[str, int]:
    """manager ← sup ← rep, rep2; other (another group); cs; admin."""
    ids: dict[str, int] = {}
    ids["admin"] = make_user("admin", ["admin"], dept="总经办", kind="other")
    ids["sup"] = make_user("sup", ["supervisor", "sales"])
    ids["rep"] = make_user("rep", ["sales"], supervisor_id=ids["sup"], display_name="张伟")
    ids["rep2"] = make_user("rep2", ["sales"], supervisor_id=ids["sup"], display_name="李娜")
    ids["other"] = make_user("other", ["sales"], dept="销售二部", display_name="刘洋")
    ids["cs"] = make_user("cs", ["cs"], dept="客服部", kind="cs")
    return ids


_seq = iter(range(1, 100000))


@pytest.fixture
def make_customer(database: Database) -> Callable[..., int]:
    from poolcrm.customers.models import Customer

    def _make(
        owner_id: int | None, *, customer_type: str = "direct", name: str | None = None, **extra: Any
    ) -> int:
        n = next(_seq)
        with database.transaction() as s:
            c = Customer(
                code=extra.pop("code", f"ABC2026{n:03d}"),
                name=name or f"北京测试{n}科技有限公司",
                name_key=f"测试{n}",
                address="北京市海淀区中关村大街1号",
                contact_name="王经理",
                phone="010-62345678",
                customer_type=customer_type,
                status=extra.pop("status", "potential"),
                pool="private" if owner_id else "public",
                owner_id=owner_id,
                protected_since=clock.now() if owner_id else None,
                pool_entered_at=clock.now(),
                created_at=clock.now(),
                updated_at=clock.now(),
                tags=[],
                **extra,
            )
            s.add(c)
            s.flush()
            return c.id

    return _make


def deal_body(customer_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "name": "档案数字化扫描项目",
        "category": "short",
        "stage": 3,
        "expected_close_on": "2026-05-20",
        "intention": "扫描仪",
        "products": [
            {"name": "高速扫描仪", "quantity": 4, "unit_price": 12500, "model": "FS-9000"},
            {"name": "扫描软件", "quantity": 1, "unit_price": 8000},
        ],
        "details": {
            "purchase_reason": "档案室数字化改造",
            "purchase_form": "公开招标",
            "budget": "约6万元",
            "requirements": "每分钟120页，双面",
            "execution_time": "2026年二季度",
            "competitors": "富士通、柯达",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def h(client: Any, team: dict[str, int]) -> Callable[[str], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def _headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = auth_headers(client, username)
        return cache[username]

    return _headers


@pytest.fixture
def new_deal(
    client: Any, h: Callable[[str], dict[str, str]], make_customer: Callable[..., int], team: dict[str, int]
) -> Callable[..., dict[str, Any]]:
    def _new(username: str = "rep", customer_id: int | None = None, **overrides: Any) -> dict[str, Any]:
        cid = customer_id or make_customer(team[username])
        resp = client.post("/api/v1/deals", json=deal_body(cid, **overrides), headers=h(username))
        assert resp.status_code == 201, resp.text
        return resp.json()  # type: ignore[no-any-return]

    return _new


__all__ = ["NOW", "TODAY", "date", "deal_body"]


@pytest.fixture
def pay_in_full(client: Any, h: Callable[[str], dict[str, str]]) -> Callable[..., dict[str, Any]]:
    """DEAL-8/CTR-3: the signed deal's contract approved by `approver` and paid in one payment."""

    def _pay(deal_id: int, payer: str = "rep", approver: str = "sup") -> dict[str, Any]:
        contract = client.get(f"/api/v1/deals/{deal_id}", headers=h(payer)).json()["contract"]
        resp = client.post(f"/api/v1/contracts/{contract['id']}/approve", headers=h(approver))
        assert resp.status_code == 200, resp.text
        body = {"received_on": clock.today().isoformat(), "amount": contract["amount"], "method": "银行转账"}
        resp = client.post(f"/api/v1/contracts/{contract['id']}/payments", json=body, headers=h(payer))
        assert resp.status_code == 200, resp.text
        deal = client.get(f"/api/v1/deals/{deal_id}", headers=h(payer)).json()
        assert deal["category"] == "won"
        return deal

    return _pay
