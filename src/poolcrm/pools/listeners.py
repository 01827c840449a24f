"""What the pools domain does when lower domains signal (POOL-6, POOL-10)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.org.signals import user_changed
from poolcrm.ownership.signals import owners_released
from poolcrm.pools.departures import departure_hook
from poolcrm.pools.recycle import cancel_pending_releases


@owners_released.connect
def releases_end_with_recycle(session: Session, *, moved: Any) -> None:
    """POOL-6: a recycled customer's pending release application is cancelled."""
    cancel_pending_releases(session, moved)


@user_changed.connect
def departures(session: Session, *, actor_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    """POOL-10: a rep leaving sales with customers opens a distribution task."""
    departure_hook(session, actor_id, before, after)
