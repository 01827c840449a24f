"""Authentication rules (our own IDs: AUTH-*)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def login_retry_after(
    failures: Sequence[datetime], now: datetime, max_failures: int, lockout_seconds: int
) -> int:
    """AUTH-1: after `max_failures` failed logins for one username from one address within
    `lockout_seconds`, further attempts wait until the oldest of those failures leaves the window.
    Returns the seconds to wait (0 = go)."""
    window_start = now - timedelta(seconds=lockout_seconds)
    recent = sorted(f for f in failures if f > window_start)
    if len(recent) < max_failures:
        return 0
    release = recent[-max_failures] + timedelta(seconds=lockout_seconds)
    return max(1, int((release - now).total_seconds() + 0.999))


def address_retry_after(
    failures: Sequence[datetime], now: datetime, max_failures: int, lockout_seconds: int
) -> int:
    """AUTH-4: one client address that fails `max_failures` logins (for any usernames) within the
    window pauses, whatever username it tries next — password spraying from one host stops there."""
    return login_retry_after(failures, now, max_failures, lockout_seconds)


def username_retry_after(
    failures: Sequence[datetime], now: datetime, max_failures: int, lockout_seconds: int, known_address: bool
) -> int:
    """AUTH-5: a username failed `max_failures` times within the window from anywhere pauses —
    except from an address the user signed in from recently, so an attacker who fails on purpose
    cannot lock the real user out of their usual desk (that address keeps AUTH-1's own limit)."""
    if known_address:
        return 0
    return login_retry_after(failures, now, max_failures, lockout_seconds)


def password_problem(password: str, username: str) -> str | None:
    """AUTH-2: a password has at least 8 characters and is not the username."""
    if len(password) < 8:
        return "密码至少 8 位"
    if password.lower() == username.lower():
        return "密码不能与用户名相同"
    return None
