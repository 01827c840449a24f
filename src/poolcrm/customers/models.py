from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, JSONType, UTCDateTime

# Pool states of a customer (POOL-1, POOL-7, CUS-9, CUS-10, CUS-14).
POOL_PENDING = "pending"  # registered, waiting for CS approval (CUS-9): in nobody's pool yet
POOL_PUBLIC = "public"
POOL_PRIVATE = "private"
POOL_BIN = "bin"  # allocation bin (POOL-7)
POOL_MERGED = "merged"  # merged into another record (CUS-10), kept as a tombstone
POOL_DELETED = "deleted"  # deletion approved (CUS-14), kept as a tombstone
POOL_REJECTED = "rejected"  # registration rejected (CUS-9), kept for the record
IN_THE_CRM = (POOL_PUBLIC, POOL_PRIVATE, POOL_BIN)
# the columns the list sorts by besides id and the unique code, each indexed with id (issue 22)
SORTED_COLUMNS = ("created_at", "name", "last_valid_followup_at", "updated_at", "status", "grade", "tier")
"""A customer the company has in its CRM (not pending, rejected, merged or deleted): what a contract
or a ticket may be on (CTR-1, SVC-1)."""
# Pools whose records are not live companies: never matched by the duplicate check (CUS-7).
TOMBSTONE_POOLS = (POOL_MERGED, POOL_DELETED, POOL_REJECTED)

# Lifecycle statuses (CUS-12).
STATUSES = ("potential", "intent", "closed", "lost", "dormant")


class Customer(Base):
    """A company (CUS-*) and where it stands in the pools (POOL-*)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    name_initials: Mapped[str | None] = mapped_column(String(100))  # pinyin initials, for search
    address: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(12))
    region: Mapped[str | None] = mapped_column(String(50))
    industry: Mapped[str | None] = mapped_column(String(50))
    customer_type: Mapped[str] = mapped_column(String(20), default="direct")
    source: Mapped[str | None] = mapped_column(String(50))
    profile: Mapped[str | None] = mapped_column(String(2000))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_position: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    mobile: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str | None] = mapped_column(String(1))
    tags: Mapped[Any] = mapped_column(JSONType, default=list)
    remark: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)  # CUS-1: 需求描述
    # CUS-11: `grade` is the grade in force — the supervisor's override, else the one the system
    # computes from the facts (None while the eleven fields are incomplete); kept current by
    # `customers.grading` so lists, filters and the recycle thresholds (POOL-17) read a column.
    grade: Mapped[str | None] = mapped_column(String(20))
    grade_override: Mapped[str | None] = mapped_column(String(20))
    grade_override_reason: Mapped[str | None] = mapped_column(Text)
    grade_override_by: Mapped[int | None] = mapped_column(Integer)  # a user id; added in place, no FK
    # CUS-11 distributor facts (001 §3.2.2): a registered project (报备项目) with an order expected
    # this year, a signed agency agreement (代理协议), earlier cooperation.
    registered_project: Mapped[bool | None] = mapped_column(Boolean)
    order_expected_this_year: Mapped[bool | None] = mapped_column(Boolean)
    agency_agreement: Mapped[bool | None] = mapped_column(Boolean)
    cooperated_before: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default="potential")
    member_until: Mapped[date | None] = mapped_column(Date)
    open_for_redevelopment: Mapped[bool] = mapped_column(Boolean, default=False)
    dormant_since: Mapped[date | None] = mapped_column(Date)
    confirmed_warnings: Mapped[Any] = mapped_column(JSONType, nullable=True)  # CUS-2/CUS-5 warnings ticked

    pool: Mapped[str] = mapped_column(String(12), default=POOL_PENDING)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    protected_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pool_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_valid_followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_business_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # FU-4: the next follow-up date its latest follow-up planned (kept by the followups domain), so
    # "next follow-up date passed" (GOV-4) is a compare on the row, not a probe of its follow-ups.
    next_followup_on: Mapped[date | None] = mapped_column(Date)
    locked_until: Mapped[date | None] = mapped_column(Date)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # a rep's own pool, newest first: one range (owner, pool, id)
        Index("ix_customers_owner_pool", "owner_id", "pool", "id"),
        Index("ix_customers_pool", "pool"),
        Index("ix_customers_next_followup_on", "next_followup_on"),
        # the list's search (customers.search): a contact's name, pinyin initials by prefix
        Index("ix_customers_contact_name", "contact_name"),
        Index("ix_customers_name_initials", "name_initials"),
        # the public pool's filters (days in pool, region, industry, source), newest first
        Index("ix_customers_pool_entered", "pool", "pool_entered_at"),
        Index("ix_customers_pool_region", "pool", "region", "pool_entered_at"),
        Index("ix_customers_pool_industry", "pool", "industry", "pool_entered_at"),
        Index("ix_customers_pool_source", "pool", "source", "pool_entered_at"),
        # the list's sorts (customers.listing.SORTS), each with id as its tie-break in the same
        # direction, so a page is an index range at any size (534 ms → 0.9 ms by name at 1M);
        # updated_at's also serves GOV-4 (what changed since the day's quality snapshot)
        *(Index(f"ix_customers_sort_{c}", c, "id") for c in SORTED_COLUMNS),
    )


def active_member(today: date) -> ColumnElement[bool]:
    """CUS-16 (`pools.rules.is_active_member`) as SQL: a member customer is active through its
    member_until date — for the queries that pick active members out (MEM-1, MEM-2, GOV-3)."""
    return and_(Customer.member_until.is_not(None), Customer.member_until >= today)


def not_active_member(today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """CUS-16 as SQL, the other way: no member date, or one before `today` (a date, or a bound
    parameter standing for one) — what POOL-2 counts and POOL-6 recycles."""
    return or_(Customer.member_until.is_(None), Customer.member_until < today)


class Contact(Base):
    """CUS-17: a person at a customer."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    mobile: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    is_key_decision_maker: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CustomerNameGram(Base):
    """CUS-7: the fuzzy-duplicate candidate index — one row per (bigram of the normalised name,
    customer). Candidates are the customers sharing the most rare grams with the query.

    All primary key: on SQLite a WITHOUT ROWID table, stored once instead of as a table plus its
    key's index (half the bytes a bulk load writes)."""

    __tablename__ = "customer_name_grams"

    gram: Mapped[str] = mapped_column(String(8))
    customer_id: Mapped[int] = mapped_column(Integer)

    __table_args__ = (PrimaryKeyConstraint("gram", "customer_id"), {"sqlite_with_rowid": False})


class CustomerGramStat(Base):
    """CUS-7: how many customers carry each gram (refreshed in bulk), so that the candidate search
    reads the rare grams' postings and skips the very common ones (科技, 贸易 …)."""

    __tablename__ = "customer_gram_stats"

    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    df: Mapped[int] = mapped_column(Integer)


class CustomerCodeSequence(Base):
    """CUS-8: the last sequence number used per prefix+year (one row each, updated atomically)."""

    __tablename__ = "customer_code_sequences"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class CustomerChange(Base):
    """CUS-13: one field change of a customer — who, when, old, new, reason."""

    __tablename__ = "customer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("customer_requests.id"))

    __table_args__ = (Index("ix_customer_changes_customer_at", "customer_id", "at"),)


REQUEST_CHANGE = "change"  # CUS-13: key fields of a closed customer, approved by the supervisor
REQUEST_DELETE = "delete"  # CUS-14: approved by the department head and an admin


class CustomerRequest(Base):
    """CUS-13 / CUS-14: a change or deletion that waits for approval."""

    __tablename__ = "customer_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    changes: Mapped[Any] = mapped_column(JSONType, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    approvals: Mapped[Any] = mapped_column(JSONType, default=list)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_customer_requests_status", "status", "kind"),)


class ImportJobRecord(Base):
    """CUS-18a: a web import's state and report, in the database — so that after a restart (or on
    another app process) the page still says what was imported and what was not."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any] = mapped_column(JSONType, nullable=True)
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExportRequest(Base):
    """ORG-5a: a bulk export of customer data above the policy's row count waits for a decision by
    someone above the requester; once approved, the requester downloads it once, within hours."""

    __tablename__ = "export_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filters: Mapped[Any] = mapped_column(JSONType, default=dict)
    rows: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_export_requests_status", "status"),)
