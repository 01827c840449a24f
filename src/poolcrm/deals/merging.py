"""CUS-10 for deals: when a customer is merged away, its deals move to the kept record and take the
kept record's next numbers (DEAL-8: customer code + `OP` + the customer's sequence), so that the
kept customer's deals stay numbered one to n without a clash; each old number stays in the audit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.deals.common import audit_deal, next_number
from poolcrm.deals.models import Deal


def take_over_deals(
    session: Session, kept: Customer, merged: Customer, actor_id: int | None, reason: str
) -> int:
    """CUS-10/DEAL-8: move `merged`'s deals to `kept` (both locked by the merge), in their own order,
    each with `kept`'s next sequence and number; audited with the old number. Returns how many."""
    deals = session.scalars(
        select(Deal).where(Deal.customer_id == merged.id).order_by(Deal.seq, Deal.id)
    ).all()
    now = clock.now()
    for deal in deals:
        before = {"customer_id": deal.customer_id, "seq": deal.seq, "number": deal.number}
        deal.seq, deal.number = next_number(session, kept)
        deal.customer_id, deal.updated_at = kept.id, now
        session.flush()
        after = {"customer_id": kept.id, "seq": deal.seq, "number": deal.number}
        audit_deal(session, actor_id, "deal.renumber", deal, before, after, "CUS-10", reason)
    return len(deals)
