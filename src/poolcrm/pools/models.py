from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, UTCDateTime, reference_table, table_of

# Allocation plans (POOL-7 bin plans, POOL-9 reallocations, POOL-10 departures).
PLAN_BIN = "bin"
PLAN_REALLOCATION = "reallocation"
PLAN_PROPOSED = "proposed"
PLAN_APPROVED = "approved"
PLAN_EXECUTED = "executed"
PLAN_REJECTED = "rejected"
ITEM_PLANNED = "planned"
ITEM_DONE = "done"
ITEM_SKIPPED = "skipped"


class AllocationPlan(Base):
    """POOL-7/POOL-9: who gets which customer. A bin plan is set and approved by the GM; a
    reallocation between reps needs the GM and the sales manager; CS executes either."""

    __tablename__ = "allocation_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=PLAN_PROPOSED)
    rule: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gm_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    gm_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manager_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    manager_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    executed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    departure_task_id: Mapped[int | None] = mapped_column(ForeignKey("departure_tasks.id"))

    __table_args__ = (Index("ix_allocation_plans_status", "status", "kind"),)


class AllocationItem(Base):
    """One customer of a plan and what became of it (skipped items name their rule)."""

    __tablename__ = "allocation_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("allocation_plans.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default=ITEM_PLANNED)
    result_rule: Mapped[str | None] = mapped_column(String(20))
    result_message: Mapped[str | None] = mapped_column(Text)


TASK_OPEN = "open"
TASK_PLANNED = "planned"
TASK_DONE = "done"


class DepartureTask(Base):
    """POOL-10: a rep left sales; their supervisor proposes a distribution plan by `due_on`."""

    __tablename__ = "departure_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default=TASK_OPEN)
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


reference_table(table_of(DepartureTask))  # who is leaving (`departing_owner_ids`)
