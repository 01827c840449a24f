"""Demo follow-ups (FU-1): valid ones that protect the private customers, and a few invalid
ones (too short, non-contact, duplicate) that show their reasons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.followups.service import record_followup, refresh_next_planned

ORDER = 30

VALID = [
    (
        "去访",
        "A 王经理（采购部经理） B 介绍高速扫描仪方案 C 对双面扫描很感兴趣，预算约二十万 D 下周三送样机试用",
    ),
    ("致电", "与信息中心李主任电话沟通档案数字化项目进度，对方确认三月份启动招标，需要我们提供资质文件"),
    ("来访", "客户张总带技术负责人来公司参观演示中心，现场测试了存储系统，提出希望给出分期付款方案"),
    ("微信", "微信发送了产品报价单和案例资料给行政部赵女士，她表示会转给分管副总，约定本周五回复意见"),
    ("会议", "参加客户季度采购评审会，我方方案进入候选名单，竞争对手有两家，客户关注售后响应时间"),
]
INVALID = [
    ("致电", "电话未接通"),
    ("致电", "无人接听，明天再打"),
    ("去访", "拜访了客户"),
]


def populate(session: Session, ctx: Any) -> None:
    rng = ctx.rng
    customers = list(
        session.scalars(select(Customer).where(Customer.pool == POOL_PRIVATE).order_by(Customer.id))
    )
    now = clock.now()
    for n, customer in enumerate(customers):
        assert customer.owner_id is not None
        for k in range(rng.randint(1, 3)):
            subject, text = VALID[(n + k) % len(VALID)]
            f = record_followup(
                session,
                customer_id=customer.id,
                author_id=customer.owner_id,
                subject=subject,
                content=f"{text}（第{k + 1}次）",
                attitude=rng.choice(["积极", "中性"]),
                result_status="持续跟进",
                next_followup_on=ctx.today + timedelta(days=rng.randint(0, 6)) if k == 0 else None,
            )
            back = timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 8))
            f.created_at = now - back
            customer.last_valid_followup_at = max(
                customer.last_valid_followup_at or f.created_at, f.created_at
            )
        if n % 4 == 0:
            subject, text = INVALID[n % len(INVALID)]
            record_followup(
                session, customer_id=customer.id, author_id=customer.owner_id, subject=subject, content=text
            )
    session.flush()
    refresh_next_planned(session)  # the follow-ups above were back-dated
