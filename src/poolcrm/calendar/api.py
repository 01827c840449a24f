from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from poolcrm import clock
from poolcrm.calendar import service
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.web.deps import DB, AdminUser, CurrentUser, get_settings
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["calendar"])


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date
    workday: bool
    note: str | None = Field(default=None, max_length=200)


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: datetime

    @field_validator("now", mode="before")
    @classmethod
    def _iso_only(cls, value: object) -> object:
        """CAL-2: an ISO date-time with its zone — never a number read as a Unix time."""
        if not isinstance(value, str) or value.strip().isdigit():
            raise ValueError("需要 ISO 格式的时间，例如 2026-11-10T09:00:00+08:00")
        return value


@router.post("/calendar/overrides", status_code=201)
def add_override(body: OverrideIn, admin: AdminUser, db: DB) -> dict[str, Any]:
    row = service.set_override(db, admin.id, body.date, body.workday, body.note)
    return {"date": row.day.isoformat(), "workday": row.workday, "note": row.note}


@router.get("/calendar/overrides")
def list_overrides(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    return [
        {"date": r.day.isoformat(), "workday": r.workday, "note": r.note} for r in service.list_overrides(db)
    ]


@router.get("/calendar/workdays")
def get_workdays(
    user: CurrentUser, db: DB, start: date = Query(...), end: date = Query(...)
) -> dict[str, Any]:
    return {"workdays": [d.isoformat() for d in service.workdays(db, start, end)]}


def _require_test_clock(request: Request) -> None:
    if not get_settings(request).test_clock:
        raise NotFound()


@router.put("/admin/clock")
def set_clock(body: ClockIn, request: Request, admin: AdminUser, db: DB) -> dict[str, str]:
    """CAL-2 test clock: only when the server started with POOLCRM_TEST_CLOCK=1."""
    _require_test_clock(request)
    if body.now.tzinfo is None:
        raise InvalidInput({"now": "时间需要带时区，例如 2026-11-10T09:00:00+08:00"})
    clock.set_now(body.now)
    return {"now": service.share_test_clock(db).isoformat()}


@router.delete("/admin/clock")
def reset_clock(request: Request, admin: AdminUser, db: DB) -> dict[str, str]:
    _require_test_clock(request)
    clock.reset()
    return {"now": service.share_test_clock(db).isoformat()}


@router.get("/admin/clock")
def read_clock(request: Request, admin: AdminUser) -> dict[str, str]:
    """CAL-2 test clock: the time this server process runs on (every process follows the last set)."""
    _require_test_clock(request)
    return {"now": clock.now().isoformat()}
