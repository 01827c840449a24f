from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.clock import EARLIEST_DATE, LATEST_DATE
from poolcrm.db import Id

FIRST_MONTH = EARLIEST_DATE.year * 100 + 1
LAST_MONTH = LATEST_DATE.year * 100 + 12
"""The months (yyyymm) an assessment may be asked for, on the API and the page alike: those of
the business range (SEC-1, `clock.EARLIEST_DATE`..`LATEST_DATE`)."""


class ViolationIn(BaseModel):
    """VIO-1: CS or a manager records a violation with its evidence."""

    model_config = ConfigDict(extra="forbid")
    user_id: Id
    kind: Literal["forced_duplicate", "invalid_customer", "fake_followup", "rule_breach", "concealment"]
    evidence: str = Field(min_length=1, max_length=4000)
    refs: dict[str, Any] | None = None


class VerdictIn(BaseModel):
    """VIO-2: CS's verdict on a spot-checked follow-up."""

    model_config = ConfigDict(extra="forbid")
    verdict: Literal["valid", "fake"]
    note: str | None = Field(default=None, max_length=2000)
