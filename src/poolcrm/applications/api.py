from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query

from poolcrm.applications import service
from poolcrm.applications.schemas import ApplicationOut, RejectIn
from poolcrm.web.deps import DB, CurrentUser

router = APIRouter(tags=["applications"])


@router.get("/applications")
def list_applications(
    user: CurrentUser,
    db: DB,
    status: str | None = None,
    kind: str | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    rows, total = service.list_applications(
        db, user, status=status, kind=kind, page=page, page_size=page_size
    )
    return {"items": [ApplicationOut.of(a).model_dump(mode="json") for a in rows], "total": total}


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
