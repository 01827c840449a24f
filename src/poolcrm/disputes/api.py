from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from poolcrm.disputes import service
from poolcrm.disputes.schemas import DecideIn, DisputeIn
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["disputes"])


@router.get("/disputes")
def list_disputes(
    user: CurrentUser, db: DB, lang: Lang, status: Literal["open", "decided"] | None = None
) -> list[dict[str, Any]]:
    """DSP-1/DSP-2: cases with the system's recommendation and its evidence."""
    return [service.dispute_out(db, d, lang) for d in service.list_disputes(db, user, status)]


@router.post("/disputes", status_code=201)
def open_dispute(body: DisputeIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """DSP-1: a rep claims a win credited to someone else; DSP-2: the same company in two private pools."""
    return service.dispute_out(db, service.open_dispute(db, user, body), lang)


@router.get("/disputes/{dispute_id}")
def get_dispute(dispute_id: int, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    return service.dispute_out(db, service.get_dispute(db, user, dispute_id), lang)


@router.post("/disputes/{dispute_id}/decide")
def decide(dispute_id: int, body: DecideIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """DSP-1/DSP-2: the GM decides; the decision and its reason are recorded and credited."""
    return service.dispute_out(
        db, service.decide(db, user, dispute_id, body.winner_user_id, body.reason), lang
    )
