"""What the customers domain tells the domains above it (CUS-10)."""

from __future__ import annotations

from poolcrm.signals import Signal

customer_merged = Signal("customers.merged", "kept", "merged", "actor_id", "reason")
"""A forced duplicate `merged` was merged into `kept` (both Customer rows) by `actor_id`; the
merged-away record's creator gets a VIO record."""

customer_merging = Signal("customers.merging", "kept", "merged", "actor_id", "reason", "moved")
"""CUS-10, before the merged record's rows are repointed to `kept`: a domain whose table allows one
row per customer and key (a unique key with a customer id, `merge.MERGE_UNIQUE_KEYS`) settles the
merged record's rows there by their meaning, and adds what it moved itself to `moved`
("table.column" → rows) for the merge's audit entry; every other row then moves as it is."""
