"""What the deals domain tells the domains above it (DSP-1, DSP-3)."""

from __future__ import annotations

from poolcrm.signals import Signal

deal_won = Signal("deals.deal_won", "deal", "actor")
"""A win was recorded (in the same transaction; a listener that raises rolls it back).
`deal.dispute_needed` says whether DSP-1 applies and `deal.credited_to` whom it is credited to."""
