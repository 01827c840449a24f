"""Duty roster page (IN-3): who is on duty today and why each rep is or is not eligible; the
fallback says so; an admin overrides a day."""

from __future__ import annotations

from datetime import date
from operator import itemgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from poolcrm.duty import rules, service
from poolcrm.errors import AppError, InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import sales_rep_people
from poolcrm.org.teams import team_view
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import banner_kind, flash_redirect, refusal_banner, whole_number
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
SOURCE_NAMES = {
    "ranking": "按上周业绩排名轮流",
    "groups": "销售组轮值",
    "override": "管理员指定",
    "fallback": "全体销售轮流（无人符合值班条件）",
}


def _render(
    request: Request, user: User, db: Any, lang: str, day: date | None = None, **ctx: Any
) -> HTMLResponse:
    data = service.today_out(db, user, day, lang=lang)
    rows = data["eligible"]
    view = team_view(db, [e["id"] for e in rows], whole_number(request.query_params.get("team", "")))
    on_duty = {r["id"] for r in data["on_duty"]}
    lines = view.lines(
        rows,
        itemgetter("id"),
        lambda mine: {
            "reps": len(mine),
            "eligible": sum(1 for e in mine if e["eligible"]),
            "on_duty": sum(1 for e in mine if e["id"] in on_duty),
        },
    )
    return page(
        request,
        "duty/roster.html",
        db=db,
        data=data,
        teams=view,
        lines=lines,
        rows=view.shown(rows, itemgetter("id")),
        on_duty=view.first_page(data["on_duty"], itemgetter("id")),
        source_names=SOURCE_NAMES,
        reps=sales_rep_people(db) if user.has_role("admin") else [],
        may_reinstate=rules.reinstates(user.roles),
        **ctx,
    )


@router.get("/duty", response_class=HTMLResponse)
def roster(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    day: date | None = None,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    return _render(request, user, db, lang, day, flash=flash, flash_kind=banner_kind(flash_kind))


@router.post("/duty/override", response_model=None)
def override(
    form: FormBody,
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    day: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            on = date.fromisoformat(day)
        except ValueError as exc:
            raise InvalidInput({"day": "日期格式应为 YYYY-MM-DD"}, rule="IN-3") from exc
        ids = [i for i in (whole_number(v) for v in form.getlist("user_ids")) if i is not None]
        service.set_override(db, user, on, ids, reason.strip() or None)
    except AppError as exc:
        db.rollback()
        return _render(
            request,
            user,
            db,
            lang,
            **refusal_banner(exc, lang),
        )
    return flash_redirect(f"/duty?day={on.isoformat()}", translate("已保存值班调整", lang))


@router.post("/duty/reinstate", response_model=None)
def reinstate(
    form: FormBody,
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    user_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """VIO-2: a sales manager or the GM reinstates a rep, with a reason."""
    try:
        rep = whole_number(user_id)
        if rep is None:
            raise InvalidInput({"user_id": "格式不正确"}, rule="VIO-2")
        service.reinstate(db, user, rep, reason)
    except AppError as exc:
        db.rollback()
        return _render(
            request,
            user,
            db,
            lang,
            **refusal_banner(exc, lang),
        )
    return flash_redirect("/duty", translate("已恢复值班资格", lang))
