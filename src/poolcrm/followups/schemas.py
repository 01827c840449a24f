from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id
from poolcrm.followups.models import METHOD_LENGTH, SUBJECT_LENGTH


class FollowUpIn(BaseModel):
    """FU-3 fields. The creation time is the server's; `contact_at` is when the contact happened."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(default="", max_length=SUBJECT_LENGTH)
    content: str = Field(default="", max_length=10000)
    method: str | None = Field(default=None, max_length=METHOD_LENGTH)
    contact_id: Id | None = None
    attitude: str | None = Field(default=None, max_length=10)
    next_followup_on: date | None = None
    contact_at: datetime | None = None
    result_status: str | None = Field(default=None, max_length=20)


class ReasonOut(BaseModel):
    rule: str
    clause: str = ""
    message: str


class FollowUpCreated(BaseModel):
    id: int
    valid: bool
    invalid_reasons: list[ReasonOut]
    created_at: datetime
