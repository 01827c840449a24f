"""GOV-5: each time a rep confirms or corrects a customer's contact details (the periodic
verification of 002 §2.2 / 004 §5.1). Append-only: the latest row per customer says when it was
last verified."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
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
