"""CUS-11: the SQL form of the completeness test (used by the monthly assessment at scale) gives
the same answer as `missing_grade_fields`, on both engines."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from poolcrm import clock
from poolcrm.customers import bulk, rules
from poolcrm.customers.models import Customer

COMPLETE = {
    "name": "北京友好创达信息科技有限公司",
    "address": "北京市海淀区中关村大街1号海龙大厦5楼501室",
    "postal_code": "100080",
    "region": "华北",
    "industry": "信息技术",
    "customer_type": "direct",
    "source": "展会",
    "profile": "办公设备采购",
    "contact_name": "王经理",
    "contact_position": "采购经理",
    "phone": "010-62345678",
    "mobile": "13800138000",
}


def test_cus11_sql_completeness_agrees_with_the_rule(session):
    variants = [dict(COMPLETE)]
    for field in ("postal_code", "region", "profile", "contact_position", "source"):
        for blank in (None, "", "   "):
            variants.append({**COMPLETE, field: blank})
    variants.append({**COMPLETE, "mobile": None})  # phone alone is enough
    variants.append({**COMPLETE, "phone": "", "mobile": None})  # neither: incomplete
    for n, v in zip(itertools.count(), variants, strict=False):
        v["name"] = f"{n}号{v['name']}"
    ids = bulk.bulk_create(session, variants, at=clock.now())
    customers = session.scalars(select(Customer).where(Customer.id.in_(ids))).all()
    in_sql = set(session.scalars(select(Customer.id).where(rules.grade_incomplete_sql(Customer))))
    in_python = {
        c.id
        for c in customers
        if rules.missing_grade_fields({k: getattr(c, k) for k in (*COMPLETE, "phone", "mobile")})
    }
    assert in_sql == in_python
    assert len(in_python) == len(variants) - 2  # the complete one and the one with a phone only
