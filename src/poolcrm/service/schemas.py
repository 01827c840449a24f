"""Service desk requests (API.md § Service desk)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    contact_id: Id | None = None
    kind: str = Field(max_length=20)
    request_type: str = Field(max_length=20)
    priority: str = Field("medium", max_length=10)
    description: str = Field(max_length=5000)
    product: str | None = Field(None, max_length=200)
    emotion: str | None = Field(None, max_length=12)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    reassign: bool = False


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=5000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: str = Field(max_length=5000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_confirmed: bool = False


class AbandonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000)


class ReviewIn(BaseModel):
    """SVC-5: the weekly review's cause, improvement action and whether it was carried out."""

    model_config = ConfigDict(extra="forbid")

    cause: str = Field(max_length=40)
    action: str = Field("", max_length=2000)
    done: bool = False


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int
    comment: str = Field("", max_length=1000)
