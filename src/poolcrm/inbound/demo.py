"""Demo inbound items (IN-1, IN-2), the week's duty roster (IN-3), dispute cases (DSP-1, DSP-2)
and violations, a spot-check sample and last month's assessment (VIO-1..3) — all through the
services, after the other domains filled the company."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers import dedupe
from poolcrm.customers.checks import next_codes
from poolcrm.customers.models import POOL_PRIVATE, POOL_PUBLIC, Customer
from poolcrm.customers.registration import new_customer_row
from poolcrm.deals import access as deals_access
from poolcrm.deals.models import Deal
from poolcrm.deals.rules import CONTRACTED
from poolcrm.disputes import service as disputes
from poolcrm.disputes.schemas import DisputeIn
from poolcrm.duty import service as duty
from poolcrm.inbound import service
from poolcrm.inbound.schemas import InboundIn
from poolcrm.ownership.moves import move_customer
from poolcrm.policy.service import company_today
from poolcrm.violations import assessments as violation_assessments
from poolcrm.violations import rules as violation_rules
from poolcrm.violations import service as violations

ORDER = 60


def _inbound(session: Session, ctx: Any) -> None:
    cs = ctx.users["cs1"]
    owned = session.scalar(
        select(Customer)
        .where(Customer.pool == POOL_PRIVATE, Customer.owner_id == ctx.users["lina"].id)
        .limit(1)
    )
    public = session.scalar(
        select(Customer).where(Customer.pool == POOL_PUBLIC).order_by(Customer.id.desc()).limit(1)
    )
    calls = []
    if owned is not None:
        calls.append(InboundIn(company=owned.name, kind="call", need="询问扫描仪维保续费"))
    if public is not None:
        calls.append(InboundIn(company=public.name, kind="trial", need="申请试用存储系统一个月"))
    calls.append(
        InboundIn(company="广州珠江办公设备有限公司", phone="020-83456789", need="打印机集中采购询价")
    )
    for data in calls:
        service.record_inbound(session, cs, data)


def _disputes(session: Session, ctx: Any) -> None:
    zhang, lina, cs = ctx.users["zhangwei"], ctx.users["lina"], ctx.users["cs1"]
    original = session.scalar(
        select(Customer)
        .where(Customer.pool == POOL_PRIVATE, Customer.owner_id == zhang.id)
        .order_by(Customer.id)
    )
    if original is not None:
        now = clock.now()
        values = {
            "name": original.name,
            "address": original.address,
            "contact_name": "李经理",
            "phone": original.phone,
        }
        dup = Customer(**new_customer_row(values, code=next_codes(session)[0], actor_id=lina.id, at=now))
        session.add(dup)
        session.flush()
        dedupe.index_customer(session, dup.id, dup.name)
        move_customer(
            session,
            dup,
            to_pool=POOL_PRIVATE,
            to_owner_id=lina.id,
            rule="CUS-9",
            reason="新客户审核通过",
            actor_id=cs.id,
        )
        disputes.open_dispute(
            session,
            cs,
            DisputeIn(
                customer_id=original.id, other_customer_id=dup.id, reason="客服核对发现同一单位在两个私海中"
            ),
        )
    # DSP-1a by hand: lina claims a win credited to someone else on a deal she can see (ORG-5).
    candidates = session.scalars(
        select(Deal).where(Deal.category.in_(CONTRACTED), Deal.credited_to != lina.id).limit(50)
    )
    won = next((d for d in candidates if deals_access.may_see(session, lina, d)), None)
    if won is not None:
        disputes.open_dispute(session, lina, DisputeIn(deal_id=won.id, reason="客户由我首次拜访并推荐方案"))


def _violations(session: Session, ctx: Any) -> None:
    cs, rep = ctx.users["cs1"], ctx.users["wangfang"]
    violations.record_violation(
        session,
        user_id=rep.id,
        kind="invalid_customer",
        evidence="登记的客户名称为简称“友好创达”，电话为空号",
        refs=None,
        actor_id=cs.id,
    )
    today = company_today(session)
    violations.spot_check_step(session, today)
    violation_assessments.assess_month(session, violation_rules.previous_month(today.year, today.month))


def populate(session: Session, ctx: Any) -> None:
    if not {"cs1", "zhangwei", "lina", "wangfang"} <= set(ctx.users):
        return
    duty.roster_week(session, company_today(session))
    _inbound(session, ctx)
    _disputes(session, ctx)
    _violations(session, ctx)
    session.flush()
