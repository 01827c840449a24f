from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, UTCDateTime, reference_table, table_of


class CalendarOverride(Base):
    """CAL-1: a company override of the official calendar (a day off, or a worked day)."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # CAL-1a: a withdrawn override is kept, switched off (never a hard delete).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SharedTestClock(Base):
    """CAL-2 test clock (POOLCRM_TEST_CLOCK=1), shared by every app process of one database: one
    row, rewritten with a new version each time an admin moves or resets the clock."""

    __tablename__ = "test_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    offset_us: Mapped[int | None] = mapped_column(BigInteger)  # ahead of real time, microseconds
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


reference_table(table_of(CalendarOverride))  # the working-day calendar (`get_calendar`)
