"""Pydantic shapes of the customers API (API.md § Customers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id

CustomerType = Literal["direct", "distributor"]
Tier = Literal["A", "B", "C"]
Status = Literal["potential", "intent", "closed", "lost", "dormant"]
Grade = Literal["core", "high_growth", "ordinary"]


class DuplicateQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    exclude_id: Id | None = None


class OwnerOut(BaseModel):
    id: int
    display_name: str


class MatchOut(BaseModel):
    customer_id: int
    code: str
    name: str
    pool: str
    owner: OwnerOut | None
    score: int
    exact: bool
    reasons: list[str]


class CustomerFields(BaseModel):
    """Every field a rep may enter; the four of CUS-1 are checked by the service (422 CUS-1)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    contact_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    customer_type: CustomerType | None = None
    industry: str | None = Field(default=None, max_length=50)
    region: str | None = Field(default=None, max_length=50)
    postal_code: str | None = Field(default=None, max_length=12)
    source: str | None = Field(default=None, max_length=50)
    profile: str | None = Field(default=None, max_length=2000)
    contact_position: str | None = Field(default=None, max_length=100)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    tier: Tier | None = None
    tags: list[str] | None = Field(default=None, max_length=30)
    remark: str | None = Field(default=None, max_length=5000)
    needs: str | None = Field(default=None, max_length=2000)
    member_until: date | None = None


class CustomerIn(CustomerFields):
    """POST /customers: the fields plus the rep's confirmations (CUS-2, CUS-5, CUS-7)."""

    confirm_warnings: bool = False
    confirmed_matches: list[int] | None = None
    confirm_duplicates: bool = False
    application_remark: str | None = Field(default=None, max_length=2000)


class CustomerPatch(CustomerFields):
    """PATCH /customers/{id}: any field, plus lifecycle status, the CUS-11 distributor facts, and an
    optional reason. `grade` is the supervisor's override (with a reason; null clears it)."""

    status: Status | None = None
    grade: Grade | None = None
    registered_project: bool | None = None
    order_expected_this_year: bool | None = None
    agency_agreement: bool | None = None
    cooperated_before: bool | None = None
    reason: str | None = Field(default=None, max_length=2000)
    confirm_warnings: bool = False


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    department: str | None = Field(default=None, max_length=100)
    position: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    is_key_decision_maker: bool = False


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    department: str | None = Field(default=None, max_length=100)
    position: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    is_key_decision_maker: bool | None = None
    active: bool | None = None


class ContactOut(BaseModel):
    id: int
    customer_id: int
    name: str
    department: str | None
    position: str | None
    phone: str | None
    mobile: str | None
    email: str | None
    is_key_decision_maker: bool
    active: bool


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[Id] = Field(min_length=2, max_length=20)
    reason: str = Field(min_length=1, max_length=2000)


class RequestOut(BaseModel):
    id: int
    kind: str
    customer_id: int
    requested_by: int
    status: str
    changes: Any
    reason: str | None
    approvals: Any
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime


class EventOut(BaseModel):
    at: datetime
    from_owner: OwnerOut | None
    to_owner: OwnerOut | None
    from_pool: str | None
    to_pool: str
    rule: str | None
    reason: str | None
    actor: OwnerOut | None


class ChangeOut(BaseModel):
    at: datetime
    field: str
    old_value: Any
    new_value: Any
    actor: OwnerOut | None
    reason: str | None


class ExportRequestIn(BaseModel):
    """ORG-5a: `POST /export-requests` — the list's filters (as `GET /customers/export` takes
    them) and what the export is for."""

    model_config = ConfigDict(extra="forbid")
    filters: dict[str, Any] = Field(default_factory=dict)
    reason: str = Field(max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)
