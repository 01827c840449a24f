"""Inbound console for customer service (IN-1, IN-2): type the caller's company or phone, see at
once what happens and why, and the log of today's items."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from poolcrm.errors import AppError
from poolcrm.inbound import rules, service
from poolcrm.inbound.schemas import InboundIn
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)


def _console(request: Request, user: User, db: Any, lang: str, **ctx: Any) -> HTMLResponse:
    items = [service.item_out(db, i, lang) for i in service.console_items(db, user)]
    ctx.setdefault("values", {"kind": "call"})
    return page(
        request,
        "inbound/console.html",
        db=db,
        items=items,
        outcome_names=service.OUTCOME_NAMES,
        kind_names=service.KIND_NAMES,
        can_record=rules.records_inbound(user.roles),
        tz=ZoneInfo(get_policy(db).timezone),
        **ctx,
    )


@router.get("/inbound", response_class=HTMLResponse)
def console(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    item: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """The console; `item` (where the form redirects) shows that item's result card."""
    result = service.item_out(db, service.get_item(db, user, item), lang) if item else None
    return _console(request, user, db, lang, result=result)


@router.post("/inbound", response_model=None)
def record(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    company: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "call",
    need: Annotated[str, Form()] = "",
) -> Response:
    """IN-1/IN-2 from the form, then POST-redirect-GET to the console whose result card says what
    happened and why (a refresh never records the call twice); bad input re-renders with 422."""
    values = {"company": company, "phone": phone, "kind": kind, "need": need}
    try:
        data = InboundIn.model_validate(  # `kind` is checked against its literals here
            {
                "company": company.strip(),
                "phone": phone.strip() or None,
                "kind": kind,
                "need": need.strip() or None,
            }
        )
    except ValidationError as exc:
        fields = {
            str(e["loc"][0]): "必填" if e["type"] == "string_too_short" else "格式不正确"
            for e in exc.errors()
        }
        return _console(
            request, user, db, lang, values=values, errors=fields, flash_kind="error", status_code=422
        )
    try:
        item = service.record_inbound(db, user, data, lang=lang)
    except AppError as exc:
        db.rollback()
        message = str(exc.render(lang)["error"]["message"])
        errors = exc.details.get("fields", {}) if exc.status == 422 else {}
        return _console(
            request,
            user,
            db,
            lang,
            values=values,
            errors=errors,
            flash=message,
            flash_kind="error",
            status_code=exc.status,
        )
    return RedirectResponse(f"/inbound?item={item.id}", status_code=303)
