from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id


class DecideIn(BaseModel):
    """DSP-1/DSP-2: the GM's decision."""

    model_config = ConfigDict(extra="forbid")
    winner_user_id: Id
    reason: str = Field(min_length=1, max_length=2000)


class DisputeIn(BaseModel):
    """Open a case by hand: a rep claims a win credited to someone else (`deal_id`, DSP-1), CS
    finds the same company in two private pools (`customer_id` + `other_customer_id`, DSP-2), or a
    rep asks for a customer they developed that someone else protects (`customer_id` alone, CUS-20)."""

    model_config = ConfigDict(extra="forbid")
    deal_id: Id | None = None
    customer_id: Id | None = None
    other_customer_id: Id | None = None
    reason: str = Field(min_length=1, max_length=2000)
