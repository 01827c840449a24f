"""A customer as the API and pages show it: summary, detail, computed grade (CUS-11), contact cadence
(CUS-15)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.calendar.rules import add_months
from poolcrm.customers import phones, rules
from poolcrm.customers.checks import GRADE_FACTS, RECORD_FIELDS, owner_out
from poolcrm.customers.models import (
    POOL_PRIVATE,
    Customer,
)
from poolcrm.deals.models import Deal
from poolcrm.org.models import User
from poolcrm.org.service import Person, people_by_id
from poolcrm.ownership import countdown
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_date, company_today, get_policy


def recycle_due_on(session: Session, c: Customer) -> date | None:
    """POOL-16: the countdown by the daily job's own function (ownership layer)."""
    return countdown.recycle_due_on(session, c)


def contact_due_on(session: Session, c: Customer) -> date | None:
    policy = get_policy(session)
    since = company_date(session, c.pool_entered_at or c.created_at)
    assert since is not None
    last = company_date(session, c.last_valid_followup_at)
    return rules.contact_due(c.tier, last, since, policy.tier_cadence_days, held=c.pool == POOL_PRIVATE)


def grade_verdict(session: Session, c: Customer) -> rules.GradeVerdict:
    """CUS-11: the grade the system would give. Deal facts are False until a deals domain exists."""
    policy = get_policy(session)
    days = None
    if c.last_valid_followup_at is not None:
        days = (clock.now() - c.last_valid_followup_at).days
    facts = rules.GradeFacts(
        days_since_substantive_contact=days,
        registered_project_ordering_this_year=bool(c.registered_project and c.order_expected_this_year),
        agency_or_cooperation=bool(c.agency_agreement or c.cooperated_before),
        **_deal_facts(session, c, policy),
    )
    return rules.grade_verdict(record_values(c), facts, policy.high_growth_contact_days)


def _deal_facts(session: Session, c: Customer, policy: Policy) -> dict[str, bool]:
    """CUS-11: the customer's deals as grade facts (deals' table is a leaf any layer may read)."""
    deals = session.execute(select(Deal.category, Deal.expected_close_on).where(Deal.customer_id == c.id))
    today = company_today(session)
    return rules.deal_grade_facts(list(deals), add_months(today, policy.core_deal_months))


def record_values(c: Customer) -> dict[str, Any]:
    return {f: getattr(c, f) for f in RECORD_FIELDS}


def phone_display(value: str | None) -> str | None:
    return phones.format_phone(value) if value else None


SUMMARY_FIELDS = (
    "id",
    "code",
    "name",
    "pool",
    "owner_id",
    "status",
    "grade",
    "tier",
    "industry",
    "region",
    "customer_type",
    "contact_name",
    "phone",
    "tags",
    "member_until",
    "protected_since",
    "last_valid_followup_at",
    "created_at",
)
"""What `customer_summary` reads of a customer: a list reads only these columns (`SUMMARY_COLUMNS`)."""
SUMMARY_COLUMNS = tuple(Customer.__table__.c[f] for f in SUMMARY_FIELDS)


def customer_summary(c: Any, owners: Mapping[int, User] | Mapping[int, Person]) -> dict[str, Any]:
    """A customer in a list: `c` a Customer or a row of `SUMMARY_COLUMNS`."""
    return {
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "pool": c.pool,
        "owner": owner_out(owners.get(c.owner_id)) if c.owner_id else None,
        "status": c.status,
        "grade": c.grade,
        "tier": c.tier,
        "industry": c.industry,
        "region": c.region,
        "customer_type": c.customer_type,
        "contact_name": c.contact_name,
        "phone": phone_display(c.phone),
        "tags": c.tags or [],
        "member_until": c.member_until,
        "protected_since": c.protected_since,
        "last_valid_followup_at": c.last_valid_followup_at,
        "created_at": c.created_at,
    }


def owners_of_override(session: Session, c: Customer) -> User | None:
    return session.get(User, c.grade_override_by) if c.grade_override_by else None


def _override_out(c: Customer, by: User | None) -> dict[str, Any] | None:
    """CUS-11: the supervisor's grade, why and by whom (None when the computed grade is in force)."""
    if c.grade_override is None:
        return None
    return {"grade": c.grade_override, "reason": c.grade_override_reason, "by": owner_out(by) if by else None}


def customer_detail(session: Session, c: Customer) -> dict[str, Any]:
    owners = people_by_id(session, [c.owner_id, c.created_by])
    today = company_today(session)
    verdict = grade_verdict(session, c)
    policy = get_policy(session)
    due = contact_due_on(session, c)
    out = customer_summary(c, owners)
    out.update(
        {
            "address": c.address,
            "postal_code": c.postal_code,
            "source": c.source,
            "profile": c.profile,
            "needs": c.needs,
            "contact_position": c.contact_position,
            "phone_e164": c.phone,
            "mobile": phone_display(c.mobile),
            "mobile_e164": c.mobile,
            "email": c.email,
            "remark": c.remark,
            "membership": rules.membership(c.member_until, today),
            "suggested_grade": verdict.grade,
            "grade_missing": list(verdict.missing),
            "grade_override": _override_out(c, owners_of_override(session, c)),
            "grade_next": [
                {
                    "grade": g,
                    "needs": text,
                    "params": {"days": policy.high_growth_contact_days, "months": policy.core_deal_months},
                }
                for g, text in rules.next_grade_needs(c.customer_type or "direct", verdict.grade)
            ],
            "grade_facts": {f: bool(getattr(c, f)) for f in GRADE_FACTS},
            "contact_due_on": due,
            "contact_overdue": rules.contact_overdue(due, today),
            "recycle_due_on": recycle_due_on(session, c),
            "pool_entered_at": c.pool_entered_at,
            "dormant_since": c.dormant_since,
            "merged_into_id": c.merged_into_id,
            "deleted_at": c.deleted_at,
            "created_by": owner_out(owners.get(c.created_by)) if c.created_by else None,
            "updated_at": c.updated_at,
            "version": c.version,
            "open_for_redevelopment": c.open_for_redevelopment,
            "locked_until": c.locked_until,
        }
    )
    return out
