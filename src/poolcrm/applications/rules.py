"""Application rules (CUS-9, POOL-4, POOL-5): pure decisions."""

from __future__ import annotations


def decides_own(applicant_id: int, actor_id: int) -> bool:
    """CUS-9/POOL-4/POOL-5: nobody decides (approves or rejects) their own application, whatever
    roles they hold — a rep who is also CS, a manager who is also a supervisor."""
    return applicant_id == actor_id
