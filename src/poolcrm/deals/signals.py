"""What the deals domain tells the domains above it (DSP-1, DSP-3)."""

from __future__ import annotations

from poolcrm.signals import Signal

deal_signed = Signal("deals.deal_signed", "deal", "actor")
"""A deal was signed — a contract recorded on it (DEAL-8), in the same transaction; a listener that
raises rolls it back. DSP-1 credit applies from signing: `deal.dispute_needed` says whether a case is
needed and `deal.credited_to` whom it is credited to."""
