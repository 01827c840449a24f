"""What the customers domain tells the domains above it (CUS-10)."""

from __future__ import annotations

from poolcrm.signals import Signal

customer_merged = Signal("customers.merged", "kept", "merged", "actor_id", "reason")
"""A forced duplicate `merged` was merged into `kept` (both Customer rows) by `actor_id`; the
merged-away record's creator gets a VIO record."""
