"""GOV-5 endpoints: my verification task list, a team's progress, verify or correct a customer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from poolcrm.db import COUNT_CAP
from poolcrm.quality import dashboard, verification
from poolcrm.quality.schemas import VerifyIn
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["quality"])


def _period(period: Any) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


@router.get("/verification")
def verification_tasks(
    user: CurrentUser,
    db: DB,
    owner_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """GOV-5: the customers whose contact details are still to verify this period."""
    found = verification.tasks(db, user, owner_id, limit)
    return {
        "period": _period(found.period),
        "owner_id": found.owner.id,
        "total": found.total,
        "done": found.done,
        "items": [
            {
                "id": c.id,
                "code": c.code,
                "name": c.name,
                "contact_name": c.contact_name,
                "contact_position": c.contact_position,
                "phone": c.phone,
                "mobile": c.mobile,
                "email": c.email,
            }
            for c in found.items
        ],
    }


@router.get("/verification/progress")
def verification_progress(user: CurrentUser, db: DB) -> dict[str, Any]:
    """GOV-5: per rep in the viewer's team, customers held and verified this period."""
    period, rows = verification.progress(db, user)
    return {
        "period": _period(period),
        "items": [
            {
                "owner_id": r.owner_id,
                "name": r.name,
                "department": r.department,
                "total": r.total,
                "done": r.done,
            }
            for r in rows
        ],
    }


@router.post("/customers/{customer_id}/verify")
def verify_customer(
    customer_id: int, body: VerifyIn, user: CurrentUser, db: DB, lang: Lang
) -> dict[str, Any]:
    """GOV-5: the contact details are right (empty body), or these fields are corrected."""
    corrections = body.model_dump(exclude_unset=True, exclude={"note"})
    entry = verification.verify(db, user, customer_id, corrections, body.note, lang=lang)
    return {
        "customer_id": customer_id,
        "outcome": entry.outcome,
        "fields": entry.fields,
        "at": entry.at.isoformat(),
    }


@router.get("/quality")
def quality_board(user: CurrentUser, db: DB) -> dict[str, Any]:
    """GOV-4: the data-quality figures of the reps the user sees, and their 12-month trend."""
    found = dashboard.board(db, user)
    return {
        "as_of": found.as_of.isoformat() if found.as_of else None,
        "total": found.total,
        "counts": found.counts,
        "rows": [
            {
                "owner_id": r.owner_id,
                "name": r.name,
                "department": r.department,
                "total": r.total,
                "counts": r.counts,
            }
            for r in found.rows
        ],
        "trend": found.trend,
    }


@router.get("/quality/list")
def quality_list(
    user: CurrentUser,
    db: DB,
    check: Annotated[str, Query(max_length=40)],
    owner_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """GOV-4: the customers behind one figure, live."""
    found, items, total = dashboard.drill(db, user, check, owner_id, limit)
    return {
        "check": found.key,
        "rule": found.rule,
        "total": min(total, COUNT_CAP),
        "capped": total > COUNT_CAP,
        "items": [{"id": c.id, "code": c.code, "name": c.name, "owner_id": c.owner_id} for c in items],
    }
