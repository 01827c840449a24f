"""What the ownership layer tells the domains above it (POOL-15)."""

from __future__ import annotations

from poolcrm.signals import Signal

owner_changed = Signal("ownership.owner_changed", "customer", "from_owner_id", "to_owner_id", "actor_id")
"""One customer changed owner: its deals, reminders and contacts move along (POOL-15)."""

owners_released = Signal("ownership.owners_released", "moved")
"""Many customers left their owners at once (the daily POOL-6 recycle, set-based): `moved` is a
SELECT of their ids, for one UPDATE … WHERE customer_id IN (…) per listener (POOL-15)."""
