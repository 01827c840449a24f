"""GOV-4: daily snapshots of the data-quality figures. GOV-5: each time a rep confirms or corrects
a customer's contact details (the periodic verification of 002 §2.2 / 004 §5.1), append-only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

VERIFIED, CORRECTED = "verified", "corrected"


class ContactVerification(Base):
    __tablename__ = "contact_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    period: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(12))
    fields: Mapped[Any] = mapped_column(JSONType, default=list)
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_contact_verifications_customer_at", "customer_id", "at"),
        Index("ix_contact_verifications_at", "at"),
    )


class QualitySnapshot(Base):
    """GOV-4: one rep's data-quality figures on one day, written by the daily job — the dashboard
    reads the latest (fast at any size) and a year of them for the trend."""

    __tablename__ = "quality_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    total: Mapped[int] = mapped_column(Integer)
    counts: Mapped[Any] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_quality_snapshots_day_owner", "day", "owner_id", unique=True),)


class QualityRun(Base):
    """GOV-4: when a daily snapshot was taken and the checks whose flagged rows it capped — so a
    whole-company drill-down knows which customers its flags cannot cover (changed since) and
    which checks it must list live."""

    __tablename__ = "quality_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capped: Mapped[Any] = mapped_column(JSONType, default=list)


class QualityFlag(Base):
    """GOV-4: a private customer the latest snapshot found failing one check (the first
    `FLAG_CAP` by id per check) — replaced by every snapshot, the whole-company drill-down's
    index for checks no database index can answer (a malformed email, a shared phone)."""

    __tablename__ = "quality_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_key: Mapped[str] = mapped_column(String(24))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))

    __table_args__ = (Index("ix_quality_flags_check_customer", "check_key", "customer_id", unique=True),)
