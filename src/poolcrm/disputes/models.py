"""DSP-1/DSP-2: dispute cases about who a customer or a win belongs to, decided by the GM."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

KIND_WIN = "win"  # DSP-1: a deal won by someone other than the owner, or two reps claim one win
KIND_TWO_POOLS = "two_pools"  # DSP-2: the same company in two private pools
KIND_OWNERSHIP = "ownership"  # CUS-20: a rep says they developed a customer someone else protects
STATUS_OPEN = "open"
STATUS_DECIDED = "decided"


class Dispute(Base):
    """A dispute case: the claimants, the system's recommendation with its evidence, and the
    GM's decision with the reason (DSP-1, DSP-2)."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default=STATUS_OPEN)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    other_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    signed_on: Mapped[date | None] = mapped_column(Date)
    claimants: Mapped[Any] = mapped_column(JSONType)  # user ids
    recommended_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recommendation_rule: Mapped[str] = mapped_column(String(12))
    recommendation_note: Mapped[str] = mapped_column(Text)
    evidence: Mapped[Any] = mapped_column(JSONType)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_reason: Mapped[str | None] = mapped_column(Text)
    winner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_disputes_status", "status"),
        Index("ix_disputes_deal", "deal_id"),
        Index("ix_disputes_customer", "customer_id"),
    )
