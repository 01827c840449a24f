"""SVC-7: the month's rankings as an Excel workbook — by staff, by customer, by product — with the
file name in company time (CAL-2), user text never a formula (SEC-3), and the export audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.service import rules
from poolcrm.service.stats import ticket_stats
from poolcrm.sheets import stamped_name, workbook_sheets


def stats_workbook(session: Session, user: User, first: date, kind: str | None) -> tuple[bytes, str]:
    staff = ticket_stats(session, user, "staff", first, kind)["rows"]
    customers = ticket_stats(session, user, "customer", first, kind)["rows"]
    products = ticket_stats(session, user, "product", first, kind)["rows"]
    data = workbook_sheets(
        [
            (
                "服务人员",
                [
                    "服务人员",
                    "工单数",
                    "平均响应（分钟）",
                    "平均解决（小时）",
                    "时限达成率%",
                    "平均评分",
                    "评价数",
                ],
                [
                    [
                        r["name"],
                        r["tickets"],
                        r["avg_response_minutes"],
                        r["avg_resolution_hours"],
                        r["sla_kept_pct"],
                        r["avg_rating"],
                        r["ratings"],
                    ]
                    for r in staff
                ],
            ),
            ("客户", ["客户", "服务请求次数"], [[r["name"], r["tickets"]] for r in customers]),
            ("产品", ["产品", "维修次数"], [[r["name"], r["repairs"]] for r in products]),
        ]
    )
    record(
        session,
        actor_id=user.id,
        action="ticket.export",
        object_type="ticket",
        object_id=f"{first:%Y-%m}",
        after={"kind": kind, "rows": len(staff) + len(customers) + len(products)},
        rule="SVC-7",
    )
    label = rules.KINDS[kind][0] if kind else "全部"
    local_now = clock.local(clock.now(), get_policy(session).timezone)
    return data, stamped_name(f"服务统计-{first:%Y-%m}-{label}", local_now)
