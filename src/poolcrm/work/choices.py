"""What the work forms offer (WORK-2, WORK-3): the user's own customers, recent follow-ups and deal
progress records, and trips — the things an expense or a trip may point at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.deals.models import Deal, DealProgress
from poolcrm.followups.models import FollowUp
from poolcrm.org.models import User
from poolcrm.policy.service import company_date
from poolcrm.work.models import APPROVED, REPORTED, Trip

RECENT_DAYS = 45  # how far back the form offers follow-ups to link (the API takes any visible one)
CHOICES_LIMIT = 300  # a select box, not a rule: the most options a form offers
LINK_CHOICES = 50


def my_customers(session: Session, user: User) -> list[Customer]:
    q = select(Customer).where(Customer.owner_id == user.id, Customer.pool == POOL_PRIVATE)
    return list(session.scalars(q.order_by(Customer.name).limit(CHOICES_LIMIT)))


def recent_actions(session: Session, user: User) -> dict[str, list[dict[str, Any]]]:
    """The user's valid follow-ups and deal progress of the last weeks, newest first, for linking."""
    since = clock.now() - timedelta(days=RECENT_DAYS)
    followups = session.execute(
        select(FollowUp.id, FollowUp.created_at, FollowUp.content, Customer.name)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(FollowUp.author_id == user.id, FollowUp.valid.is_(True), FollowUp.created_at >= since)
        .order_by(FollowUp.created_at.desc())
        .limit(LINK_CHOICES)
    ).all()
    progress = session.execute(
        select(DealProgress.id, DealProgress.created_at, DealProgress.details, Deal.number)
        .join(Deal, Deal.id == DealProgress.deal_id)
        .where(
            DealProgress.author_id == user.id, DealProgress.valid.is_(True), DealProgress.created_at >= since
        )
        .order_by(DealProgress.created_at.desc())
        .limit(LINK_CHOICES)
    ).all()
    return {
        "followups": [
            {"id": i, "label": f"{company_date(session, at)} {name}：{text[:24]}"}
            for i, at, text, name in followups
        ],
        "progress": [
            {"id": i, "label": f"{company_date(session, at)} {number}：{text[:24]}"}
            for i, at, text, number in progress
        ],
    }


def my_trips(session: Session, user: User) -> list[Trip]:
    q = select(Trip).where(Trip.user_id == user.id, Trip.status.in_((APPROVED, REPORTED)))
    return list(session.scalars(q.order_by(Trip.start_on.desc()).limit(LINK_CHOICES)))
