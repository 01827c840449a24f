"""Service desk tables (SVC-1..8): tickets, their processing log, attachments, rating links and the
per-year number sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.attachments import FILENAME_LENGTH
from poolcrm.db import Base, JSONType, UTCDateTime

PENDING = "pending"
PROCESSING = "processing"
RESOLVED = "resolved"
CLOSED = "closed"
ABANDONED = "abandoned"
OPEN_STATUSES = (PENDING, PROCESSING)
STATUSES = (PENDING, PROCESSING, RESOLVED, CLOSED, ABANDONED)

COMPLAINT = "complaint"
DEADLINES = ("assign_by", "respond_by", "contact_by", "resolve_by")


class Ticket(Base):
    """SVC-1/SVC-2: a service request on a CRM customer. Never deleted: abandoned is a state.

    SVC-4: the deadlines are fixed when the ticket opens (on the clock in force then);
    `next_deadline_at` is the earliest deadline not yet met nor counted as breached, kept so the
    minute-by-minute breach scan reads only the few tickets due (partial index), whatever the
    number of tickets. `breaches` lists the deadlines missed."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    subject: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    request_type: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    emotion: Mapped[str | None] = mapped_column(String(12))
    product: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(Text)
    abandon_reason: Mapped[str | None] = mapped_column(Text)
    customer_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    assign_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_clock: Mapped[str] = mapped_column(String(10), default="calendar")
    next_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breaches: Mapped[Any] = mapped_column(JSONType, default=list)
    breach_count: Mapped[int] = mapped_column(Integer, default=0)
    response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    complaint_cause: Mapped[str | None] = mapped_column(String(40))
    improvement_action: Mapped[str | None] = mapped_column(Text)
    action_done: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_score: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_tickets_status_assignee", "status", "assignee_id", "created_at"),
        Index("ix_tickets_assignee_created", "assignee_id", "created_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_created_by", "created_by"),
        Index(
            "ix_tickets_next_deadline",
            "next_deadline_at",
            postgresql_where=text("next_deadline_at IS NOT NULL"),
            sqlite_where=text("next_deadline_at IS NOT NULL"),
        ),
    )


class TicketLog(Base):
    """SVC-2: the processing log — each step with who and when (open, assign, accept, a note,
    resolve, close, abandon, an SLA breach, an attachment, the customer's rating)."""

    __tablename__ = "ticket_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketFile(Base):
    """SVC-2: a scanned service sheet, acceptance report or commissioning record. The bytes live in
    the database (SVC-2a) so backup and restore carry them with the ticket."""

    __tablename__ = "ticket_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RatingLink(Base):
    """SVC-6: one rating link handed to the customer. The link itself is signed and carries its
    expiry; the row makes it single-use (`used_at`) and lets a newer link replace an older one."""

    __tablename__ = "ticket_rating_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RatingAttempt(Base):
    """SVC-6a: a refused rating-link attempt (forged, expired, reused), by address, so one address
    guessing links is slowed down (429) without a session."""

    __tablename__ = "ticket_rating_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ticket_rating_attempts_address_at", "address", "at"),)


class TicketSequence(Base):
    """SVC-2: the last ticket number used per year (FW2026001, FW2026002, …). Incremented with an
    atomic upsert, so two tickets opened at the same moment never share a number."""

    __tablename__ = "ticket_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)
