"""What the deals domain does when other domains signal (POOL-15, DEAL-8, CUS-10)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.contracts.models import Contract
from poolcrm.contracts.signals import contract_paid, contract_signed, contract_voided
from poolcrm.customers.models import Customer
from poolcrm.customers.signals import customer_merging
from poolcrm.deals.closing import release_signed_deal, sign_deal, win_paid_deal
from poolcrm.deals.merging import take_over_deals
from poolcrm.deals.service import move_open_deals_with_customer
from poolcrm.org.models import User
from poolcrm.ownership.signals import owner_changed


@owner_changed.connect
def move_open_deals(
    session: Session,
    *,
    customer: Customer,
    from_owner_id: int | None,
    to_owner_id: int | None,
    actor_id: int | None,
) -> None:
    """POOL-15: open deals move with their customer."""
    move_open_deals_with_customer(session, customer, from_owner_id, to_owner_id, actor_id)


@contract_signed.connect
def sign_the_deal(session: Session, *, contract: Contract, actor: User) -> None:
    """DEAL-8: a contract recorded on a deal signs it."""
    sign_deal(session, contract, actor)


@contract_paid.connect
def win_the_deal(session: Session, *, contract: Contract, actor: User) -> None:
    """DEAL-8: fully paid (收款完毕) → won."""
    win_paid_deal(session, contract, actor)


@contract_voided.connect
def release_the_deal(session: Session, *, contract: Contract, actor: User, reason: str) -> None:
    """CTR-1: a refused contract reopens its deal; a cancelled one loses it."""
    release_signed_deal(session, contract, actor, reason)


@customer_merging.connect
def renumber_merged_deals(
    session: Session,
    *,
    kept: Customer,
    merged: Customer,
    actor_id: int | None,
    reason: str,
    moved: dict[str, int],
) -> None:
    """CUS-10/DEAL-8: the merged-away record's deals move to the kept one with its next numbers."""
    if n := take_over_deals(session, kept, merged, actor_id, reason):
        moved["deals.customer_id"] = moved.get("deals.customer_id", 0) + n
