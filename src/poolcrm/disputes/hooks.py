"""DSP-1: a win recorded by the deals domain opens a dispute when it needs one. Registered with the
models (every process imports all models), so no code path that wins a deal can miss it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from poolcrm.deals.events import on_deal_won

if TYPE_CHECKING:
    from poolcrm.deals.models import Deal
    from poolcrm.org.models import User


@on_deal_won
def open_dispute_for_win(session: Session, deal: Deal, actor: User) -> None:
    from poolcrm.disputes.service import open_for_win

    open_for_win(session, deal, actor)
