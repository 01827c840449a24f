"""IN-3: the weekly duty roster (computed once per week from last week's figures) and an admin's
override of one day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime, reference_table, table_of


class DutyWeek(Base):
    """IN-3: the roster of one week (Monday–Sunday): each rep's figures of the week before, whether
    they are eligible and why, and the ranking order inbound items are dealt out in."""

    __tablename__ = "duty_weeks"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, unique=True)
    strategy: Mapped[str] = mapped_column(String(12))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    order: Mapped[Any] = mapped_column(JSONType)  # user ids, best of last week first
    # [{user_id, eligible, reason, params, …}] for every rep: read by the roster page only, loaded when
    # asked for (the dashboard card reads the week on every view)
    eligibility: Mapped[Any] = mapped_column(JSONType, deferred=True)
    groups: Mapped[Any] = mapped_column(JSONType, nullable=True)  # groups strategy: [[user ids], …]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DutyOverride(Base):
    """IN-3: an admin sets who is on duty on one day (replacing the roster for that day)."""

    __tablename__ = "duty_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    user_ids: Mapped[Any] = mapped_column(JSONType)
    reason: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DutyReinstatement(Base):
    """VIO-2 (revised): a sales manager or the GM puts a rep caught with a fake follow-up back on
    the duty roster, with a reason. Until then the exclusion holds, whatever the number of weeks."""

    __tablename__ = "duty_reinstatements"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reinstated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# who is on duty (`service.today_on_duty`): the roster, the day's override, the reinstatements
reference_table(table_of(DutyWeek))
reference_table(table_of(DutyOverride))
reference_table(table_of(DutyReinstatement))
