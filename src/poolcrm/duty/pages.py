"""Duty roster page (IN-3): who is on duty today and why each rep is or is not eligible; the
fallback says so; an admin overrides a day."""

from __future__ import annotations

from datetime import date
from operator import attrgetter, itemgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from poolcrm.duty import rules, service
from poolcrm.errors import AppError, InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import sales_rep_people
from poolcrm.org.teams import TeamView, team_view
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
        **_override_choices(db, user, data, view),
        may_reinstate=rules.reinstates(user.roles),
        **ctx,
    )


def _override_choices(db: Any, user: User, data: dict[str, Any], view: TeamView) -> dict[str, Any]:
    """The admin's override form (IN-3): the reps of the team chosen (every rep in a small company)
    and those the day's override already names, ticked — a choice of 1,135 boxes is no choice."""
    if not rules.overrides_duty(user.roles):
        return {"reps": [], "overridden": set()}
    overridden = {r["id"] for r in data["on_duty"]} if data["source"] == "override" else set()
    people = sales_rep_people(db)
    offered = view.shown(people, attrgetter("id"))
    ids = {p.id for p in offered}
    return {
        "may_override": True,
        "reps": offered + [p for p in people if p.id in overridden and p.id not in ids],
        "overridden": overridden,
    }


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
