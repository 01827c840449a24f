from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from poolcrm.applications import bulk, service
from poolcrm.applications.schemas import ApplicationOut, RejectIn
from poolcrm.db import MAX_ID, MAX_SELECTION, Id
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["applications"])


class DecisionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    application_ids: list[Annotated[Id, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_SELECTION
    )
    action: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/applications/decisions")
def decide_many(body: DecisionsIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """CUS-9: approve or reject several applications in one transaction; per application, the
    decision or the refusal with its rule (nobody decides their own request)."""
    decisions = bulk.decide_many(
        db, user, body.application_ids, approve=body.action == "approve", reason=body.reason
    )
    return {
        "decided": [
            ApplicationOut.of(d.application).model_dump(mode="json") for d in decisions if d.application
        ],
        "refused": [
            {"application_id": d.application_id, **d.refusal.item(lang)}
            for d in decisions
            if d.refusal is not None
        ],
    }


@router.get("/applications")
def list_applications(
    user: CurrentUser,
    db: DB,
    status: str | None = None,
    kind: str | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    rows, total, capped = service.list_applications(
        db, user, status=status, kind=kind, page=page, page_size=page_size
    )
    items = [ApplicationOut.of(a).model_dump(mode="json") for a in rows]
    return {"items": items, "total": total, "total_capped": capped}  # LIST-2: "1000+"


@router.get("/applications/{app_id}", response_model=ApplicationOut)
def get_application(app_id: int, user: CurrentUser, db: DB) -> ApplicationOut:
    return ApplicationOut.of(service.get_visible(db, app_id, user))


@router.post("/applications/{app_id}/approve", response_model=ApplicationOut)
def approve(
    app_id: int, user: CurrentUser, db: DB, body: dict[str, Any] | None = Body(default=None)
) -> ApplicationOut:
    return ApplicationOut.of(service.approve(db, app_id, user))


@router.post("/applications/{app_id}/reject", response_model=ApplicationOut)
def reject(app_id: int, body: RejectIn, user: CurrentUser, db: DB) -> ApplicationOut:
    return ApplicationOut.of(service.reject(db, app_id, user, body.reason))
