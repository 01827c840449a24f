"""Work record requests (API.md § Work records and expenses)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id


class TripIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(max_length=50)
    start_on: date
    end_on: date
    purpose: str = Field(max_length=2000)
    customer_ids: list[Id] = Field(default_factory=list, max_length=50)


class TripReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(max_length=5000)
    result: str = Field(max_length=5000)
    next_plan: str = Field(max_length=5000)
    started_at: datetime
    ended_at: datetime


class ExpenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spent_on: date
    type: str = Field(max_length=20)
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    description: str = Field(max_length=2000)
    customer_id: Id | None = None
    followup_id: Id | None = None
    deal_progress_id: Id | None = None
    trip_id: Id | None = None
    corrects_id: Id | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=1000)


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=2000)
