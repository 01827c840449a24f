from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from poolcrm.violations import assessments as monthly
from poolcrm.violations import service
from poolcrm.violations.schemas import FIRST_MONTH, LAST_MONTH, VerdictIn, ViolationIn
from poolcrm.web.deps import DB, CurrentUser
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["violations"])


@router.post("/violations", status_code=201)
def record_violation(body: ViolationIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """VIO-1: record a violation with evidence (2nd: written warning, 3rd: dismissal proposal)."""
    v = service.record_by(db, user, body.user_id, body.kind, body.evidence, body.refs)
    return service.violation_out(db, v)


@router.get("/violations")
def list_violations(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    """VIO-1: violations of the reps the caller may see (ORG-5)."""
    return [service.violation_out(db, v) for v in service.list_violations(db, user)]


@router.get("/users/{user_id}/violations")
def user_violations(user_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    """VIO-1: a rep's violations — `count`, `level` (none | warning | dismissal) and the items."""
    return service.violations_of(db, user, user_id)


@router.get("/spot-checks")
def spot_checks(
    user: CurrentUser, db: DB, status: Literal["pending", "valid", "fake"] | None = "pending"
) -> list[dict[str, Any]]:
    """VIO-2: the follow-ups drawn for CS's spot check."""
    return service.spot_checks_out(db, service.list_spot_checks(db, user, status))


@router.post("/spot-checks/{spot_id}/verdict")
def spot_check_verdict(spot_id: int, body: VerdictIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """VIO-2: valid or fake; a fake one is invalidated, recorded (VIO-1) and takes the rep off duty."""
    return service.spot_check_out(db, service.decide_spot_check(db, user, spot_id, body.verdict, body.note))


@router.get("/assessments")
def assessments(
    user: CurrentUser, db: DB, month: int | None = Query(None, ge=FIRST_MONTH, le=LAST_MONTH)
) -> list[dict[str, Any]]:
    """VIO-3: monthly data-quality assessments (drafts for supervisors, published ones for the team)."""
    return monthly.assessments_out(db, user, month)


@router.post("/assessments/{assessment_id}/confirm")
def confirm(assessment_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    """VIO-3: the supervisor confirms; the score is published to the team."""
    return monthly.assessment_out(db, monthly.confirm_assessment(db, user, assessment_id))
