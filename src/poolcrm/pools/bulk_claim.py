"""Claiming several public customers in one action (POOL-4, POOL-14): every item goes through the
single claim (`pools.claim.claim`) — the same rules, nothing duplicated — in one transaction, and
the answer says per customer whether it was claimed or refused and why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from poolcrm.applications.models import Application
from poolcrm.customers.access import lock_customers
from poolcrm.db import selection
from poolcrm.errors import NotFound, RuleViolation
from poolcrm.org.models import User
from poolcrm.org.service import lock_users
from poolcrm.pools import claim as pools_claim


@dataclass(frozen=True)
class ClaimOutcome:
    """One selected customer: the application opened, or the refusal (a rule's, or not found)."""

    customer_id: int
    name: str | None = None
    """The customer's name when the rep may see it (never for a not-found one)."""
    application: Application | None = None
    refusal: RuleViolation | NotFound | None = None


def bulk_claim(
    session: Session, user: User, customer_ids: list[int], *, remark: str | None = None
) -> list[ClaimOutcome]:
    """POOL-4/14: apply for each selected customer in one transaction. Locks all the customers,
    then the rep (CONVENTIONS order), so the daily cap (POOL-14) and the pool limit (POOL-2) count
    every claim before it; a refused item rolls back only its own savepoint. Invisible customers
    are refused exactly like missing ones (not found)."""
    pools_claim.require_claimer(user)
    ids = selection(customer_ids, "customer_ids", "请至少选择一个客户", "POOL-4")
    locked = lock_customers(session, ids)
    lock_users(session, [user.id])
    outcomes = []
    for cid in ids:
        try:
            with session.begin_nested():
                application = pools_claim.claim(session, user, cid, remark=remark)
        except NotFound as exc:
            outcomes.append(ClaimOutcome(cid, refusal=exc))
        except RuleViolation as exc:
            outcomes.append(ClaimOutcome(cid, locked[cid].name, refusal=exc))
        else:
            outcomes.append(ClaimOutcome(cid, locked[cid].name, application=application))
    return outcomes
