"""Contracts, order lines, installments, payments, scanned files and special prices (CTR-1..4)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from poolcrm.attachments import FILENAME_LENGTH
from poolcrm.db import Base, JSONType, UTCDateTime

Money = Numeric(16, 2, asdecimal=True)

PENDING = "pending_approval"
APPROVED = "approved"
PAID = "paid"
REJECTED = "rejected"
CANCELLED = "cancelled"
LEVEL_SUPERVISOR = "supervisor"
LEVEL_GM = "gm"


class Contract(Base):
    """CTR-1: a sales contract for a customer in the CRM (and, for a deal, on that deal). Never
    deleted: a refused or cancelled contract is a state. `received` is the sum of its payments,
    kept on the row so the row lock that serialises payments also guards the total (CTR-3)."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    received: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    signed_on: Mapped[date] = mapped_column(Date)
    terms: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    approval_level: Mapped[str | None] = mapped_column(String(12))
    supervisor_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    migrated: Mapped[bool] = mapped_column(Boolean, default=False)
    before_signing: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list[ContractLine]] = relationship(lazy="selectin", order_by="ContractLine.id")
    installments: Mapped[list[Installment]] = relationship(lazy="selectin", order_by="Installment.seq")

    __table_args__ = (
        Index("ix_contracts_signed_on_owner", "signed_on", "owner_id"),
        Index("ix_contracts_owner_status", "owner_id", "status"),
    )


class ContractLine(Base):
    """CTR-2: one order line of a contract (product, model, quantity, unit price, delivery date)."""

    __tablename__ = "contract_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    product: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2, asdecimal=True))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    line_total: Mapped[Decimal] = mapped_column(Money)
    delivery_on: Mapped[date | None] = mapped_column(Date)


class Installment(Base):
    """CTR-3: a planned payment (due date, amount) and how much of it has been received.
    `settled` is kept so the overdue scan reads only the open installments (partial index)."""

    __tablename__ = "contract_installments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    received: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    settled: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index(
            "ix_contract_installments_open_due",
            "due_on",
            postgresql_where=text("NOT settled"),
            sqlite_where=text("settled = 0"),
        ),
    )


class Payment(Base):
    """CTR-3: money received against a contract (date, amount, method), as recorded."""

    __tablename__ = "contract_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContractFile(Base):
    """CTR-1: the scanned contract. Kept in the database (CTR-1b) so backup and restore carry it."""

    __tablename__ = "contract_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SpecialPrice(Base):
    """CTR-4: a special price asked for a distributor, decided by the supervisor or the GM."""

    __tablename__ = "special_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product: Mapped[str] = mapped_column(String(200))
    list_price: Mapped[Decimal | None] = mapped_column(Money)
    special_price: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContractMonthTotal(Base):
    """CTR-3b rollup: per month, owner and product ("" = whole contracts) the contracts signed that
    month (count, amount) and the money received that month. Every write adds to it in the same
    transaction (INSERT … ON CONFLICT DO UPDATE adds, so concurrent writers never lose an update);
    a year's analytics then read a few thousand rows instead of every contract and payment."""

    __tablename__ = "contract_month_totals"

    yyyymm: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: no owner
    product: Mapped[str] = mapped_column(String(200), primary_key=True)
    signed_count: Mapped[int] = mapped_column(Integer, default=0)
    signed_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    collected_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
