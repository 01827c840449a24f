"""Violation pages (VIO-1..3): the violations list and the form to record one, CS's daily spot
check queue, and the monthly data-quality assessment with the supervisor's confirmation."""

from __future__ import annotations

from operator import itemgetter
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from poolcrm.db import count_capped
from poolcrm.errors import AppError, InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.teams import team_view
from poolcrm.policy.service import get_policy
from poolcrm.violations import assessments as monthly
from poolcrm.violations import service
from poolcrm.violations.models import KINDS, SpotCheck
from poolcrm.violations.schemas import FIRST_MONTH, LAST_MONTH
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import banner_kind, flash_redirect, page_number, whole_number
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)


def _message(exc: AppError, lang: str) -> str:
    return str(exc.render(lang)["error"]["message"])


def _list(request: Request, user: User, db: Any, **ctx: Any) -> HTMLResponse:
    rows = [service.violation_out(db, v) for v in service.list_violations(db, user)]
    return page(
        request,
        "violations/list.html",
        db=db,
        rows=rows,
        reps=service.recordable_reps(db, user),
        kinds=KINDS,
        kind_names=service.KIND_NAMES,
        level_names=service.LEVEL_NAMES,
        tz=ZoneInfo(get_policy(db).timezone),
        **ctx,
    )


@router.get("/violations", response_class=HTMLResponse)
def violations(
    request: Request, user: CurrentUser, db: DB, flash: str | None = None, flash_kind: str | None = None
) -> HTMLResponse:
    return _list(request, user, db, flash=flash, flash_kind=banner_kind(flash_kind))


@router.post("/violations", response_model=None)
def record(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    user_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
) -> Response:
    try:
        target = whole_number(user_id)
        if target is None:
            raise InvalidInput({"user_id": "请选择销售"}, rule="VIO-1")
        if kind not in KINDS:
            raise InvalidInput({"kind": "请选择违规类型"}, rule="VIO-1")
        v = service.record_by(db, user, target, kind, evidence, None)
    except AppError as exc:
        db.rollback()
        return _list(request, user, db, flash=_message(exc, lang), flash_kind="error", status_code=exc.status)
    level = translate(service.LEVEL_NAMES[v.level], lang)
    return flash_redirect(
        "/violations", translate("已记录：第 {n} 次违规（{level}）", lang, n=v.ordinal, level=level)
    )


SPOT_PAGE = 100
"""CS's spot-check queue a page at a time: a nationwide company's day draws thousands (3,014 at
`demo --staff 1000`); the page showed the first 500 with no count."""


def _spot(request: Request, user: User, db: Any, **ctx: Any) -> HTMLResponse:
    total, capped = count_capped(db, service.spot_checks_query(db, user).with_only_columns(SpotCheck.id))
    page_no, pages = page_number(request.query_params.get("page", ""), total, SPOT_PAGE)
    checks = service.list_spot_checks(db, user, limit=SPOT_PAGE, offset=(page_no - 1) * SPOT_PAGE)
    rows = service.spot_checks_out(db, checks)
    return page(
        request,
        "violations/spot_checks.html",
        db=db,
        rows=rows,
        total=total,
        capped=capped,
        page_no=page_no,
        pages=pages,
        **ctx,
    )


@router.get("/violations/spot-checks", response_class=HTMLResponse)
def spot_checks(
    request: Request, user: CurrentUser, db: DB, flash: str | None = None, flash_kind: str | None = None
) -> HTMLResponse:
    return _spot(request, user, db, flash=flash, flash_kind=banner_kind(flash_kind))


@router.post("/violations/spot-checks/{spot_id}", response_model=None)
def spot_verdict(
    request: Request,
    spot_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    verdict: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        if verdict not in ("valid", "fake"):
            raise InvalidInput({"verdict": "请选择结论"}, rule="VIO-2")
        service.decide_spot_check(db, user, spot_id, verdict, note)
    except AppError as exc:
        db.rollback()
        return _spot(request, user, db, flash=_message(exc, lang), flash_kind="error", status_code=exc.status)
    return flash_redirect("/violations/spot-checks", translate("已记录抽查结论", lang))


def _assess(request: Request, user: User, db: Any, month: int | None, **ctx: Any) -> HTMLResponse:
    rows = monthly.assessments_out(db, user, month)
    drafts = [a for a in rows if a["status"] == "draft"]
    may = monthly.may_confirm_ids(db, user, (a["user_id"] for a in drafts))
    confirmable = {a["id"] for a in drafts if a["user_id"] in may}
    view = team_view(db, [a["user_id"] for a in rows], whole_number(request.query_params.get("team", "")))
    lines = view.lines(
        rows,
        itemgetter("user_id"),
        lambda mine: {
            "reps": len({a["user_id"] for a in mine}),
            "rows": len(mine),
            "score": round(sum(a["score"] for a in mine) / len(mine), 1) if mine else None,
            "to_confirm": sum(1 for a in mine if a["id"] in confirmable),
            "published": sum(1 for a in mine if a["status"] == "published"),
        },
    )
    return page(
        request,
        "violations/assessments.html",
        db=db,
        rows=view.shown(rows, itemgetter("user_id")),
        teams=view,
        lines=lines,
        month=month,
        confirmable=confirmable,
        **ctx,
    )


@router.get("/violations/assessments", response_class=HTMLResponse)
def assessments(
    request: Request,
    user: CurrentUser,
    db: DB,
    month: int | None = Query(None, ge=FIRST_MONTH, le=LAST_MONTH),  # yyyymm, as the API takes it
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    return _assess(request, user, db, month, flash=flash, flash_kind=banner_kind(flash_kind))


@router.post("/violations/assessments/{assessment_id}/confirm", response_model=None)
def confirm(request: Request, assessment_id: int, user: CurrentUser, db: DB, lang: Lang) -> Response:
    try:
        a = monthly.confirm_assessment(db, user, assessment_id)
    except AppError as exc:
        db.rollback()
        return _assess(
            request, user, db, None, flash=_message(exc, lang), flash_kind="error", status_code=exc.status
        )
    return flash_redirect(f"/violations/assessments?month={a.month}", translate("已确认并发布", lang))
