from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

# NOTE-2: the life of one delivery in the outbox.
PENDING = "pending"  # waiting for its time (next_attempt_at) or for a sender to claim it
SENDING = "sending"  # claimed by a sender until claimed_until; past it, claimable again
SENT = "sent"
FAILED = "failed"  # given up: a refusal that will not change, or out of attempts
SKIPPED = "skipped"  # nobody to send to (the channel was removed or the user left)
DELIVERY_STATUSES = (PENDING, SENDING, SENT, FAILED, SKIPPED)
LINK_LENGTH = 300  # a path of ours naming objects by id (`/deals/12`), never the user's text


class Notification(Base):
    """NOTE-1: a notification; the text is a catalogue message rendered per reader language. It
    shows in the app from `due_at` (NOTE-3: a reminder written by the nightly job for 09:00)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    params: Mapped[Any] = mapped_column(JSONType, default=dict)
    link: Mapped[str | None] = mapped_column(String(LINK_LENGTH))
    rule: Mapped[str | None] = mapped_column(String(20))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_dedupe", "user_id", "dedupe_key", unique=True),
    )


class Channel(Base):
    """NOTE-1: a way out of the app — the SMTP server or one group robot (企业微信/钉钉/飞书).
    `config` holds what may be shown; `secrets` is encrypted with the app secret (NOTE-1a)."""

    __tablename__ = "notify_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    config: Mapped[Any] = mapped_column(JSONType, default=dict)
    secrets: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChannelRoute(Base):
    """NOTE-1: a department's kinds routed to a group robot (the CS queue to the CS group)."""

    __tablename__ = "notify_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_notify_routes_unique", "department_id", "kind", "channel_id", unique=True),)


class NotifySettings(Base):
    """NOTE-1: one user's choices — which kinds reach them by which channel types (in-app is
    always on), where (email, IM user ids for @mentions) and whether they get the daily digest."""

    __tablename__ = "notify_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    channels: Mapped[Any] = mapped_column(JSONType, default=dict)
    email: Mapped[str | None] = mapped_column(String(200))
    im_ids: Mapped[Any] = mapped_column(JSONType, default=dict)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """NOTE-2: one message to one channel, written in the transaction that caused it (the outbox)
    and sent after commit by a sender; every attempt's outcome is kept on the row."""

    __tablename__ = "notify_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id"))
    address: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vendor_code: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notify_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notify_deliveries_channel_sent", "channel_id", "sent_at"),
        Index("ix_notify_deliveries_channel_status", "channel_id", "status"),
    )


class DeliveryAttempt(Base):
    """NOTE-2: the delivery log — every attempt, its outcome and the vendor's code."""

    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notify_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(12))
    vendor_code: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(500))
