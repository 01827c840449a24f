from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime


class JobRun(Base):
    """JOB-1: one completed daily step for one date — makes the daily job idempotent."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("run_date", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)
    step: Mapped[str] = mapped_column(String(60))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[Any] = mapped_column(JSONType, default=dict)
