"""Pool fixtures: a small sales organisation and customers inserted straight into the tables
(the customers domain's registration flow is not what these tests are about)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from poolcrm.customers import dedupe, names
from poolcrm.customers.models import TOMBSTONE_POOLS, Customer

SH = ZoneInfo("Asia/Shanghai")
_codes = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a local (Shanghai) calendar day."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def add_customer(
    session: Any,
    *,
    pool: str = "public",
    owner_id: int | None = None,
    name: str | None = None,
    protected_since: datetime | None = None,
    last_valid: datetime | None = None,
    entered: datetime | None = None,
    **extra: Any,
) -> Customer:
    n = next(_codes)
    created = entered or protected_since or at(date(2026, 1, 5))
    name = name or f"测试客户{n}科技有限公司"
    c = Customer(
        code=f"T{n:07d}",
        name=name,
        name_key=names.name_key(name),
        address="北京市某路1号",
        contact_name="张三",
        phone=f"010{n:08d}",
        pool=pool,
        owner_id=owner_id,
        protected_since=protected_since if pool == "private" else None,
        pool_entered_at=entered or protected_since or created,
        last_valid_followup_at=last_valid,
        created_at=created,
        updated_at=created,
        **extra,
    )
    session.add(c)
    session.flush()
    if pool not in TOMBSTONE_POOLS:  # every live record is in the name postings (CUS-7, LIST-1)
        dedupe.index_customer(session, c.id, name)
    return c


@pytest.fixture
def org(make_user: Callable[..., int]) -> dict[str, int]:
    """admin, gm, manager, sup (supervisor of rep1..rep3), cs, ka (KA dept)."""
    ids: dict[str, int] = {}
    ids["admin"] = make_user("admin", ["admin"], dept="总经办", kind="other")
    ids["gm"] = make_user("gm", ["gm"], dept="总经办", kind="other")
    ids["manager"] = make_user("manager", ["sales_manager", "supervisor"], supervisor_id=ids["gm"])
    ids["sup"] = make_user("sup", ["supervisor", "sales"], supervisor_id=ids["manager"])
    for name in ("rep1", "rep2", "rep3"):
        ids[name] = make_user(name, ["sales"], supervisor_id=ids["sup"])
    ids["cs"] = make_user("cs", ["cs"], dept="客服部", kind="cs")
    ids["ka"] = make_user("ka", ["sales"], dept="KA部", kind="ka", supervisor_id=ids["manager"])
    return ids


@pytest.fixture
def customers(database: Any) -> Callable[..., int]:
    """Insert a customer in its own transaction; returns its id."""

    def _make(**kw: Any) -> int:
        with database.transaction() as s:
            return add_customer(s, **kw).id

    return _make


@pytest.fixture
def admin_headers_for_policy(client: Any, org: dict[str, int]) -> dict[str, str]:
    from tests.conftest import auth_headers

    return auth_headers(client, "admin")
