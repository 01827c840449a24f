from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime


class Notification(Base):
    """NOTE-1: an in-app notification; the text is a catalogue message rendered per reader language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    params: Mapped[Any] = mapped_column(JSONType, default=dict)
    link: Mapped[str | None] = mapped_column(String(300))
    rule: Mapped[str | None] = mapped_column(String(20))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_dedupe", "user_id", "dedupe_key", unique=True),
    )
