from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from poolcrm.db import Base, JSONType, UTCDateTime, reference_table, table_of

Money = Numeric(16, 2, asdecimal=True)
CATEGORY_LENGTH = 10
INTENTION_LENGTH = 50  # DEAL-4: a product category of the policy's list
SOURCE_LENGTH = 50  # DEAL-11: a source of the policy's list


class DealStage(Base):
    """DEAL-3: the editable 0–10 stage table (defaults: seed 001 §4.1.2; a missing row = the default)."""

    __tablename__ = "deal_stages"

    stage: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    probability: Mapped[int] = mapped_column(Integer)
    customer_desc: Mapped[str] = mapped_column(String(200))
    agent_desc: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DealCategoryRule(Base):
    """DEAL-2: the editable stage floor and ceiling of each category (a missing row means the default)."""

    __tablename__ = "deal_category_rules"

    category: Mapped[str] = mapped_column(String(CATEGORY_LENGTH), primary_key=True)
    min_stage: Mapped[int] = mapped_column(Integer)
    max_stage: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Deal(Base):
    """DEAL-1..9: a sales opportunity (跟单) on a direct customer."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(48), unique=True)
    seq: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(CATEGORY_LENGTH))
    stage: Mapped[int] = mapped_column(Integer)
    max_stage: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    expected_close_on: Mapped[date] = mapped_column(Date)
    intention: Mapped[str] = mapped_column(String(INTENTION_LENGTH))
    amount: Mapped[Decimal] = mapped_column(Money)
    purchase_reason: Mapped[str] = mapped_column(Text)
    purchase_form: Mapped[str] = mapped_column(Text)
    budget: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text)
    execution_time: Mapped[str] = mapped_column(Text)
    competitors: Mapped[str] = mapped_column(Text)
    # DEAL-11 (None: before sources were kept)
    source: Mapped[str | None] = mapped_column(String(SOURCE_LENGTH))
    actual_amount: Mapped[Decimal | None] = mapped_column(Money)
    contract_no: Mapped[str | None] = mapped_column(String(64))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credited_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    credit_rule: Mapped[str | None] = mapped_column(String(12))
    dispute_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    products: Mapped[list[DealProduct]] = relationship(
        lazy="selectin", order_by="DealProduct.id", cascade="all, delete-orphan"
    )
    competitor_evaluations: Mapped[list[DealCompetitor]] = relationship(
        lazy="selectin", order_by="DealCompetitor.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("customer_id", "seq", name="uq_deals_customer_seq"),
        Index("ix_deals_owner_category", "owner_id", "category"),
        Index("ix_deals_category_activity", "category", "last_activity_at"),
        Index("ix_deals_contract_no", "contract_no"),
    )


class DealProduct(Base):
    """DEAL-4: one product line (name, model, quantity, unit price; the total is computed)."""

    __tablename__ = "deal_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2, asdecimal=True))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    line_total: Mapped[Decimal] = mapped_column(Money)


class DealCompetitor(Base):
    """DEAL-10: a competitor on a deal, with our strengths and weaknesses against it and the date of
    the evaluation (the competitor comes from the editable list)."""

    __tablename__ = "deal_competitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    competitor: Mapped[str] = mapped_column(String(100), index=True)
    strengths: Mapped[str] = mapped_column(Text)
    weaknesses: Mapped[str] = mapped_column(Text)
    evaluated_on: Mapped[date] = mapped_column(Date)


class DealProgress(Base):
    """DEAL-6: a progress record (details + next plan); invalid ones are kept with their reasons."""

    __tablename__ = "deal_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    details: Mapped[str] = mapped_column(Text)
    next_plan: Mapped[str] = mapped_column(Text)
    stage: Mapped[int] = mapped_column(Integer)
    counts_as_contact: Mapped[bool] = mapped_column(Boolean, default=True)
    valid: Mapped[bool] = mapped_column(Boolean)
    invalid_reasons: Mapped[Any] = mapped_column(JSONType, default=list)
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_deal_progress_deal_created", "deal_id", "created_at"),
        Index("ix_deal_progress_created_author", "created_at", "author_id"),
    )


class DealCategoryChange(Base):
    """DEAL-7: every category/stage/status a deal took, when, and who changed it."""

    __tablename__ = "deal_category_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(CATEGORY_LENGTH))
    stage: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DealMonth(Base):
    """DEAL-7 monthly rollup: one row per deal per month it was alive in, holding its latest category,
    stage, owner and amount of that month (so a deal counts once, in its latest category). Written on
    every change; open deals are carried into each new month by the daily job (`deals.rollup`)."""

    __tablename__ = "deal_months"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), primary_key=True)
    yyyymm: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(CATEGORY_LENGTH))
    stage: Mapped[int] = mapped_column(Integer)
    max_stage: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    cycle_days: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "ix_deal_months_month_owner",
            "yyyymm",
            "owner_id",
            "category",
            "stage",
            "max_stage",
            "amount",
            "cycle_days",
        ),
    )


class DealMonthTotal(Base):
    """DEAL-9 rollup of a finished month: deal_months summed per owner, category and stage. A month's
    rows never change once it is over, so the daily job freezes each past month once; charts over
    many months read these few rows instead of every deal."""

    __tablename__ = "deal_month_totals"

    id: Mapped[int] = mapped_column(primary_key=True)
    yyyymm: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(CATEGORY_LENGTH))
    stage: Mapped[int] = mapped_column(Integer)
    deals: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    cycle_sum: Mapped[int] = mapped_column(Integer)
    cycle_n: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_deal_month_totals_month_owner", "yyyymm", "owner_id"),)


class DealRollupState(Base):
    """DEAL-7/9: per month, when every open deal was carried into it and when its totals were frozen."""

    __tablename__ = "deal_rollup_state"

    yyyymm: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    carried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totals_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


reference_table(table_of(DealStage))  # the stage table (`tables.stage_table`)
