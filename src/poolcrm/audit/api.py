from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from poolcrm.audit import service
from poolcrm.web.deps import DB, AdminUser
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["audit"])


@router.get("/audit")
def list_audit(
    admin: AdminUser,
    db: DB,
    actor_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    rule: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    rows, total, capped = service.search(
        db,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        rule=rule,
        since=since,
        until=until,
        page=page,
        page_size=page_size,
    )
    items = [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "actor_id": r.actor_id,
            "action": r.action,
            "object_type": r.object_type,
            "object_id": r.object_id,
            "before": r.before,
            "after": r.after,
            "rule": r.rule,
            "reason": r.reason,
        }
        for r in rows
    ]
    return {"items": items, "total": total, "total_capped": capped}  # LIST-2: "1000+"
