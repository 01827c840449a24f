"""What the organisation tells the domains above it."""

from __future__ import annotations

from poolcrm.signals import Signal

user_changed = Signal("org.user_changed", "actor_id", "before", "after")
"""A user was changed or disabled; `before`/`after` are `user_out` dumps (e.g. POOL-10 departures)."""
