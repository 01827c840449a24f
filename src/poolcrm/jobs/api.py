from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from poolcrm.jobs.service import run_daily
from poolcrm.web.deps import DB, AdminUser, get_database
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["jobs"])


class RunDailyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: date | None = None


@router.post("/jobs/run-daily")
def run_daily_endpoint(
    request: Request, admin: AdminUser, db: DB, body: RunDailyIn | None = None
) -> dict[str, Any]:
    db.commit()  # end the request's transaction: the job runs its own, one per step
    result = run_daily(get_database(request), body.as_of if body else None, actor_id=admin.id)
    for key in ("recycled", "warned", "to_public"):
        result.setdefault(key, [])
    return result
