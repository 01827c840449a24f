"""Expenses (WORK-3, 001 §6.1; 003; 000 appendix): drafted with their links and receipts, submitted
only when they point at real customer work, approved by the supervisor (and the GM from the policy
amount), then reimbursed by finance. An approved expense never changes: a correction is a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import customer_for_read, sees_owned
from poolcrm.db import for_update
from poolcrm.deals.models import Deal, DealProgress
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.followups.models import FollowUp
from poolcrm.i18n import terms
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, role_holders, visible_owner_clause, visible_owner_ids
from poolcrm.policy.service import company_today, get_policy
from poolcrm.work import rules
from poolcrm.work.models import APPROVED, DRAFT, REIMBURSED, REJECTED, SPENT, SUBMITTED, Expense, Trip
from poolcrm.work.schemas import ExpenseIn


def _visible_followup(session: Session, actor: User, followup_id: int) -> FollowUp:
    f = session.get(FollowUp, followup_id)
    if f is None or (f.author_id != actor.id and not sees_owned(session, actor, f.author_id, f.customer_id)):
        raise NotFound()
    return f


def _visible_progress(session: Session, actor: User, progress_id: int) -> tuple[DealProgress, Deal]:
    p = session.get(DealProgress, progress_id)
    deal = session.get(Deal, p.deal_id) if p is not None else None
    if p is None or deal is None or not sees_owned(session, actor, deal.owner_id, deal.customer_id):
        raise NotFound()
    return p, deal


def create_expense(session: Session, actor: User, data: ExpenseIn) -> Expense:
    """WORK-3: a draft with its subject; every link must be something the author may see (404)."""
    policy = get_policy(session)
    problems = rules.expense_problems(
        data.spent_on, company_today(session), data.type, policy.expense_types, data.amount, data.description
    )
    if problems:
        raise InvalidInput(problems, rule="WORK-3")
    deal_id = None
    if data.customer_id is not None:
        customer_for_read(session, actor, data.customer_id)
    if data.followup_id is not None:
        _visible_followup(session, actor, data.followup_id)
    if data.deal_progress_id is not None:
        deal_id = _visible_progress(session, actor, data.deal_progress_id)[1].id
    if data.trip_id is not None:
        trip = session.get(Trip, data.trip_id)
        if trip is None or trip.user_id != actor.id:
            raise NotFound()
    if data.corrects_id is not None:
        corrected = session.get(Expense, data.corrects_id)
        if corrected is None or corrected.user_id != actor.id:
            raise NotFound()
    expense = Expense(
        user_id=actor.id,
        subject=rules.expense_subject(data.spent_on, data.type, actor.display_name),
        spent_on=data.spent_on,
        type=data.type,
        amount=data.amount,
        description=data.description.strip(),
        customer_id=data.customer_id,
        followup_id=data.followup_id,
        deal_progress_id=data.deal_progress_id,
        deal_id=deal_id,
        trip_id=data.trip_id,
        corrects_id=data.corrects_id,
        status=DRAFT,
        created_at=clock.now(),
    )
    session.add(expense)
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="expense.create",
        object_type="expense",
        object_id=expense.id,
        after={"subject": expense.subject, "amount": str(expense.amount)},
        rule="WORK-3",
    )
    return expense


def get_expense(session: Session, actor: User, expense_id: int) -> Expense:
    expense = session.get(Expense, expense_id)
    scope = visible_owner_ids(session, actor)
    finance = rules.may_reimburse(actor.roles)
    if expense is None or not (scope is None or expense.user_id in scope or finance):
        raise NotFound()
    return expense


def _locked(session: Session, actor: User, expense_id: int) -> Expense:
    get_expense(session, actor, expense_id)
    expense = session.scalar(for_update(select(Expense).where(Expense.id == expense_id)))
    assert expense is not None
    return expense


def _customer_progress(session: Session, customer_id: int) -> tuple[int | None, int | None]:
    """WORK-3: the customer's current progress — its latest valid follow-up or deal progress."""
    followup = session.execute(
        select(FollowUp.id, FollowUp.created_at)
        .where(FollowUp.customer_id == customer_id, FollowUp.valid.is_(True))
        .order_by(FollowUp.created_at.desc())
        .limit(1)
    ).first()
    progress = session.execute(
        select(DealProgress.id, DealProgress.created_at, Deal.id)
        .join(Deal, Deal.id == DealProgress.deal_id)
        .where(Deal.customer_id == customer_id, DealProgress.valid.is_(True))
        .order_by(DealProgress.created_at.desc())
        .limit(1)
    ).first()
    if progress is not None and (followup is None or progress[1] > followup[1]):
        return None, progress[0]
    return (followup[0] if followup else None), None


def submit_expense(session: Session, actor: User, expense_id: int) -> Expense:
    """WORK-3: refused (409) while the expense points at no customer work; a customer expense links
    the customer's latest valid follow-up or deal progress. Receipts are shown to the approver (an
    expense without one says so) but do not block submission (WORK-3a)."""
    expense = _locked(session, actor, expense_id)
    if actor.id != expense.user_id:
        raise Forbidden("只有报销人可以提交", rule="WORK-3")
    if expense.status != DRAFT:
        raise Conflict("该费用已提交（{state}）", rule="WORK-3", code="not_draft", state=expense.status)
    action = any(x is not None for x in (expense.followup_id, expense.deal_progress_id, expense.trip_id))
    missing = rules.missing_link(expense.customer_id is not None, action)
    if missing:
        raise RuleViolation(
            "WORK-3",
            missing,
            details={"missing": ["customer_id", "followup_id", "deal_progress_id", "trip_id"]},
        )
    if expense.customer_id is not None and not action:
        followup_id, progress_id = _customer_progress(session, expense.customer_id)
        if followup_id is None and progress_id is None:
            raise RuleViolation(
                "WORK-3",
                "该客户没有有效的跟进或跟单进展，无法说明客户的真实进展",
                details={"missing": ["followup_id"]},
            )
        expense.followup_id, expense.deal_progress_id = followup_id, progress_id
        if progress_id is not None:
            expense.deal_id = session.scalar(
                select(DealProgress.deal_id).where(DealProgress.id == progress_id)
            )
    expense.status, expense.submitted_at = SUBMITTED, clock.now()
    expense.approval_level = org_rules.LEVEL_SUPERVISOR
    record(
        session,
        actor_id=actor.id,
        action="expense.submit",
        object_type="expense",
        object_id=expense.id,
        after={"followup_id": expense.followup_id, "deal_progress_id": expense.deal_progress_id},
        rule="WORK-3",
    )
    _ask(session, expense, actor.supervisor_id)
    session.flush()
    return expense


def _ask(session: Session, expense: Expense, supervisor_id: int | None) -> None:
    targets = (
        [supervisor_id]
        if expense.approval_level == org_rules.LEVEL_SUPERVISOR and supervisor_id
        else role_holders(session, "gm")
    )
    for uid in targets:
        if uid is not None and uid != expense.user_id:
            notify(
                session,
                uid,
                "expense_to_approve",
                "{subject}（¥{amount}）待您审批",
                link=f"/work/expenses/{expense.id}",
                rule="WORK-3",
                dedupe_key=f"expense:{expense.id}:{expense.approval_level}",
                subject=expense.subject,
                amount=f"{expense.amount:,.2f}",
            )


def decide_expense(
    session: Session, actor: User, expense_id: int, approve: bool, reason: str | None
) -> Expense:
    """WORK-3: the supervisor approves; from the policy amount the GM after them; nobody their own."""
    expense = _locked(session, actor, expense_id)
    if expense.status != SUBMITTED:
        raise Conflict("该费用不在待审批状态", rule="WORK-3", code="not_submitted")
    if actor.id == expense.user_id:
        raise Forbidden("不能审批自己的费用", rule="WORK-3")
    level = expense.approval_level or org_rules.LEVEL_SUPERVISOR
    if not org_rules.may_approve(level, actor.roles, is_supervisor_of(session, actor.id, expense.user_id)):
        raise Forbidden("只有主管（金额较大时为总经理）可以审批费用", rule="WORK-3")
    if not approve and not (reason or "").strip():
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="WORK-3")
    levels = org_rules.approval_levels(
        expense.amount, Decimal(get_policy(session).expense_gm_approval_amount)
    )
    is_gm = org_rules.manages_everyone(actor.roles)
    now = clock.now()
    if approve and level == org_rules.LEVEL_SUPERVISOR and org_rules.LEVEL_GM in levels and not is_gm:
        expense.supervisor_approved_by, expense.approval_level = actor.id, org_rules.LEVEL_GM
        _ask(session, expense, None)
    else:
        expense.status = APPROVED if approve else REJECTED
        expense.approval_level = None
        expense.decided_by, expense.decided_at = actor.id, now
        expense.decision_reason = (reason or "").strip() or None
        notify(
            session,
            expense.user_id,
            "expense_decided",
            "{subject}：{state}",
            link=f"/work/expenses/{expense.id}",
            rule="WORK-3",
            subject=expense.subject,
            state="已批准" if approve else "已驳回",
            **terms("state"),  # a catalogue term: read in the reader's language
        )
    record(
        session,
        actor_id=actor.id,
        action="expense.approve" if approve else "expense.reject",
        object_type="expense",
        object_id=expense.id,
        after={"status": expense.status, "approval_level": expense.approval_level},
        rule="WORK-3",
        reason=expense.decision_reason,
    )
    session.flush()
    return expense


def reimburse(session: Session, actor: User, expense_id: int) -> Expense:
    """WORK-3: finance marks an approved expense reimbursed."""
    if not rules.may_reimburse(actor.roles):
        raise Forbidden("只有财务可以标记已报销", rule="WORK-3")
    expense = _locked(session, actor, expense_id)
    if expense.status != APPROVED:
        raise Conflict("只有已批准的费用可以报销", rule="WORK-3", code="not_approved")
    expense.status, expense.reimbursed_by, expense.reimbursed_at = REIMBURSED, actor.id, clock.now()
    record(
        session,
        actor_id=actor.id,
        action="expense.reimburse",
        object_type="expense",
        object_id=expense.id,
        after={"status": REIMBURSED},
        rule="WORK-3",
    )
    session.flush()
    return expense


def spent_on_deal(session: Session, deal_id: int) -> Decimal:
    """WORK-3: what an approved or reimbursed expense cost a deal (linked through its progress)."""
    return Decimal(
        session.scalar(
            select(func.coalesce(func.sum(Expense.amount), 0)).where(
                Expense.deal_id == deal_id, Expense.status.in_(SPENT)
            )
        )
        or 0
    )


def spent_on_customer(session: Session, customer_id: int) -> Decimal:
    """WORK-3: what was spent on a customer — its own expenses and those of its deals."""
    deals = select(Deal.id).where(Deal.customer_id == customer_id)
    total = session.scalar(
        select(func.coalesce(func.sum(Expense.amount), 0)).where(
            Expense.status.in_(SPENT), (Expense.customer_id == customer_id) | Expense.deal_id.in_(deals)
        )
    )
    return Decimal(total or 0)


@dataclass
class RepTotals:
    user_id: int
    count: int = 0
    submitted: Decimal = Decimal("0")
    approved: Decimal = Decimal("0")
    reimbursed: Decimal = Decimal("0")


def monthly_totals(session: Session, actor: User, first: date, after: date) -> list[RepTotals]:
    """WORK-3: per rep in the actor's scope, the month's expenses — how many, and the amounts waiting,
    approved (reimbursed included) and reimbursed. One grouped query on (user, status, spent_on)."""
    q = (
        select(Expense.user_id, Expense.status, func.count(), func.sum(Expense.amount))
        .where(Expense.spent_on >= first, Expense.spent_on < after, Expense.status != DRAFT)
        .group_by(Expense.user_id, Expense.status)
    )
    scope = visible_owner_clause(actor, Expense.user_id)  # ORG-2 joined, not bound as ids
    if scope is not None and not rules.may_reimburse(actor.roles):
        q = q.where(scope)
    per: dict[int, RepTotals] = {}
    for uid, status, n, total in session.execute(q):
        row = per.setdefault(uid, RepTotals(uid))
        amount = Decimal(total or 0)
        row.count += n
        if status == SUBMITTED:
            row.submitted += amount
        if status in SPENT:
            row.approved += amount
        if status == REIMBURSED:
            row.reimbursed += amount
    return sorted(per.values(), key=lambda r: -r.approved)
