"""Daily steps of the customers domain: dormant marking (CUS-12) and the duplicate index's gram
statistics (CUS-7)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record_many
from poolcrm.customers.dedupe import refresh_gram_stats
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.merge import merge_member_duplicates
from poolcrm.customers.models import TOMBSTONE_POOLS, Customer
from poolcrm.db import ids_select
from poolcrm.jobs.registry import daily_step
from poolcrm.policy.service import company_day_start, get_policy


@daily_step("customers.dormant", order=60)
def mark_dormant(session: Session, as_of: date) -> dict[str, list[Any]]:
    """CUS-12: a live customer with no business (no valid follow-up, no deal activity) for more
    than `dormant_days` days becomes `dormant`, keeping its history. Set-based: one SELECT, one
    UPDATE and one bulk INSERT of audit entries, whatever the number of customers."""
    policy = get_policy(session)
    cutoff = company_day_start(session, as_of - timedelta(days=policy.dormant_days))  # CAL-2
    anchor = func.coalesce(Customer.last_business_at, Customer.last_valid_followup_at, Customer.created_at)
    condition = (
        (Customer.status != "dormant")
        & Customer.pool.not_in(TOMBSTONE_POOLS)
        & (anchor < cutoff)
        & ((Customer.last_valid_followup_at.is_(None)) | (Customer.last_valid_followup_at < cutoff))
    )
    rows = session.execute(select(Customer.id, Customer.status).where(condition)).all()
    if not rows:
        return {"dormant": []}
    now = clock.now()
    ids = [r[0] for r in rows]
    session.execute(
        update(Customer)
        .where(Customer.id.in_(ids_select(session, ids)))
        .values(status="dormant", dormant_since=as_of, updated_at=now, version=Customer.version + 1)
        .execution_options(synchronize_session=False)
    )
    record_many(
        session,
        [
            {
                "at": now,
                "actor_id": None,
                "action": "customer.dormant",
                "object_type": "customer",
                "object_id": cid,
                "before": {"status": status},
                "after": {"status": "dormant"},
                "rule": "CUS-12",
                "reason": f"{policy.dormant_days} 天无业务往来",
            }
            for cid, status in rows
        ],
    )
    return {"dormant": ids}


@daily_step("customers.gram_stats", order=900)
def refresh_duplicate_index(session: Session, as_of: date) -> dict[str, list[Any]]:
    """CUS-7: recount the gram frequencies the candidate search uses to skip common grams."""
    refresh_gram_stats(session)
    return {}


@daily_step("customers.member_duplicates", order=64)
def member_duplicates(session: Session, as_of: date) -> dict[str, list[Any]]:
    """MEM-2: yesterday's entries into the public pool and the bin that duplicate an active member
    customer are merged into the member's record (alone in its wave: it writes customers)."""
    since = company_day_start(session, as_of - timedelta(days=1))
    return {
        "member_duplicates_merged": merge_member_duplicates(session, since, company_day_start(session, as_of))
    }


@daily_step("customers.grades", order=15)
def recompute_grades(session: Session, as_of: date) -> dict[str, list[Any]]:
    """CUS-11: time moves the windows (a contact 30 days ago, a close date now within 12 months),
    so every grade is recomputed set-based before the recycle reads them (POOL-17); only the rows
    whose grade changes are written."""
    return {"grades_changed": [refresh_grades(session)]}
