"""IN-1/IN-2: every inbound call or trial request CS records, with its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

KIND_CALL = "call"
KIND_TRIAL = "trial"
KINDS = (KIND_CALL, KIND_TRIAL)
OUTCOME_OWNER = "owner_notified"
OUTCOME_DUTY = "assigned_to_duty"
OUTCOME_NEW = "new_for_duty"
OUTCOMES = (OUTCOME_OWNER, OUTCOME_DUTY, OUTCOME_NEW)


class InboundItem(Base):
    """One inbound call or trial request (IN-1) and what the system did with it (IN-2)."""

    __tablename__ = "inbound_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    company: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    need: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rule: Mapped[str] = mapped_column(String(12))
    explanation: Mapped[str] = mapped_column(Text)
    params: Mapped[Any] = mapped_column(JSONType, nullable=True)  # the explanation's parameters
    matches: Mapped[Any] = mapped_column(JSONType, nullable=True)  # CUS-7 candidates shown to CS
    skipped: Mapped[Any] = mapped_column(JSONType, nullable=True)  # duty reps passed over (POOL-2)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_inbound_items_assigned_created", "assigned_to", "created_at"),
        Index("ix_inbound_items_created", "created_at"),
    )
