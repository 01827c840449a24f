"""The one source of "now" for the whole program (CAL-2).

All times are stored in UTC; the company's zone (policy `timezone`) is used only to decide
which calendar day it is and to display times. Tests and the demo can set the clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)
"""SEC-1: the days a business record can be about; anything outside is refused as input."""

_lock = threading.Lock()
_offset: timedelta | None = None
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC (CAL-2)."""
    with _lock:
        if _frozen is not None:
            return _frozen
        real = datetime.now(UTC)
        return real + _offset if _offset is not None else real


def today(zone: str = DEFAULT_ZONE) -> date:
    """The calendar day it is now in the company's zone."""
    return now().astimezone(ZoneInfo(zone)).date()


def local(dt: datetime, zone: str = DEFAULT_ZONE) -> datetime:
    return as_utc(dt).astimezone(ZoneInfo(zone))


def local_date(dt: datetime, zone: str = DEFAULT_ZONE) -> date:
    """The calendar day of instant `dt` in `zone` (CAL-2)."""
    return local(dt, zone).date()


def as_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def set_now(moment: datetime, *, frozen: bool = False) -> None:
    """Move the clock to `moment`; it keeps ticking from there unless frozen."""
    global _offset, _frozen
    moment = as_utc(moment)
    with _lock:
        if frozen:
            _frozen, _offset = moment, None
        else:
            _frozen, _offset = None, moment - datetime.now(UTC)


def state() -> tuple[timedelta | None, datetime | None]:
    """The override in force: an offset from real time, or a frozen moment (both None: real time)."""
    with _lock:
        return _offset, _frozen


def set_state(offset: timedelta | None, frozen: datetime | None) -> None:
    """Put back an override `state()` gave (another process's, through the database)."""
    global _offset, _frozen
    with _lock:
        _offset, _frozen = (None, as_utc(frozen)) if frozen is not None else (offset, None)


def reset() -> None:
    global _offset, _frozen
    with _lock:
        _offset = None
        _frozen = None


def is_overridden() -> bool:
    with _lock:
        return _offset is not None or _frozen is not None


def start_of_local_day(d: date, zone: str = DEFAULT_ZONE) -> datetime:
    """The UTC instant at which calendar day `d` starts in the company's zone."""
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_moment(d: date, hhmm: str, zone: str = DEFAULT_ZONE) -> datetime:
    """The UTC instant of wall-clock time `hhmm` (HH:MM) on day `d` in the company's zone."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def in_business_range(day: date) -> bool:
    """SEC-1: whether `day` lies between EARLIEST_DATE and LATEST_DATE."""
    return EARLIEST_DATE <= day <= LATEST_DATE
