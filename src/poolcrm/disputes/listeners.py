"""What the disputes domain does when lower domains signal (DSP-1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.deals.models import Deal
from poolcrm.deals.signals import deal_signed
from poolcrm.disputes.service import open_for_win
from poolcrm.org.models import User


@deal_signed.connect
def open_dispute_for_win(session: Session, *, deal: Deal, actor: User) -> None:
    """DSP-1: a win by someone other than the owner opens a case."""
    open_for_win(session, deal, actor)
