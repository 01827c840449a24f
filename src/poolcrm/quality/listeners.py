"""What the quality domain does when lower domains signal (CUS-10 → GOV-4)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.customers.signals import customer_merging
from poolcrm.quality.dashboard import drop_flags


@customer_merging.connect
def drop_merged_flags(
    session: Session,
    *,
    kept: Customer,
    merged: Customer,
    actor_id: int | None,
    reason: str,
    moved: dict[str, int],
) -> None:
    """CUS-10/GOV-4: the merged-away record's quality flags go instead of clashing with the kept
    record's (one flag per check and customer)."""
    drop_flags(session, merged.id)
