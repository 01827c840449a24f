from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from poolcrm.db import Base, UTCDateTime, reference_table, table_of


class Department(Base):
    """ORG-3: a department with a kind (sales, ka, cs, service, other)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    head_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    """ORG-1..7: a user with roles, a department, a supervisor and a hire date; disabled, never deleted."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    hired_on: Mapped[date] = mapped_column(Date)
    probation_end_on: Mapped[date | None] = mapped_column(Date)  # VIO-3: assessed once past it
    employee_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    token_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    department: Mapped[Department | None] = relationship(lazy="joined", foreign_keys=[department_id])

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.role_rows)


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class ScopeEdge(Base):
    """ORG-2 kept as rows: (ancestor, descendant) for every user and each user below them at any
    depth, the user included — the supervisor tree as an indexed join (issue 22). Derived from
    `users.supervisor_id` by `org.scope` in the flush that changes it; never edited otherwise."""

    __tablename__ = "org_scope"

    ancestor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    descendant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


# who is a sales rep (`service.sales_rep_ids`) and the tree (`scope.subtree_of`): reference data
reference_table(table_of(User), "active", "department_id", "supervisor_id")
reference_table(table_of(UserRole))
reference_table(table_of(Department))
reference_table(table_of(ScopeEdge))
