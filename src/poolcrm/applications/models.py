from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

KIND_NEW_CUSTOMER = "new_customer"  # CUS-9
KIND_CLAIM = "claim"  # POOL-4
STATUS_PENDING = "pending"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
STATUS_CANCELLED = "cancelled"


class Application(Base):
    """A request that customer service (or a supervisor) decides: register a new customer
    (CUS-9) or protect a public one (POOL-4). Other kinds may be added by their domain."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default=STATUS_PENDING)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    remark: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[Any] = mapped_column(JSONType, nullable=True)
    confirmed_matches: Mapped[Any] = mapped_column(JSONType, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decision_rule: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_applications_status_kind", "status", "kind"),
        Index("ix_applications_applicant_status", "applicant_id", "status"),
    )
