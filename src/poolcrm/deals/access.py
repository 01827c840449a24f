"""Who may see and change a deal (ORG-5, MEM-1/DSP-3), and loading a deal under its row lock."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.customers.access import sees_owned
from poolcrm.customers.models import POOL_DELETED, POOL_MERGED, POOL_REJECTED
from poolcrm.db import for_update
from poolcrm.deals import rules
from poolcrm.deals.models import (
    Deal,
)
from poolcrm.errors import Forbidden, NotFound
from poolcrm.org.models import User
from poolcrm.org.service import acts_for

GONE_POOLS = (POOL_MERGED, POOL_DELETED, POOL_REJECTED)


OPEN = rules.OPEN_CATEGORIES


def may_see(session: Session, user: User, deal: Deal) -> bool:
    return sees_owned(session, user, deal.owner_id, deal.customer_id)


def _may_act(session: Session, user: User, deal: Deal) -> bool:
    """ORG-5: the deal's owner, the owner's supervisors, admin and GM may change a deal."""
    return acts_for(session, user, deal.owner_id)


def may_act(session: Session, user: User, deal: Deal) -> bool:
    return deal.category in OPEN and _may_act(session, user, deal)


def get_deal(session: Session, user: User, deal_id: int, *, act: bool = False) -> Deal:
    """404 when not visible, 403 when visible but not the user's to change (ORG-5)."""
    deal = session.get(Deal, deal_id)
    if deal is None or not may_see(session, user, deal):
        raise NotFound()
    if act and not _may_act(session, user, deal):
        raise Forbidden()
    return deal


def lock_deal(session: Session, user: User, deal_id: int) -> Deal:
    """The deal the user may change, its row locked and re-read (ORG-5 first: 404/403 as ever)."""
    get_deal(session, user, deal_id, act=True)
    deal = session.scalar(for_update(select(Deal).where(Deal.id == deal_id)))
    assert deal is not None
    return deal
