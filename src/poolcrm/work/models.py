"""Work records (WORK-1..4): reports to the supervisor, trips (plan and report), expenses that point at
real customer work, and their files. Nothing is deleted: refused, read and reimbursed are states."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.attachments import FILENAME_LENGTH
from poolcrm.db import Base, JSONType, UTCDateTime

Money = Numeric(16, 2, asdecimal=True)

# report kinds (WORK-1)
WEEKLY, MONTHLY, HALF_YEAR, ANNUAL = "weekly", "monthly", "half_year", "annual"
# states
DRAFT, SUBMITTED, APPROVED, REJECTED, REIMBURSED = "draft", "submitted", "approved", "rejected", "reimbursed"
PENDING, REPORTED, READ = "pending", "reported", "read"
SPENT = (APPROVED, REIMBURSED)  # WORK-3: expenses that count as money spent


class WorkFile(Base):
    """A report's attachment or an expense's receipt, kept in the database (backed up with it)."""

    __tablename__ = "work_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(10))  # report | expense
    owner_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_work_files_owner", "owner_type", "owner_id"),)


class WorkReport(Base):
    """WORK-1: a weekly, monthly, half-year or annual report, addressed to the author's supervisor."""

    __tablename__ = "work_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(10))  # 2026-W49 | 2026-12 | 2026-H2 | 2026
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=SUBMITTED)
    due_on: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "period", name="uq_work_reports_user_kind_period"),
        Index("ix_work_reports_supervisor_status", "supervisor_id", "status", "submitted_at"),
    )


class Trip(Base):
    """WORK-2: a trip plan approved by the supervisor, then its report (A 目的 B 结果 C 下一步计划)."""

    __tablename__ = "trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    region: Mapped[str] = mapped_column(String(50))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    customer_ids: Mapped[Any] = mapped_column(JSONType, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    report_subject: Mapped[str | None] = mapped_column(String(200))
    report_purpose: Mapped[str | None] = mapped_column(Text)
    report_result: Mapped[str | None] = mapped_column(Text)
    report_next_plan: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_trips_status_dates", "status", "start_on", "end_on"),)


class Expense(Base):
    """WORK-3: an expense that must point at real customer work (a customer with its progress, or the
    follow-up, deal progress or trip it paid for) before it can be submitted."""

    __tablename__ = "expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200))
    spent_on: Mapped[date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id"))
    deal_progress_id: Mapped[int | None] = mapped_column(ForeignKey("deal_progress.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    trip_id: Mapped[int | None] = mapped_column(ForeignKey("trips.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"))
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    approval_level: Mapped[str | None] = mapped_column(String(12))
    supervisor_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    reimbursed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reimbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_expenses_user_status_spent", "user_id", "status", "spent_on"),
        Index("ix_expenses_status_submitted", "status", "submitted_at"),
    )
