"""Service desk fixtures: a frozen clock on a working Wednesday, a company with a service team (the
service supervisor under the GM, two staff under him), sales, CS, and customers made with the ORM."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from poolcrm import clock
from tests.deals.conftest import h, make_customer  # noqa: F401  (shared fixtures; h logs in this team)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    clock.set_now(NOW, frozen=True)
    yield
    clock.reset()


@pytest.fixture
def team(make_user: Callable[..., int]) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["admin"] = make_user("admin", ["admin"], dept="总经办", kind="other")
    ids["gm"] = make_user("gm", ["gm"], dept="总经办", kind="other", display_name="刘总")
    ids["svcsup"] = make_user(
        "svcsup",
        ["service", "supervisor"],
        dept="服务部",
        kind="service",
        supervisor_id=ids["gm"],
        display_name="何工",
    )
    ids["svc1"] = make_user(
        "svc1", ["service"], dept="服务部", kind="service", supervisor_id=ids["svcsup"], display_name="马工"
    )
    ids["svc2"] = make_user(
        "svc2", ["service"], dept="服务部", kind="service", supervisor_id=ids["svcsup"], display_name="秦工"
    )
    ids["sup"] = make_user("sup", ["supervisor", "sales"], display_name="王主管")
    ids["rep"] = make_user("rep", ["sales"], supervisor_id=ids["sup"], display_name="张伟")
    ids["other"] = make_user("other", ["sales"], dept="销售二部", display_name="刘洋")
    ids["cs"] = make_user("cs", ["cs"], dept="客服部", kind="cs", display_name="郑客服")
    return ids


PDF = b"%PDF-1.4\n% service sheet\n" + b"0" * 200


@pytest.fixture
def open_ticket(client: Any, h: Callable[[str], dict[str, str]], team: dict[str, int], make_customer: Any):  # noqa: F811
    """Open a ticket through the API as `user` (CS by default) on a new customer of the rep."""

    def _open(user: str = "cs", customer_id: int | None = None, **overrides: Any) -> dict[str, Any]:
        body = {
            "customer_id": customer_id or make_customer(team["rep"]),
            "kind": "in_warranty",
            "request_type": "tech_support",
            "priority": "medium",
            "description": "12月1日起扫描仪进纸卡纸，影响档案室两台设备",
            "product": "高速扫描仪 FS-9000",
            **overrides,
        }
        resp = client.post("/api/v1/tickets", json=body, headers=h(user))
        assert resp.status_code == 201, resp.text
        return resp.json()

    return _open


@pytest.fixture
def upload(client: Any, h: Callable[[str], dict[str, str]]):  # noqa: F811
    def _upload(
        ticket_id: int, doc_type: str, user: str = "svc1", content: bytes = PDF, name: str = "单.pdf"
    ) -> Any:
        return client.post(
            f"/api/v1/tickets/{ticket_id}/attachments",
            files={"file": (name, content, "application/pdf")},
            data={"doc_type": doc_type},
            headers=h(user),
        )

    return _upload
