"""The deal list as an Excel file (ORG-5 scope, audited)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.audit.service import record
from poolcrm.deals import rules
from poolcrm.deals.models import (
    Deal,
)
from poolcrm.deals.output import DealFilter, deal_out, filtered_query, lookups
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.sheets import workbook_bytes

EXPORT_COLUMNS = (
    "跟单编号",
    "跟单名称",
    "客户",
    "负责人",
    "分类",
    "阶段",
    "成交概率",
    "状态",
    "预计成交日期",
    "金额",
    "加权金额",
    "意向",
    "商机来源",
    "竞争对手",
    "最近进展",
    "提醒日期",
    "超期",
)


def export_xlsx(session: Session, user: User, f: DealFilter) -> bytes:
    """Deal list export (ORG-5 scope; audited like every export of customer data)."""

    policy = get_policy(session)
    deals = list(session.scalars(filtered_query(session, user, f, policy).order_by(Deal.id)))
    lk = lookups(session, deals)
    table = []
    for deal in deals:
        d = deal_out(session, deal, lk, policy=policy)
        values = [
            d["number"],
            d["name"],
            (d["customer"] or {}).get("name", ""),
            (d["owner"] or {}).get("display_name", ""),
            rules.CATEGORY_LABELS[d["category"]],
            d["stage"],
            d["probability"] / 100,
            rules.STATUS_LABELS.get(d["status"], d["status"]),
            d["expected_close_on"],
            d["amount"],
            d["weighted_amount"],
            d["intention"],
            d["source"] or "",
            "、".join(e["competitor"] for e in d["competitor_evaluations"]),
            d["last_activity_at"][:10],
            d["due_on"] or "",
            "是" if d["overdue"] else "",
        ]
        table.append(values)
    data = workbook_bytes(list(EXPORT_COLUMNS), table, "跟单")
    record(
        session,
        actor_id=user.id,
        action="deal.export",
        object_type="deal",
        object_id=None,
        after={"rows": len(deals), "filter": f.__dict__},
        rule="ORG-5",
    )
    return data
