"""VIO-1..3: violations per rep with evidence, CS spot checks of follow-ups, and the monthly
data-quality assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime, reference_table, table_of

KIND_FORCED_DUPLICATE = "forced_duplicate"
KIND_INVALID_CUSTOMER = "invalid_customer"
KIND_FAKE_FOLLOWUP = "fake_followup"
KIND_RULE_BREACH = "rule_breach"
KIND_CONCEALMENT = "concealment"  # VIO-3 (001 §3.5.5): a manager deliberately hiding problems
KINDS = (KIND_FORCED_DUPLICATE, KIND_INVALID_CUSTOMER, KIND_FAKE_FOLLOWUP, KIND_RULE_BREACH, KIND_CONCEALMENT)

SPOT_PENDING = "pending"
SPOT_VALID = "valid"
SPOT_FAKE = "fake"

ASSESS_DRAFT = "draft"
ASSESS_PUBLISHED = "published"


class Violation(Base):
    """VIO-1: one violation of one rep, with its evidence and the level it reached."""

    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text)
    refs: Mapped[Any] = mapped_column(JSONType, nullable=True)  # {customer_id, followup_id, …}
    ordinal: Mapped[int] = mapped_column(Integer)  # the rep's n-th violation
    level: Mapped[str] = mapped_column(String(12))  # none | warning | dismissal
    rule: Mapped[str] = mapped_column(String(12))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_violations_user_created", "user_id", "created_at"),)


class SpotCheck(Base):
    """VIO-2: one follow-up drawn for the daily CS spot check, and CS's verdict on it."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the day the sample was drawn
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default=SPOT_PENDING)
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_spot_checks_status_day", "status", "day"),)


class Assessment(Base):
    """VIO-3: one rep's data-quality figures and score for one month; published to the team once
    the rep's supervisor confirms it."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(Integer)  # yyyymm
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    missing_fields: Mapped[int] = mapped_column(Integer)
    invalid_followups: Mapped[int] = mapped_column(Integer)
    overdue_deals: Mapped[int] = mapped_column(Integer)
    fake_followups: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    details: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=ASSESS_DRAFT)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("month", "user_id", name="uq_assessments_month_user"),)


reference_table(table_of(Violation))  # VIO-2: fake follow-ups keep a rep off duty (`duty.service`)
