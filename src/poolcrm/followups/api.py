from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from poolcrm import clock
from poolcrm.db import Id
from poolcrm.followups import authorship, service
from poolcrm.followups.models import SUBJECT_LENGTH
from poolcrm.followups.schemas import FollowUpCreated, FollowUpIn, ReasonOut
from poolcrm.i18n import translate
from poolcrm.policy.service import get_policy
from poolcrm.sheets import attachment, stamped_name
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["followups"])


@router.post("/customers/{customer_id}/followups", status_code=201, response_model=FollowUpCreated)
def create_followup(
    customer_id: int, body: FollowUpIn, user: CurrentUser, db: DB, lang: Lang
) -> FollowUpCreated:
    """FU-1..3: stored even when invalid (201), with the reasons (FU-1)."""
    service.check_writer(db, user, customer_id)
    f = service.record_followup(db, customer_id=customer_id, author_id=user.id, **body.model_dump())
    return FollowUpCreated(
        id=f.id,
        valid=f.valid,
        created_at=f.created_at,
        invalid_reasons=[ReasonOut(**r) for r in service.reason_list(f, lang)],
    )


@router.get("/customers/{customer_id}/followups", response_model=None)
def list_followups(
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    valid: bool | None = None,
    subject: str | None = None,
    author_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    q: str | None = None,
    format: str = "json",
) -> Any:
    """FU-6: filter the history; `format=xlsx` exports it (audited)."""
    rows = service.list_followups(
        db,
        user,
        customer_id,
        valid=valid,
        subject=subject,
        author_id=author_id,
        since=since,
        until=until,
        q=q,
    )
    if format == "xlsx":
        data = service.export_xlsx(db, user, customer_id, rows, lang)
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=attachment(
                stamped_name(f"followups-{customer_id}", clock.local(clock.now(), get_policy(db).timezone))
            ),
        )
    return {"items": [service.followup_out(db, f, lang) for f in rows], "total": len(rows)}


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Id | None = None
    subject: str | None = Field(default=None, max_length=SUBJECT_LENGTH)
    content: str | None = Field(default=None, max_length=10000)


@router.post("/followups/preview")
def preview(body: PreviewIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """FU-1 live check: counted characters and why the text would be invalid."""

    result = service.validity_preview(db, user, body.customer_id, body.subject, body.content)
    return {
        "count": result["count"],
        "min": result["min"],
        "valid": result["valid"],
        "reasons": [
            {"rule": r.rule, "clause": r.clause, "message": translate(r.message, lang, **r.params)}
            for r in result["reasons"]
        ],
    }


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author_id: Id
    reason: str | None = Field(default=None, max_length=500)


@router.post("/followups/{followup_id}/author")
def change_author(followup_id: int, body: AuthorIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """FU-3: the author becomes another member of the same team (audited)."""
    f = authorship.change_author(db, user, followup_id, body.author_id, body.reason)
    return service.followup_out(db, f, lang)
