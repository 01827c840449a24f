"""The demo deals populate through the services, on the demo reps' private direct customers."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.deals import demo
from poolcrm.deals.models import Deal, DealProgress
from tests.deals.conftest import NOW, TODAY


def test_demo_deals_cover_categories_with_progress_wins_and_losses(database):
    from poolcrm.demo import DemoContext, populate_org

    with database.transaction() as s:
        ctx = DemoContext(today=TODAY, rng=random.Random(1))
        populate_org(s, ctx, None)
        n = 0
        for username in ("zhangwei", "lina", "liuyang"):
            for _ in range(6):
                n += 1
                # claimed 120 days back; lina's last 20 days back: her story is told within them
                claimed = clock.now() - timedelta(days=20 if (username, n % 6) == ("lina", 0) else 120)
                s.add(
                    Customer(
                        code=f"ABC2026{n:03d}",
                        name=f"演示客户{n}有限公司",
                        name_key=f"演示{n}",
                        address="上海市徐汇区漕溪北路1号",
                        contact_name="陈主任",
                        phone="021-64000000",
                        customer_type="direct",
                        status="potential",
                        pool="private",
                        owner_id=ctx.users[username].id,
                        protected_since=claimed,
                        pool_entered_at=claimed,
                        created_at=claimed,
                        updated_at=clock.now(),
                        tags=[],
                    )
                )
        s.flush()
        demo.populate(s, ctx)
    assert abs(clock.now() - NOW).total_seconds() < 60  # the demo puts the clock back
    with database.transaction() as s:
        cats = dict(s.execute(select(Deal.category, func.count()).group_by(Deal.category)).all())
        assert set(cats) == {"lead", "mid", "short", "signed", "won", "lost"}
        assert s.scalar(select(func.count()).select_from(DealProgress)) >= 30
        closed = s.scalar(select(func.count()).where(Customer.status == "closed"))
        assert closed == cats["won"] + cats["signed"]
        early = s.execute(
            select(Deal.number, Deal.created_at, Customer.pool_entered_at)
            .join(Customer, Customer.id == Deal.customer_id)
            .where(Deal.created_at < Customer.pool_entered_at)
        ).all()
        assert early == []  # no deal begins before its customer was claimed
        late_claim = s.scalar(
            select(Customer.id).where(Customer.pool_entered_at > clock.now() - timedelta(days=30))
        )
        assert s.scalar(select(func.count()).where(Deal.customer_id == late_claim)) == 1
