from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from poolcrm.applications.schemas import ApplicationOut
from poolcrm.customers.access import customer_for_read
from poolcrm.db import MAX_ID, MAX_SELECTION, Id
from poolcrm.ownership.countdown import recycle_info
from poolcrm.ownership.usage import pool_usage
from poolcrm.pools import allocation, bulk_claim, common, forecast, history, locks
from poolcrm.pools import claim as pools_claim
from poolcrm.pools import departures as pools_departures
from poolcrm.pools import release as pools_release
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["pools"])


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remark: str | None = Field(default=None, max_length=2000)
    corrections: dict[str, Any] | None = None


class BulkClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[Annotated[Id, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=MAX_SELECTION)
    remark: str | None = Field(default=None, max_length=2000)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class LockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: date
    reason: str | None = Field(default=None, max_length=500)


class PlanItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Id
    to_user_id: Id


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[PlanItemIn] | None = None
    rule: Literal["round_robin"] | None = None
    customer_ids: list[Id] | None = None
    reason: str | None = Field(default=None, max_length=2000)


class ReallocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[PlanItemIn] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=2000)
    departure_task_id: Id | None = None


class RejectPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class ForecastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: dict[str, Any] = Field(default_factory=dict)


@router.post("/customers/{customer_id}/claim", status_code=201, response_model=ApplicationOut)
def claim(customer_id: int, user: CurrentUser, db: DB, body: ClaimIn | None = None) -> ApplicationOut:
    """POOL-4: apply to protect a public customer (checks POOL-1/2/3/13/14 in this transaction)."""
    body = body or ClaimIn()
    return ApplicationOut.of(
        pools_claim.claim(db, user, customer_id, remark=body.remark, corrections=body.corrections)
    )


@router.get("/pools/public")
def public_pool(
    user: CurrentUser,
    db: DB,
    q: Annotated[str | None, Query(max_length=200)] = None,
    region: Annotated[str | None, Query(max_length=50)] = None,
    industry: Annotated[str | None, Query(max_length=50)] = None,
    source: Annotated[str | None, Query(max_length=50)] = None,
    min_days: Annotated[int | None, Query(ge=0, le=history.MAX_POOL_DAYS)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
) -> dict[str, Any]:
    """The public pool, newest first, filtered in SQL (region, industry, source, days in pool) and
    searched by name or code; `applied`: the caller's claim is pending."""
    filters = {"region": region, "industry": industry, "source": source, "min_days": min_days}
    rows, total, capped = history.public_rows(db, user, q, page, filters=filters)
    return {
        "total": total,
        "total_capped": capped,  # True: at least `total` match ("1000+")
        "items": [
            {
                "id": r["customer"].id,
                "code": r["customer"].code,
                "name": r["customer"].name,
                "region": r["customer"].region,
                "industry": r["customer"].industry,
                "source": r["customer"].source,
                "pool_entered_at": r["customer"].pool_entered_at,
                "applied": r["applied"],
            }
            for r in rows
        ],
    }


@router.post("/pools/public/claims")
def claim_many(body: BulkClaimIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """POOL-4/14: apply for several public customers in one transaction; per customer, the
    application opened or the refusal with its rule (invisible customers: not found)."""
    outcomes = bulk_claim.bulk_claim(db, user, body.customer_ids, remark=body.remark)
    return {
        "claimed": [
            {"customer_id": o.customer_id, "application": ApplicationOut.of(o.application)}
            for o in outcomes
            if o.application is not None
        ],
        "refused": [
            {"customer_id": o.customer_id, **o.refusal.item(lang)} for o in outcomes if o.refusal is not None
        ],
    }


@router.post("/customers/{customer_id}/release")
def release(customer_id: int, body: ReleaseIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-5: give a customer up — a pending request to the supervisor when policy says so."""
    return pools_release.release(db, user, customer_id, body.reason)


@router.get("/customers/{customer_id}/recycle")
def recycle_countdown(customer_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-16: the countdown, by the daily job's own function."""
    customer = customer_for_read(db, user, customer_id)
    info = recycle_info(db, customer)
    if info is None:
        return {"recycle_due_on": None, "workdays_left": None, "red": False}
    return {
        "recycle_due_on": info.due_on,
        "workdays_left": info.left,
        "red": info.red,
        "threshold": info.threshold,
        "anchor": info.anchor,
        "rule": "POOL-6",
    }


@router.post("/customers/{customer_id}/lock")
def lock(customer_id: int, body: LockIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-11: a supervisor locks a customer (exempt from POOL-6) until a date."""
    c = locks.lock_customer(db, user, customer_id, body.until, body.reason)
    return {"customer_id": c.id, "locked_until": c.locked_until}


@router.delete("/customers/{customer_id}/lock")
def unlock(customer_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    c = locks.unlock_customer(db, user, customer_id)
    return {"customer_id": c.id, "locked_until": None}


@router.get("/pools/mine")
def my_pool(user: CurrentUser, db: DB, owner_id: int | None = None) -> dict[str, Any]:
    """POOL-16: the rep's private pool, soonest recycle first, with the usage figures (POOL-2)."""

    rows = history.pool_rows(db, user, owner_id)
    return {
        "usage": pool_usage(db, user),
        "items": [
            {
                "id": r["customer"].id,
                "code": r["customer"].code,
                "name": r["customer"].name,
                "recycle_due_on": r["info"].due_on if r["info"] else None,
                "workdays_left": r["info"].left if r["info"] else None,
                "red": bool(r["info"] and r["info"].red),
                "member": r["member"],
                "locked_until": r["customer"].locked_until,
                "first_contact_overdue": r["first_contact_overdue"],
            }
            for r in rows
        ],
    }


@router.get("/allocation/bin")
def allocation_bin(
    user: CurrentUser,
    db: DB,
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(allocation.BIN_PAGE, ge=1, le=500),
) -> dict[str, Any]:
    """POOL-7: customers waiting for allocation, longest waiting first, a page at a time, with
    when they go public and who gave them up; `total` counts them (up to `db.COUNT_CAP`)."""
    items = allocation.bin_rows(db, user, limit=page_size, offset=(page - 1) * page_size)
    total, capped = allocation.bin_total(db)
    return {"items": items, "total": total, "total_capped": capped, "page": page, "page_size": page_size}


@router.get("/allocation/plans")
def list_plans(user: CurrentUser, db: DB, status: str | None = None) -> dict[str, Any]:
    return {"items": [allocation.plan_out(db, p) for p in allocation.list_plans(db, user, status)]}


@router.post("/allocation/plans", status_code=201)
def create_plan(body: PlanIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-7: the GM's plan — explicit items, or `rule: "round_robin"` over eligible reps."""
    plan = allocation.create_plan(
        db,
        user,
        items=[i.model_dump() for i in body.items or []],
        round_robin=body.rule == "round_robin",
        customer_ids=body.customer_ids,
        reason=body.reason,
    )
    return allocation.plan_out(db, plan)


@router.get("/allocation/plans/{plan_id}")
def get_plan(plan_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return allocation.plan_out(db, allocation.read_plan(db, user, plan_id))


@router.post("/allocation/plans/{plan_id}/approve")
def approve_plan(plan_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-7 (GM) / POOL-9 (GM and sales manager)."""
    return allocation.plan_out(db, allocation.approve_plan(db, user, plan_id))


@router.post("/allocation/plans/{plan_id}/reject")
def reject_plan(plan_id: int, body: RejectPlanIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return allocation.plan_out(db, allocation.reject_plan(db, user, plan_id, body.reason))


@router.post("/allocation/plans/{plan_id}/execute")
def execute_plan(plan_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-7/9: CS executes; POOL-2 re-checked per target."""
    return allocation.plan_out(db, allocation.execute_plan(db, user, plan_id))


@router.post("/allocation/reallocations", status_code=201)
def create_reallocation(body: ReallocationIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-9/POOL-10: move customers between reps; GM and sales manager approve, CS executes."""
    plan = allocation.create_reallocation(
        db, user, [i.model_dump() for i in body.items], body.reason, body.departure_task_id
    )
    return allocation.plan_out(db, plan)


@router.get("/allocation/departures")
def departures(user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-10: open distribution tasks of reps who left sales."""
    return {
        "items": [
            {
                "id": t.id,
                "user": common.user_brief(db, t.user_id),
                "supervisor": common.user_brief(db, t.supervisor_id),
                "status": t.status,
                "due_on": t.due_on,
                "escalated_to": common.user_brief(db, t.escalated_to),
            }
            for t in pools_departures.departure_tasks(db, user)
        ]
    }


@router.post("/policy/forecast")
def policy_forecast(body: ForecastIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """POOL-18: what the changed numbers would do tomorrow, before saving them."""
    return forecast.forecast(db, user, body.changes)
