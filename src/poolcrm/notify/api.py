from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from poolcrm.notify import service
from poolcrm.web.deps import DB, CurrentUser, Lang

router = APIRouter(tags=["notifications"])


@router.get("/notifications")
def list_notifications(user: CurrentUser, db: DB, lang: Lang, unread: bool = False) -> dict[str, Any]:
    notes = service.list_for(db, user.id, unread_only=unread)
    return {
        "unread": service.unread_count(db, user.id),
        "items": [
            {
                "id": n.id,
                "kind": n.kind,
                "message": service.render(n, lang),
                "link": n.link,
                "rule": n.rule,
                "created_at": n.created_at.isoformat(),
                "read": n.read_at is not None,
            }
            for n in notes
        ],
    }


@router.post("/notifications/{note_id}/read")
def mark_read(note_id: int, user: CurrentUser, db: DB) -> dict[str, int]:
    return {"marked": service.mark_read(db, user.id, note_id)}


@router.post("/notifications/read-all")
def mark_all_read(user: CurrentUser, db: DB) -> dict[str, int]:
    return {"marked": service.mark_read(db, user.id)}
