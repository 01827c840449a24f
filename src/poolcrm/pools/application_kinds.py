"""Application kinds decided by the pools domain: `claim` (POOL-4, CS) and `release` (POOL-5,
the rep's supervisor). Both lock the customer and the rep before the application (fixed order)."""

from __future__ import annotations

from poolcrm.applications.models import KIND_CLAIM
from poolcrm.applications.registry import register_kind
from poolcrm.pools import service

register_kind(
    KIND_CLAIM,
    service.approve_claim,
    service.reject_claim,
    service._may_review,
    lock_first=service.lock_claim,
)
register_kind(
    service.KIND_RELEASE,
    service.approve_release,
    service.reject_release,
    service._may_decide_release,
    lock_first=service.lock_release,
)
