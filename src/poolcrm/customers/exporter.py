"""CUS-18 export: any customer list as .xlsx, scoped by ORG-5 and audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers import listing, output
from poolcrm.customers.export_requests import EXPORT_MAX_ROWS, check_export
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.policy.service import get_policy
from poolcrm.sheets import stamped_name, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POOL_NAMES = {
    "public": "公海",
    "private": "私海",
    "bin": "待分配",
    "pending": "待审核",
    "merged": "已合并",
    "deleted": "已删除",
    "rejected": "已驳回",
}
STATUS_NAMES = {"potential": "潜在", "intent": "意向", "closed": "成交", "lost": "流失", "dormant": "休眠"}
GRADE_NAMES = {"core": "核心", "high_growth": "高成长", "ordinary": "普通"}
TYPE_NAMES = {"direct": "直客", "distributor": "渠道"}
COLUMNS: list[tuple[str, str]] = [
    ("code", "客户编号"),
    ("name", "公司全称"),
    ("pool", "所在库"),
    ("owner", "负责人"),
    ("status", "状态"),
    ("grade", "等级"),
    ("tier", "级别"),
    ("customer_type", "类型"),
    ("industry", "行业"),
    ("region", "地区"),
    ("address", "经营地址"),
    ("postal_code", "邮编"),
    ("contact_name", "联系人"),
    ("contact_position", "职位"),
    ("phone", "电话"),
    ("mobile", "手机"),
    ("email", "邮箱"),
    ("source", "来源"),
    ("tags", "标签"),
    ("member_until", "会员到期"),
    ("created_at", "登记时间"),
]


def export_list(
    session: Session, user: User, *, lang: str = "zh", approved: int | None = None, **filters: Any
) -> tuple[bytes, str]:
    """ORG-5: the rows the user may see, nothing else; the export itself is audited. ORG-5a: above
    the policy's rows it needs an approved request (`approved`: its id, already taken)."""
    if approved is None:
        check_export(session, user, filters)
    query = listing.list_query(session, user, **filters).limit(EXPORT_MAX_ROWS)
    customers = list(session.scalars(query))
    owners = users_by_id(session, (c.owner_id for c in customers))

    def t(mapping: dict[str, str], value: str | None) -> str:
        return translate(mapping.get(value or "", value or ""), lang) if value else ""

    tz = get_policy(session).timezone  # CAL-2: times and the file name in the company's zone
    rows = []
    for c in customers:
        owner = owners.get(c.owner_id) if c.owner_id else None
        rows.append(
            [
                c.code,
                c.name,
                t(POOL_NAMES, c.pool),
                owner.display_name if owner else "",
                t(STATUS_NAMES, c.status),
                t(GRADE_NAMES, c.grade),
                c.tier or "",
                t(TYPE_NAMES, c.customer_type),
                c.industry,
                c.region,
                c.address,
                c.postal_code,
                c.contact_name,
                c.contact_position,
                output.phone_display(c.phone),
                output.phone_display(c.mobile),
                c.email,
                c.source,
                "、".join(c.tags or []),
                c.member_until.isoformat() if c.member_until else "",
                clock.local(c.created_at, tz).strftime("%Y-%m-%d %H:%M") if c.created_at else "",
            ]
        )
    data = workbook_bytes([translate(title, lang) for _, title in COLUMNS], rows, translate("客户", lang))
    record(
        session,
        actor_id=user.id,
        action="customer.export",
        object_type="customer_list",
        after={
            "filters": {k: v for k, v in filters.items() if v not in (None, "")},
            "rows": len(rows),
            "approved_request": approved,
        },
        rule="ORG-5a" if approved is not None else "ORG-5",
    )
    return data, stamped_name("customers", clock.local(clock.now(), tz))
