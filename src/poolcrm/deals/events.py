"""Hooks other domains register with (DSP-1/DSP-3): the disputes domain listens for wins.

`on_deal_won(fn)` registers `fn(session, deal, actor)`; the deals service calls every hook after a
win is recorded, in the same transaction (a hook that raises rolls the win back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from poolcrm.deals.models import Deal
    from poolcrm.org.models import User

DealWon = Callable[[Session, "Deal", "User"], None]
_won_listeners: list[DealWon] = []


def on_deal_won(fn: DealWon) -> DealWon:
    """Register a hook run on every win; `deal.dispute_needed` says whether DSP-1 applies and
    `deal.credited_to` whom the win is credited to for now."""
    if fn not in _won_listeners:
        _won_listeners.append(fn)
    return fn


def emit_deal_won(session: Session, deal: Deal, actor: User) -> None:
    for fn in list(_won_listeners):
        fn(session, deal, actor)
