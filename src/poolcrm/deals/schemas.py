"""Deal shapes of the public API (API.md § Deals). Content rules (DEAL-2/4/5) are checked by
`deals.rules` so that refusals cite their rule; these models only fix types and names."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id
from poolcrm.deals.models import CATEGORY_LENGTH, INTENTION_LENGTH, SOURCE_LENGTH
from poolcrm.followups.models import SUBJECT_LENGTH

OpenCategory = Literal["lead", "mid", "short"]
OpenStatus = Literal["active", "focus", "paused"]
DETAIL_MAX_CHARS = 2000  # DEAL-4's free-text details: as long as a customer's needs or an evaluation


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    quantity: Decimal = Field(max_digits=14, decimal_places=2)
    unit_price: Decimal = Field(max_digits=16, decimal_places=2)
    model: str | None = Field(None, max_length=100)


class CompetitorIn(BaseModel):
    """DEAL-10: one competitor of the deal and how we stand against it."""

    model_config = ConfigDict(extra="forbid")

    competitor: str = Field(max_length=100)
    strengths: str = Field("", max_length=DETAIL_MAX_CHARS)
    weaknesses: str = Field("", max_length=DETAIL_MAX_CHARS)
    evaluated_on: date


class DetailsIn(BaseModel):
    """DEAL-4 details; all six are required (checked with the rule, so the refusal cites DEAL-4)."""

    model_config = ConfigDict(extra="forbid")

    purchase_reason: str | None = Field(default=None, max_length=DETAIL_MAX_CHARS)
    purchase_form: str | None = Field(default=None, max_length=DETAIL_MAX_CHARS)
    budget: str | None = Field(default=None, max_length=DETAIL_MAX_CHARS)
    requirements: str | None = Field(default=None, max_length=DETAIL_MAX_CHARS)
    execution_time: str | None = Field(default=None, max_length=DETAIL_MAX_CHARS)
    competitors: str | None = Field(default=None, max_length=DETAIL_MAX_CHARS)


class DealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    name: str = Field(min_length=1, max_length=200)
    category: OpenCategory
    stage: int
    status: OpenStatus = "active"
    expected_close_on: date
    intention: str | None = Field(None, max_length=INTENTION_LENGTH)
    products: list[ProductIn] = Field(default_factory=list)
    details: DetailsIn = Field(default_factory=DetailsIn)
    channel_customer_id: Id | None = None
    source: str | None = Field(
        None, max_length=SOURCE_LENGTH, description="DEAL-11; default: the customer's source"
    )
    competitor_evaluations: list[CompetitorIn] = Field(default_factory=list, max_length=20)


class DealPatch(BaseModel):
    """Only the fields sent are changed. DEAL-2: a change of category must also send stage, status
    and expected_close_on. `version` (optional) refuses a stale edit with 409."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = Field(None, max_length=CATEGORY_LENGTH)
    stage: int | None = None
    status: OpenStatus | None = None
    expected_close_on: date | None = None
    intention: str | None = Field(None, max_length=INTENTION_LENGTH)
    products: list[ProductIn] | None = None
    details: DetailsIn | None = None
    channel_customer_id: Id | None = None
    source: str | None = Field(None, max_length=SOURCE_LENGTH)
    competitor_evaluations: list[CompetitorIn] | None = Field(None, max_length=20)
    version: int | None = None


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    details: str = Field(max_length=5000)
    next_plan: str = Field(max_length=2000)
    counts_as_contact: bool = True
    subject: str = Field(
        default="致电",
        max_length=SUBJECT_LENGTH,
        description="FU-2 subject of the follow-up recorded when counts_as_contact",
    )


class WinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual_amount: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    contract_no: str | None = Field(None, max_length=64)


class LoseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=2000)


class Reason(BaseModel):
    rule: str
    message: str


class ProgressOut(BaseModel):
    id: int
    valid: bool
    invalid_reasons: list[Reason]
    counts_as_contact: bool
    followup_id: int | None
    details: str
    next_plan: str
    stage: int
    author: dict[str, object] | None
    created_at: datetime


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probability: int
    customer_desc: str = Field(min_length=1, max_length=200)
    agent_desc: str = Field(min_length=1, max_length=200)


class StageOut(BaseModel):
    stage: int
    probability: int
    customer_desc: str
    agent_desc: str


class CategoryRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_stage: int
    max_stage: int


class CategoryRuleOut(BaseModel):
    category: str
    label: str
    min_stage: int
    max_stage: int
    reminder_days: int | None


class AnalyticsRow(BaseModel):
    key: str
    label: str
    count: int
    amount: float
    weighted_amount: float


class Analytics(BaseModel):
    period: str
    by: str
    rows: list[AnalyticsRow]
    conversion: list[dict[str, float | int]]
    totals: dict[str, float | int | None]
