"""Ownership history (POOL-12), who owned it on a date, and the pool lists (POOL-16 order)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import (
    KIND_CLAIM,
    STATUS_PENDING,
    Application,
)
from poolcrm.customers import listing, search
from poolcrm.customers.access import can_see_private, customer_for_read
from poolcrm.customers.models import (
    POOL_PRIVATE,
    POOL_PUBLIC,
    Customer,
)
from poolcrm.db import COUNT_CAP, first_page_total
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.followups.rules import first_contact_overdue
from poolcrm.org.models import User
from poolcrm.org.service import get_user
from poolcrm.ownership.countdown import (
    recycle_info,
)
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.policy.service import company_day_start, company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.common import KIND_RELEASE, user_brief


def history(session: Session, user: User, customer_id: int) -> list[dict[str, Any]]:
    customer_for_read(session, user, customer_id)
    events = session.scalars(
        select(OwnershipEvent)
        .where(OwnershipEvent.customer_id == customer_id)
        .order_by(OwnershipEvent.at, OwnershipEvent.id)
    )
    return [
        {
            "at": e.at,
            "from_owner": user_brief(session, e.from_owner_id),
            "to_owner": user_brief(session, e.to_owner_id),
            "from_pool": e.from_pool,
            "to_pool": e.to_pool,
            "rule": e.rule,
            "reason": e.reason,
            "actor": user_brief(session, e.actor_id),
        }
        for e in events
    ]


def owner_on(session: Session, user: User, customer_id: int, day: date) -> dict[str, Any]:
    """POOL-12: who owned the customer at the end of `day` (local)."""
    customer_for_read(session, user, customer_id)
    event = session.scalar(
        select(OwnershipEvent)
        .where(
            OwnershipEvent.customer_id == customer_id,
            OwnershipEvent.at < company_day_start(session, day + rules.ONE_DAY),
        )
        .order_by(OwnershipEvent.at.desc(), OwnershipEvent.id.desc())
        .limit(1)
    )
    return {
        "on": day.isoformat(),
        "owner": user_brief(session, event.to_owner_id) if event else None,
        "pool": event.to_pool if event else None,
    }


def pool_owner(session: Session, viewer: User, owner_id: int | None) -> User:
    """POOL-3/ORG-2: whose private pool the viewer looks at — their own, or a subordinate's; any
    other owner answers 404, so a rep cannot read another's pool or usage."""
    if owner_id is None or owner_id == viewer.id:
        return viewer
    if not can_see_private(session, viewer, owner_id):
        raise NotFound()
    return get_user(session, owner_id)


def pool_rows(session: Session, user: User, owner_id: int | None = None) -> list[dict[str, Any]]:
    """'My pool': the rep's (or, for a supervisor, a team member's) customers with their recycle
    countdowns, soonest first (POOL-16)."""
    owner_id = owner_id or user.id
    if owner_id != user.id and not can_see_private(session, user, owner_id):
        raise NotFound()
    day = company_today(session)
    rows: list[dict[str, Any]] = []
    customers = session.scalars(
        select(Customer).where(Customer.owner_id == owner_id, Customer.pool == POOL_PRIVATE)
    ).all()
    releasing = set(  # POOL-5: a release waiting for the supervisor is shown, not offered again
        session.scalars(
            select(Application.customer_id).where(
                Application.kind == KIND_RELEASE,
                Application.status == STATUS_PENDING,
                Application.applicant_id == owner_id,
            )
        )
    )
    for c in customers:
        info = recycle_info(session, c, day)
        rows.append(
            {
                "customer": c,
                "info": info,
                "member": rules.is_active_member(c.member_until, day),
                "locked": c.locked_until is not None and c.locked_until >= day,
                "first_contact_overdue": _first_contact_overdue(session, c),
                "release_pending": c.id in releasing,
            }
        )
    rows.sort(
        key=lambda r: (r["info"] is None, r["info"].due_on if r["info"] else date.max, r["customer"].id)
    )
    return rows


def _first_contact_overdue(session: Session, customer: Customer) -> bool:
    return first_contact_overdue(
        customer.protected_since,
        customer.last_valid_followup_at,
        clock.now(),
        get_policy(session).first_contact_hours,
    )


MAX_POOL_DAYS = 36500
"""The largest 'days in pool' a filter takes (an input bound: a hundred years)."""
FILTER_FIELDS = ("region", "industry", "source")


def public_filter_conditions(filters: dict[str, Any] | None) -> list[Any]:
    """The public pool's filters as SQL conditions (exact region/industry/source, at least N days in
    the pool) — served by the (pool, field, pool_entered_at) indexes; bad values → 422 naming the field."""
    filters = filters or {}
    cond: list[Any] = []
    bad: dict[str, str] = {}
    for name in FILTER_FIELDS:
        value = filters.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > 50:
            bad[name] = "格式不正确"
        else:
            cond.append(getattr(Customer, name) == value)
    days = filters.get("min_days")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_POOL_DAYS:
            bad["min_days"] = "格式不正确"
        elif days:
            cond.append(Customer.pool_entered_at <= clock.now() - timedelta(days=days))
    if bad:
        raise InvalidInput(bad, rule="SEC-1")
    return cond


def public_rows(
    session: Session,
    user: User,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
    filters: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], int, bool]:
    """The public pool, newest first: one page, the matches counted up to the list's cap and
    whether there are more; searched like the customer list (LIST-1)."""
    query = (
        select(Customer)
        .where(Customer.pool == POOL_PUBLIC, *public_filter_conditions(filters))
        .order_by(Customer.pool_entered_at.desc(), Customer.id.desc())
    )
    found = search.match(session, q.strip(), POOL_PUBLIC, COUNT_CAP, False) if q and q.strip() else None
    window = page * page_size
    shown = search.narrowed(query, found, window, None) if found else query
    customers = list(session.scalars(shown.offset((page - 1) * page_size).limit(page_size)))
    own = first_page_total(customers, page, page_size)
    if own is not None:
        total, capped = own, False
    else:
        counted = search.narrowed(query, found, COUNT_CAP + 1, None) if found else query
        total, capped = listing.count_matches(session, counted)
    mine = set(
        session.scalars(
            select(Application.customer_id).where(
                Application.applicant_id == user.id,
                Application.kind == KIND_CLAIM,
                Application.status == STATUS_PENDING,
            )
        )
    )
    return [{"customer": c, "applied": c.id in mine} for c in customers], total, capped
