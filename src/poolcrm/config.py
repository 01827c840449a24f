"""Settings from environment variables and CLI flags."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def whole_number_setting(name: str, low: int, high: int, default: int, meaning: str) -> int:
    """The environment variable `name` when it is a whole number from `low` to `high`, else
    `default` (with a warning in the log, saying what it means, when it is set to something else)."""
    raw = os.environ.get(name, "").strip()
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    if raw:
        logging.getLogger("poolcrm").warning(
            "%s=%r is not a number from %d to %d: %d %s", name, raw[:20], low, high, default, meaning
        )
    return default


def default_db_url() -> str:
    return os.environ.get("POOLCRM_DB") or f"sqlite:///{Path.cwd() / 'poolcrm.db'}"


def _secret() -> str:
    env = os.environ.get("POOLCRM_SECRET")
    if env:
        return env
    # A per-database secret would survive restarts; a random one per process is safe and simple
    # for a single-node install (logins simply expire on restart).
    return secrets.token_urlsafe(32)


def persistent_secret(db_url: str) -> str:
    """NOTE-1a/AUTH: the app secret kept in a file beside the database (mode 0600), made once: logins
    survive a restart, every app process of one database shares it, and the notification channels'
    sealed secrets stay readable. `POOLCRM_SECRET` overrides it; `POOLCRM_SECRET_FILE` moves it."""
    env = os.environ.get("POOLCRM_SECRET")
    if env:
        return env
    path = os.environ.get("POOLCRM_SECRET_FILE")
    if not path:
        path = (
            db_url.removeprefix("sqlite:///") + ".secret"
            if db_url.startswith("sqlite:///")
            else ".poolcrm-secret"
        )
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return file.read_text().strip()


def test_clock_enabled() -> bool:
    """CAL-2: `POOLCRM_TEST_CLOCK=1` lets an admin move the clock (API.md); the CLI follows it too."""
    return os.environ.get("POOLCRM_TEST_CLOCK") == "1"


@dataclass
class Settings:
    db_url: str = field(default_factory=default_db_url)
    secret_key: str = field(default_factory=_secret)
    test_clock: bool = field(default_factory=test_clock_enabled)
    fast_hashing: bool = field(default_factory=lambda: os.environ.get("POOLCRM_FAST_HASH") == "1")
    run_scheduler: bool = field(default_factory=lambda: os.environ.get("POOLCRM_SCHEDULER", "1") == "1")
    secure_cookies: bool = field(default_factory=lambda: os.environ.get("POOLCRM_SECURE_COOKIES") == "1")
