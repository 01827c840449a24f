"""argon2 password hashes. POOLCRM_FAST_HASH=1 (tests only) uses cheap parameters."""

from __future__ import annotations

import os
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=2)
def _hasher(fast: bool) -> PasswordHasher:
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def _fast() -> bool:
    return os.environ.get("POOLCRM_FAST_HASH") == "1"


def hash_password(password: str) -> str:
    return _hasher(_fast()).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher(_fast()).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
