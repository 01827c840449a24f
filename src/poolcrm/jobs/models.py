from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime


class JobRun(Base):
    """JOB-1: one completed daily step for one date — makes the daily job idempotent."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("run_date", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)
    step: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # GOV-6: how long a run took
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[Any] = mapped_column(JSONType, default=dict)


class BackupRun(Base):
    """GOV-3: one backup — scheduled or by hand — its outcome, size, duration and the file it wrote;
    the admin dashboard shows the latest and warns on a failed or missed one."""

    __tablename__ = "backup_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)  # company date of a scheduled run
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    path: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    tables: Mapped[Any] = mapped_column(JSONType, default=dict)
