from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id


class InboundIn(BaseModel):
    """IN-1: what CS types while the caller is on the line."""

    model_config = ConfigDict(extra="forbid")
    company: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    kind: Literal["call", "trial"] = "call"
    need: str | None = Field(default=None, max_length=2000)
    customer_id: Id | None = None  # CS confirms which existing customer the caller is


class UserBrief(BaseModel):
    id: int
    display_name: str


class InboundOut(BaseModel):
    id: int
    kind: str
    company: str
    phone: str | None
    need: str | None
    outcome: Literal["owner_notified", "assigned_to_duty", "new_for_duty"]
    customer_id: int | None
    customer: dict[str, Any] | None
    assigned_to: UserBrief | None
    rule: str
    explanation: str
    skipped: list[dict[str, Any]]
    matches: list[dict[str, Any]]
    register_link: str | None
    recorded_by: UserBrief | None
    created_at: datetime
