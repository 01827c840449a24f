from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from poolcrm.policy import service
from poolcrm.policy.rules import parameter_catalogue
from poolcrm.web.deps import DB, AdminUser, CurrentUser
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["policy"])


@router.get("/policy")
def get_policy(user: CurrentUser, db: DB) -> dict[str, Any]:
    return service.get_policy(db).model_dump()


@router.get("/policy/catalogue")
def catalogue(user: CurrentUser) -> list[dict[str, Any]]:
    return parameter_catalogue()


@router.patch("/policy")
def patch_policy(admin: AdminUser, db: DB, changes: dict[str, Any] = Body(...)) -> dict[str, Any]:
    reason = changes.pop("_reason", None)
    return service.update_policy(db, admin.id, changes, reason=reason).model_dump()
