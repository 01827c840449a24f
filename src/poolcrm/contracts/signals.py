"""What the contracts domain tells the domains beside and above it (DEAL-8: deals listen)."""

from __future__ import annotations

from poolcrm.signals import Signal

# A contract was recorded on a deal: the deal is signed (DEAL-8).
contract_signed = Signal("contracts.contract_signed", "contract", "actor")
# Payments reached the contract amount: the deal is won (DEAL-8, CTR-3).
contract_paid = Signal("contracts.contract_paid", "contract", "actor")
# A contract was refused or cancelled (a state, never a delete): its deal reopens or is lost.
contract_voided = Signal("contracts.contract_voided", "contract", "actor", "reason")
