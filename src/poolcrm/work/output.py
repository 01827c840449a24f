"""How trips and expenses read (API.md § Work records and expenses), their lists under ORG-5 scope,
and the finance export with every link spelled out (SEC-3: text stays text)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.deals.models import Deal, DealProgress
from poolcrm.followups.models import FollowUp
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id, visible_owner_clause
from poolcrm.policy.service import company_date
from poolcrm.sheets import workbook_bytes
from poolcrm.work import files, rules
from poolcrm.work.models import Expense, Trip
from poolcrm.work.trips import trip_followups

STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "reimbursed": "已报销",
    "pending": "待审批",
    "reported": "已报告",
    "read": "已阅",
}


def _name(user: User | None) -> str:
    return user.display_name if user else ""


def links_of(session: Session, e: Expense) -> dict[str, Any]:
    """WORK-3: what the expense points at, in words."""
    customer = session.get(Customer, e.customer_id) if e.customer_id else None
    followup = session.get(FollowUp, e.followup_id) if e.followup_id else None
    progress = session.get(DealProgress, e.deal_progress_id) if e.deal_progress_id else None
    deal = session.get(Deal, e.deal_id) if e.deal_id else None
    trip = session.get(Trip, e.trip_id) if e.trip_id else None
    return {
        "customer": {"id": customer.id, "name": customer.name} if customer else None,
        "followup": {
            "id": followup.id,
            "on": str(company_date(session, followup.created_at)),
            "content": followup.content[:80],
        }
        if followup
        else None,
        "deal_progress": {
            "id": progress.id,
            "on": str(company_date(session, progress.created_at)),
            "details": progress.details[:80],
        }
        if progress
        else None,
        "deal": {"id": deal.id, "number": deal.number, "name": deal.name} if deal else None,
        "trip": {"id": trip.id, "subject": trip.subject} if trip else None,
    }


def expense_out(session: Session, e: Expense) -> dict[str, Any]:
    people = users_by_id(session, [e.user_id, e.decided_by, e.reimbursed_by])
    return {
        "id": e.id,
        "subject": e.subject,
        "user": {"id": e.user_id, "display_name": _name(people.get(e.user_id))},
        "spent_on": e.spent_on.isoformat(),
        "type": e.type,
        "amount": float(e.amount),
        "description": e.description,
        "status": e.status,
        "status_label": STATUS_LABELS[e.status],
        "approval_level": e.approval_level,
        "decided_by": _name(people.get(e.decided_by)) if e.decided_by else None,
        "decision_reason": e.decision_reason,
        "reimbursed_at": e.reimbursed_at.isoformat() if e.reimbursed_at else None,
        "corrects_id": e.corrects_id,
        "links": links_of(session, e),
        "receipts": [{"id": f.id, "filename": f.filename} for f in files.files_of(session, "expense", e.id)],
    }


def expense_rows(session: Session, items: list[Expense]) -> list[dict[str, Any]]:
    """WORK-3 lists: each expense's own fields and what it links (ids), people in one query."""
    people = users_by_id(session, [e.user_id for e in items])
    return [
        {
            "id": e.id,
            "subject": e.subject,
            "user": {"id": e.user_id, "display_name": _name(people.get(e.user_id))},
            "spent_on": e.spent_on.isoformat(),
            "type": e.type,
            "amount": float(e.amount),
            "status": e.status,
            "status_label": STATUS_LABELS[e.status],
            "approval_level": e.approval_level,
            "customer_id": e.customer_id,
            "followup_id": e.followup_id,
            "deal_progress_id": e.deal_progress_id,
            "deal_id": e.deal_id,
            "trip_id": e.trip_id,
        }
        for e in items
    ]


def trip_out(session: Session, trip: Trip, *, full: bool = False) -> dict[str, Any]:
    user = session.get(User, trip.user_id)
    out: dict[str, Any] = {
        "id": trip.id,
        "subject": trip.subject,
        "user": {"id": trip.user_id, "display_name": _name(user)},
        "region": trip.region,
        "start_on": trip.start_on.isoformat(),
        "end_on": trip.end_on.isoformat(),
        "purpose": trip.purpose,
        "status": trip.status,
        "status_label": STATUS_LABELS[trip.status],
        "decision_reason": trip.decision_reason,
        "report": None
        if trip.reported_at is None
        else {
            "subject": trip.report_subject,
            "purpose": trip.report_purpose,
            "result": trip.report_result,
            "next_plan": trip.report_next_plan,
            "started_at": trip.started_at.isoformat() if trip.started_at else None,
            "ended_at": trip.ended_at.isoformat() if trip.ended_at else None,
        },
    }
    if full:
        names = dict(
            session.execute(
                select(Customer.id, Customer.name).where(Customer.id.in_(trip.customer_ids or []))
            ).all()
        )
        out["customers"] = [{"id": cid, "name": names.get(cid, "")} for cid in trip.customer_ids or []]
        out["followups"] = [
            {
                "id": f.id,
                "customer_id": f.customer_id,
                "created_at": f.created_at.isoformat(),
                "content": f.content[:120],
                "valid": f.valid,
            }
            for f in trip_followups(session, trip)
        ]
    return out


def list_expenses(
    session: Session, actor: User, *, status: str | None = None, user_id: int | None = None, limit: int = 100
) -> list[Expense]:
    q = select(Expense)
    scope = visible_owner_clause(actor, Expense.user_id)  # ORG-2 joined, not bound as ids
    if scope is not None and not rules.may_reimburse(actor.roles):
        q = q.where(scope)
    if status:
        q = q.where(Expense.status == status)
    if user_id is not None:
        q = q.where(Expense.user_id == user_id)
    return list(session.scalars(q.order_by(Expense.id.desc()).limit(limit)))


def list_trips(session: Session, actor: User, *, status: str | None = None, limit: int = 100) -> list[Trip]:
    q = select(Trip)
    scope = visible_owner_clause(actor, Trip.user_id)  # ORG-2 joined, not bound as ids
    if scope is not None:
        q = q.where(scope)
    if status:
        q = q.where(Trip.status == status)
    return list(session.scalars(q.order_by(Trip.start_on.desc(), Trip.id.desc()).limit(limit)))


EXPORT_COLUMNS = (
    "编号",
    "标题",
    "报销人",
    "费用日期",
    "类型",
    "金额",
    "说明",
    "状态",
    "客户",
    "跟进记录",
    "跟单",
    "跟单进展",
    "出差",
    "审批人",
    "报销日期",
)


def export_xlsx(session: Session, actor: User, since: date, until: date) -> bytes:
    """WORK-3: for the finance system, one row per approved or reimbursed expense with its links."""
    q = select(Expense).where(
        Expense.spent_on >= since, Expense.spent_on <= until, Expense.status.in_(("approved", "reimbursed"))
    )
    scope = visible_owner_clause(actor, Expense.user_id)  # ORG-2 joined, not bound as ids
    if scope is not None and not rules.may_reimburse(actor.roles):
        q = q.where(scope)
    rows = []
    for e in session.scalars(q.order_by(Expense.spent_on, Expense.id)):
        d = expense_out(session, e)
        links = d["links"]
        rows.append(
            [
                e.id,
                e.subject,
                d["user"]["display_name"],
                e.spent_on,
                e.type,
                float(e.amount),
                e.description,
                d["status_label"],
                links["customer"]["name"] if links["customer"] else "",
                f"{links['followup']['on']} {links['followup']['content']}" if links["followup"] else "",
                f"{links['deal']['number']} {links['deal']['name']}" if links["deal"] else "",
                f"{links['deal_progress']['on']} {links['deal_progress']['details']}"
                if links["deal_progress"]
                else "",
                links["trip"]["subject"] if links["trip"] else "",
                d["decided_by"] or "",
                str(company_date(session, e.reimbursed_at) or ""),
            ]
        )
    return workbook_bytes(EXPORT_COLUMNS, rows, sheet="费用")
