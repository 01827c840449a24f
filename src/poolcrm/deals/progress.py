"""Deal progress records (DEAL-6): substance rules, and counting as a follow-up of the customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.names import to_simplified
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN, get_deal, lock_deal
from poolcrm.deals.common import audit_deal
from poolcrm.deals.models import (
    DealProgress,
)
from poolcrm.deals.schemas import ProgressIn
from poolcrm.errors import RuleViolation
from poolcrm.followups.rules import SUBJECTS, followup_validity
from poolcrm.followups.service import record_followup
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy


def followup_subjects() -> tuple[str, ...]:
    """FU-2 subjects offered for the follow-up a progress record creates (DEAL-6)."""

    return SUBJECTS


def _substance_reasons(session: Session, details: str, next_plan: str) -> list[dict[str, Any]]:
    """DEAL-6: details and next plan are required, and the details pass FU-1(d) — no non-contact
    notes such as 电话未接通 (the follow-ups domain's rule, reused)."""

    policy = get_policy(session)
    reasons: list[dict[str, Any]] = []
    if not details.strip():
        reasons.append({"rule": "DEAL-6", "clause": "details", "message": "请填写进展详情", "params": {}})
    if not next_plan.strip():
        reasons.append({"rule": "DEAL-6", "clause": "next_plan", "message": "请填写下一步计划", "params": {}})
    fu = followup_validity(
        subject=None,
        content=details,
        min_chars=policy.followup_min_chars,
        noncontact_phrases=policy.followup_noncontact_phrases,
        duplicate=False,
        simplify=to_simplified,
    )
    reasons.extend(
        {"rule": r.rule, "clause": r.clause, "message": r.message, "params": r.params}
        for r in fu
        if r.clause == "d"
    )
    return reasons


def add_progress(session: Session, actor: User, deal_id: int, data: ProgressIn) -> DealProgress:
    """DEAL-6: record where the deal stands and what comes next; with `counts_as_contact` (default)
    it is also a follow-up of the customer (FU-1 decides whether that follow-up protects, POOL-6)."""
    deal = lock_deal(session, actor, deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8",
            "跟单已结束（{category}），不能再添加进展",
            category=rules.CATEGORY_LABELS[deal.category],
        )
    now = clock.now()
    reasons = _substance_reasons(session, data.details, data.next_plan)
    progress = DealProgress(
        deal_id=deal.id,
        author_id=actor.id,
        details=data.details.strip(),
        next_plan=data.next_plan.strip(),
        stage=deal.stage,
        counts_as_contact=data.counts_as_contact,
        valid=not reasons,
        invalid_reasons=reasons,
        created_at=now,
    )
    session.add(progress)
    session.flush()
    if data.counts_as_contact:
        followup = record_followup(
            session,
            customer_id=deal.customer_id,
            author_id=actor.id,
            subject=data.subject,
            content=progress.details,
            contact_at=now,
            source="deal_progress",
            source_id=progress.id,
        )
        progress.followup_id = followup.id
    if progress.valid:
        deal.last_activity_at = now
        deal.updated_at = now
    audit_deal(
        session,
        actor.id,
        "deal.progress",
        deal,
        None,
        {"progress_id": progress.id, "valid": progress.valid, "followup_id": progress.followup_id},
        "DEAL-6",
    )
    session.flush()
    return progress


def list_progress(session: Session, user: User, deal_id: int) -> list[DealProgress]:
    deal = get_deal(session, user, deal_id)
    return list(
        session.scalars(
            select(DealProgress)
            .where(DealProgress.deal_id == deal.id)
            .order_by(DealProgress.created_at.desc(), DealProgress.id.desc())
        )
    )
