from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

SUBJECT_LENGTH = 20  # FU-2: a subject is a word from the list (致电, 来访…), stored as typed
METHOD_LENGTH = 20


class FollowUp(Base):
    """FU-1..3: a record of contact with a customer. Invalid ones are stored with their reasons
    but protect nothing."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    content: Mapped[str] = mapped_column(Text)
    content_key: Mapped[str] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(METHOD_LENGTH))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attitude: Mapped[str | None] = mapped_column(String(10))
    result_status: Mapped[str | None] = mapped_column(String(20))
    next_followup_on: Mapped[date | None] = mapped_column(Date)
    valid: Mapped[bool] = mapped_column(Boolean)
    invalid_reasons: Mapped[Any] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(20), default="followup")
    source_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # FU-4/POOL-15: who gets the reminder — the author, then whoever owns the customer next.
    remind_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    spot_check: Mapped[str | None] = mapped_column(String(10))
    remark: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_followups_customer_created", "customer_id", "created_at"),
        Index("ix_followups_customer_key", "customer_id", "content_key"),
        Index("ix_followups_author_created", "author_id", "created_at"),
        Index("ix_followups_next", "next_followup_on"),
        # FU-4: a rep's dashboard lists the follow-ups due today whose reminder goes to them
        # (`due_today`); the date alone read every rep's due follow-ups of the day (issue 22)
        Index(
            "ix_followups_remind_next",
            "remind_user_id",
            "next_followup_on",
            sqlite_where=text("remind_user_id IS NOT NULL"),
            postgresql_where=text("remind_user_id IS NOT NULL"),
        ),
        # VIO-3 counts each rep's invalid follow-ups of a month; invalid ones are few.
        Index(
            "ix_followups_invalid_created",
            "created_at",
            "author_id",
            sqlite_where=text("valid = 0"),
            postgresql_where=text("valid = false"),
        ),
        # POOL-15: a customer's pending reminders move (or lapse) with it; few follow-ups have one.
        Index(
            "ix_followups_remind_customer",
            "customer_id",
            sqlite_where=text("remind_user_id IS NOT NULL"),
            postgresql_where=text("remind_user_id IS NOT NULL"),
        ),
    )


class FollowUpReminder(Base):
    """FU-4: the reminder sent for a follow-up's next date — its row is what "reminded" means, so
    the daily run adds narrow rows instead of rewriting wide, indexed follow-ups.

    No foreign keys, on purpose: only the daily job writes these rows, from follow-ups it has just
    read in the same transaction, and follow-ups and users are never deleted. The key checks
    would lock every reminded follow-up row (measured at 50,000 reminders on PostgreSQL: 1.5 s
    with the keys, 0.3 s without)."""

    __tablename__ = "followup_reminders"

    followup_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column()
    run_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
