"""Inbound fixtures: a small company (CS, a sales team, GM, HR) and customers inserted with their
duplicate-check keys, so that the real CUS-7 check finds them. The duty, disputes and violations
tests import these helpers too."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from poolcrm import clock
from poolcrm.customers import dedupe, names
from poolcrm.customers.models import Customer
from poolcrm.db import Database
from tests.conftest import auth_headers

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # a Wednesday
_codes = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def add_customer(
    session: Any,
    name: str,
    *,
    pool: str = "public",
    owner_id: int | None = None,
    phone: str | None = None,
    since: datetime | None = None,
    **extra: Any,
) -> Customer:
    n = next(_codes)
    moment = since or at(date(2026, 10, 8))
    c = Customer(
        code=f"ABC2026{n:04d}",
        name=name,
        name_key=names.name_key(name),
        address="北京市海淀区中关村大街1号",
        contact_name="王经理",
        phone=phone or f"+86106234{n:04d}",
        pool=pool,
        owner_id=owner_id,
        protected_since=moment if pool == "private" else None,
        pool_entered_at=moment,
        created_at=moment,
        updated_at=moment,
        tags=[],
        **extra,
    )
    session.add(c)
    session.flush()
    dedupe.index_customer(session, c.id, c.name)
    return c


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    clock.set_now(NOW, frozen=True)
    yield
    clock.reset()


@pytest.fixture
def crm(make_user: Callable[..., int]) -> dict[str, int]:
    """admin, gm, hr, cs, cs2, manager ← sup ← rep1..rep3 (销售一部), rep4 (销售二部)."""
    ids: dict[str, int] = {}
    ids["admin"] = make_user("admin", ["admin"], dept="总经办", kind="other", display_name="管理员")
    ids["gm"] = make_user("gm", ["gm"], dept="总经办", kind="other", display_name="刘总")
    ids["hr"] = make_user("hr", ["hr"], dept="总经办", kind="other", display_name="韩人事")
    ids["cs"] = make_user("cs", ["cs"], dept="客服部", kind="cs", display_name="郑客服")
    ids["cs2"] = make_user("cs2", ["cs"], dept="客服部", kind="cs", display_name="冯客服")
    ids["manager"] = make_user("manager", ["sales_manager"], supervisor_id=ids["gm"], display_name="穆经理")
    ids["sup"] = make_user("sup", ["supervisor"], supervisor_id=ids["manager"], display_name="王主管")
    for name, display in (("rep1", "张伟"), ("rep2", "李娜"), ("rep3", "王芳")):
        ids[name] = make_user(name, ["sales"], supervisor_id=ids["sup"], display_name=display)
    ids["rep4"] = make_user(
        "rep4", ["sales"], dept="销售二部", supervisor_id=ids["manager"], display_name="刘洋"
    )
    return ids


@pytest.fixture
def customer(database: Database) -> Callable[..., int]:
    def _make(name: str, **kw: Any) -> int:
        with database.transaction() as s:
            return add_customer(s, name, **kw).id

    return _make


@pytest.fixture
def h(client: Any, crm: dict[str, int]) -> Callable[..., dict[str, str]]:
    cache: dict[tuple[str, str], dict[str, str]] = {}

    def _headers(username: str, lang: str = "zh") -> dict[str, str]:
        if (username, lang) not in cache:
            cache[(username, lang)] = auth_headers(client, username, lang=lang)
        return cache[(username, lang)]

    return _headers
