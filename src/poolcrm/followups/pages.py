"""Follow-up pages: the customer's follow-up section with the FU-2 form (subjects, A/B/C/D
template) and a live FU-1 check as the rep types (htmx)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from poolcrm.errors import AppError
from poolcrm.followups import rules, service
from poolcrm.i18n import translate
from poolcrm.ownership.countdown import recycle_info
from poolcrm.policy.service import get_policy
from poolcrm.pools.pages import common
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)


def _section(
    request: Request,
    db: DB,
    user: CurrentUser,
    lang: str,
    customer_id: int,
    result: object = None,
    error: str | None = None,
) -> HTMLResponse:
    rows = service.list_followups(db, user, customer_id)
    customer = service.followup_customer(db, user, customer_id)
    try:
        service.check_writer(db, user, customer_id)
        can_write = True
    except AppError:
        can_write = False
    template = "followups/section.html" if request.headers.get("HX-Request") else "followups/page.html"
    return page(
        request,
        template,
        db=db,
        customer=customer,
        rows=[service.followup_out(db, f, lang) for f in rows],
        can_write=can_write,
        subjects=rules.SUBJECTS,
        attitudes=rules.ATTITUDES,
        results=rules.RESULT_STATUSES,
        template_text=rules.TEMPLATE,
        result=result,
        error=error,
        info=recycle_info(db, customer) if customer else None,
        min_chars=get_policy(db).followup_min_chars,
        **common(db),
    )


@router.get("/customers/{customer_id}/followups", response_class=HTMLResponse)
def followups(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    done: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """FU-6 history with the form; as an htmx request only the section (for the customer page).
    `done` (where the form redirects): that follow-up's verdict above the form (FU-1)."""
    found = [f for f in service.list_followups(db, user, customer_id) if f.id == done] if done else []
    result = service.followup_out(db, found[0], lang) if found else None
    return _section(request, db, user, lang, customer_id, result=result)


@router.post("/customers/{customer_id}/followups", response_model=None)
def create(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    subject: Annotated[str, Form()] = "",
    content: Annotated[str, Form()] = "",
    attitude: Annotated[str, Form()] = "",
    result_status: Annotated[str, Form()] = "",
    next_followup_on: Annotated[str, Form()] = "",
    method: Annotated[str, Form()] = "",
) -> Response:
    """FU-1: the follow-up is stored (valid or not), then POST-redirect-GET to the follow-ups with
    its verdict (a refresh stores nothing twice); an htmx post gets the section in place."""
    try:
        service.check_writer(db, user, customer_id)
        f = service.record_followup(
            db,
            customer_id=customer_id,
            author_id=user.id,
            subject=subject,
            content=content,
            method=method or None,
            attitude=attitude or None,
            result_status=result_status or None,
            next_followup_on=date.fromisoformat(next_followup_on) if next_followup_on else None,
        )
    except AppError as exc:
        db.rollback()
        return _section(request, db, user, lang, customer_id, error=exc.render(lang)["error"]["message"])
    except ValueError:
        db.rollback()
        return _section(request, db, user, lang, customer_id, error=translate("下次跟进日期格式不正确", lang))
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"/customers/{customer_id}/followups?done={f.id}", status_code=303)
    return _section(request, db, user, lang, customer_id, result=service.followup_out(db, f, lang))


@router.post("/followups/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    customer_id: Annotated[int, Form()] = 0,
    subject: Annotated[str, Form()] = "",
    content: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """FU-1 as the rep types: how many characters count and why it would be invalid."""
    result = service.validity_preview(db, user, customer_id or None, subject, content)
    reasons = [{"rule": r.rule, "message": translate(r.message, lang, **r.params)} for r in result["reasons"]]
    return page(
        request,
        "followups/_preview.html",
        count=result["count"],
        min=result["min"],
        valid=result["valid"],
        reasons=reasons,
    )
