"""Dispute fixtures: the inbound company, plus a deal on rep1's customer signed by rep4."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from poolcrm import clock
from poolcrm.deals.models import Deal
from poolcrm.followups.models import FollowUp
from tests.inbound.conftest import _clock, add_customer, at, crm, customer, h  # noqa: F401

_n = iter(range(1, 100000))


def valid_followup(session: Any, customer_id: int, author_id: int, when: Any) -> int:
    n = next(_n)
    f = FollowUp(
        customer_id=customer_id,
        author_id=author_id,
        subject="去访",
        content=f"拜访客户王经理第{n}次，演示高速扫描仪并确认预算和采购时间",
        content_key=f"dsp-{n}",
        valid=True,
        invalid_reasons=[],
        created_at=when,
    )
    session.add(f)
    session.flush()
    return f.id


def add_deal(session: Any, c: Any, owner_id: int, seq: int, name: str) -> Deal:
    """An open short deal (stage 5) on customer `c`, numbered as DEAL-8 numbers it."""
    now = clock.now()
    deal = Deal(
        number=f"{c.code}OP{seq:03d}",
        seq=seq,
        customer_id=c.id,
        owner_id=owner_id,
        created_by=owner_id,
        name=name,
        category="short",
        stage=5,
        max_stage=5,
        status="active",
        expected_close_on=date(2026, 12, 31),
        intention="扫描仪",
        amount=Decimal(60000),
        purchase_reason="档案室数字化",
        purchase_form="招标",
        budget="6万",
        requirements="双面",
        execution_time="四季度",
        competitors="富士通",
        last_activity_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    session.flush()
    return deal


@pytest.fixture
def signed_by_other(database: Any, crm: dict[str, int]) -> Callable[..., dict[str, int]]:  # noqa: F811
    """rep1 owns 北京友好创达 since 1 Sep 2026 and followed it up validly on `last_on`; rep4 holds an
    open deal on it (a redevelopment deal that outlived the customer's open state)."""

    def _make(last_on: date | None, *, same_day: date | None = None) -> dict[str, int]:
        with database.transaction() as s:
            c = add_customer(
                s,
                "北京友好创达科技有限公司",
                pool="private",
                owner_id=crm["rep1"],
                since=at(date(2026, 9, 1)),
            )
            if last_on is not None:
                valid_followup(s, c.id, crm["rep1"], at(last_on, 15))
            if same_day is not None:
                valid_followup(s, c.id, crm["rep1"], at(same_day, 8))
            n = next(_n)
            d = add_deal(s, c, crm["rep4"], n, "档案数字化扫描项目")
            return {"customer": c.id, "deal": d.id}

    return _make
