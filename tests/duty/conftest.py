"""Duty fixtures: reuse the inbound company and add last week's figures (follow-ups, won deals)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from poolcrm.deals.models import Deal
from poolcrm.followups.models import FollowUp
from tests.inbound.conftest import _clock, add_customer, at, crm, customer, h  # noqa: F401

LAST_MONDAY = date(2026, 11, 16)


def add_followups(
    session: Any,
    customer_id: int,
    author_id: int,
    n: int,
    *,
    start: date = LAST_MONDAY,
    valid: bool = True,
    days: int = 5,
) -> list[int]:
    ids = []
    for i in range(n):
        moment = at(start + timedelta(days=i % days), 9 + i % 8)
        f = FollowUp(
            customer_id=customer_id,
            author_id=author_id,
            subject="致电",
            content=f"与客户王经理沟通扫描仪采购需求第{i}次，约定下周演示",
            content_key=f"k{customer_id}-{author_id}-{start}-{i}",
            valid=valid,
            invalid_reasons=[],
            created_at=moment,
        )
        session.add(f)
        session.flush()
        ids.append(f.id)
    return ids


_deals = iter(range(1, 100000))


def add_won_deal(session: Any, customer_id: int, owner_id: int, amount: int, closed: datetime) -> Deal:
    n = next(_deals)
    d = Deal(
        number=f"D{n:05d}",
        seq=n,
        customer_id=customer_id,
        owner_id=owner_id,
        created_by=owner_id,
        name="扫描项目",
        category="won",
        stage=10,
        max_stage=10,
        status="won",
        expected_close_on=closed.date(),
        intention="扫描仪",
        amount=Decimal(amount),
        purchase_reason="-",
        purchase_form="-",
        budget="-",
        requirements="-",
        execution_time="-",
        competitors="-",
        actual_amount=Decimal(amount),
        contract_no=f"HT-{n}",
        closed_at=closed,
        credited_to=owner_id,
        credit_rule="DEAL-8",
        last_activity_at=closed,
        created_at=closed,
        updated_at=closed,
    )
    session.add(d)
    session.flush()
    return d
