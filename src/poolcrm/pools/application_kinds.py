"""Application kinds decided by the pools domain: `claim` (POOL-4, CS) and `release` (POOL-5,
the rep's supervisor). Both lock the customer and the rep before the application (fixed order)."""

from __future__ import annotations

from poolcrm.applications.models import KIND_CLAIM
from poolcrm.applications.registry import register_kind
from poolcrm.pools import claim, common, release

register_kind(
    KIND_CLAIM,
    claim.approve_claim,
    claim.reject_claim,
    claim.may_review_claim,
    lock_first=claim.lock_claim,
)
register_kind(
    common.KIND_RELEASE,
    release.approve_release,
    release.reject_release,
    release.may_decide_release,
    lock_first=release.lock_release,
)
