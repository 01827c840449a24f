from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id
from poolcrm.duty import service
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["duty"])


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_ids: list[Id] = Field(default_factory=list, max_length=200)
    reason: str | None = Field(default=None, max_length=500)


@router.get("/duty/today")
def duty_today(user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """IN-3: who is on duty today (dealing order) and why each rep is or is not eligible."""
    return service.today_out(db, user, lang=lang)


@router.get("/duty/days/{day}")
def duty_day(day: date, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """IN-3: the same for any day (its week's roster is computed on first use)."""
    return service.today_out(db, user, day, lang=lang)


@router.put("/duty/overrides/{day}")
def set_override(day: date, body: OverrideIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """IN-3: an admin sets who is on duty on a day (an empty list lifts the override)."""
    row = service.set_override(db, user, day, body.user_ids, body.reason)
    return {"day": row.day, "user_ids": row.user_ids, "active": row.active, "reason": row.reason}


class ReinstateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: Id
    reason: str | None = Field(default=None, max_length=500)


@router.post("/duty/reinstatements", status_code=201)
def reinstate(body: ReinstateIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """VIO-2: a sales manager or the GM puts a rep excluded for fake follow-ups back on the roster."""
    row = service.reinstate(db, user, body.user_id, body.reason)
    return {"id": row.id, "user_id": row.user_id, "reason": row.reason, "at": row.at.isoformat()}
