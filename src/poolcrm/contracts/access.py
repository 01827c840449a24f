"""Who may see and act on a contract (ORG-5, like its deal), and the contract row lock (CTR-3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.contracts.models import Contract
from poolcrm.customers.access import sees_owned
from poolcrm.db import for_update
from poolcrm.errors import Forbidden, NotFound
from poolcrm.org.models import User
from poolcrm.org.service import acts_for


def may_see(session: Session, user: User, contract: Contract) -> bool:
    return sees_owned(session, user, contract.owner_id, contract.customer_id)


def get_contract(session: Session, user: User, contract_id: int, *, act: bool = False) -> Contract:
    """404 when not visible (every path: the page, the API, the file); 403 when visible but not
    the user's to act on (ORG-5: the owner, the owner's supervisors, the GM and admin)."""
    contract = session.get(Contract, contract_id)
    if contract is None or not may_see(session, user, contract):
        raise NotFound()
    if act and not acts_for(session, user, contract.owner_id):
        raise Forbidden()
    return contract


def lock_contract(session: Session, user: User, contract_id: int, *, act: bool = True) -> Contract:
    """The contract under its row lock, re-read: payments and decisions on one contract queue here,
    so two payments can never both pass the outstanding check (CTR-3)."""
    get_contract(session, user, contract_id, act=act)
    contract = session.scalar(for_update(select(Contract).where(Contract.id == contract_id)))
    assert contract is not None
    return contract
