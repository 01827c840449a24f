from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from poolcrm.inbound import service
from poolcrm.inbound.schemas import InboundIn, InboundOut
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["inbound"])


@router.post("/inbound", status_code=201, response_model=InboundOut)
def record_inbound(body: InboundIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """IN-1/IN-2: CS records an inbound call or trial request; the outcome says what happened and why."""
    item = service.record_inbound(db, user, body, lang=lang)
    return service.item_out(db, item, lang)


@router.get("/inbound", response_model=list[InboundOut])
def list_inbound(
    user: CurrentUser,
    db: DB,
    lang: Lang,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """IN-1: the inbound log, newest first (a rep sees the items that came to them)."""
    return [service.item_out(db, i, lang) for i in service.list_items(db, user, limit=limit, offset=offset)]


@router.get("/inbound/{item_id}", response_model=InboundOut)
def get_inbound(item_id: int, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    return service.item_out(db, service.get_item(db, user, item_id), lang)
