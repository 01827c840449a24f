"""Pages of data you can trust: GOV-4's data-quality dashboard and its drill-down lists, each row
with its fix; GOV-5's verification task list (one click for "verified", a short form to correct)
with each rep's progress for those with a team; ORG-5a's export requests (ask, decide, download
once)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from poolcrm.customers import export_requests, exporter
from poolcrm.customers.output import phone_display
from poolcrm.db import COUNT_CAP
from poolcrm.errors import NotFound
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.policy.service import get_policy
from poolcrm.quality import dashboard, rules, verification
from poolcrm.sheets import attachment
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import run_form, text, whole_number
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
FIELD_LABELS = {
    "contact_name": "联系人",
    "contact_position": "职务",
    "phone": "电话",
    "mobile": "手机",
    "email": "邮箱",
}


def _page(
    request: Request,
    db: DB,
    user: User,
    owner_id: int | None = None,
    flash: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = verification.tasks(db, user, owner_id)
    period, team = verification.progress(db, user)
    return page(
        request,
        "quality/verification.html",
        status,
        db=db,
        viewer=user,
        found=found,
        team=team if len(team) > 1 or (team and team[0].owner_id != user.id) else [],
        period=period,
        labels=FIELD_LABELS,
        phone=phone_display,
        fields=rules.CONTACT_FIELDS,
        flash=flash,
        flash_kind="error" if flash else None,
        done=request.query_params.get("done") == "1",
    )


@router.get("/verification", response_class=HTMLResponse)
def verification_page(
    request: Request,
    user: CurrentUser,
    db: DB,
    owner: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    return _page(request, db, user, owner)


@router.post("/verification/{customer_id}", response_model=None)
def verify_form(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    form: FormBody,
    owner: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """GOV-5: "已核实" posts no fields; "更正" posts the contact fields as they should read."""
    corrections = {k: text(form, k) or None for k in rules.CONTACT_FIELDS if k in form}
    back = f"/verification?{'owner=' + str(owner) + '&' if owner else ''}done=1"
    return run_form(
        db,
        lang,
        lambda: verification.verify(db, user, customer_id, corrections, text(form, "note"), lang=lang),
        lambda _: back,
        lambda flash, status: _page(request, db, user, owner, flash, status),
    )


# ---------------------------------------------------------------- ORG-5a export control

EXPORT_STATUS = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回", "used": "已下载"}


def _list_filters(request: Request) -> dict[str, Any]:
    keys = export_requests.FILTER_KEYS
    return {k: v for k, v in request.query_params.items() if k in keys and v and k != "owner"}


def _exports_page(
    request: Request, db: DB, user: User, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    items = export_requests.visible_requests(db, user)
    people = users_by_id(db, {e.requested_by for e in items})
    return page(
        request,
        "quality/exports.html",
        status,
        db=db,
        viewer=user,
        items=items,
        people=people,
        statuses=EXPORT_STATUS,
        deciding={e.id for e in items if e.status == "pending" and e.requested_by != user.id},
        flash=flash,
        flash_kind="error" if flash else None,
    )


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _exports_page(request, db, user)


def _new_export_page(
    request: Request, db: DB, user: User, filters: dict[str, Any], flash: str | None = None, status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "quality/export_new.html",
        status,
        db=db,
        filters=filters,
        rows=export_requests.count_rows(db, user, filters),
        limit=get_policy(db).export_approval_rows,
        flash=flash,
        flash_kind="error" if flash else None,
    )


@router.get("/exports/new", response_class=HTMLResponse)
def new_export_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _new_export_page(request, db, user, export_requests.clean_filters(_list_filters(request)))


@router.post("/exports/new", response_model=None)
def new_export(request: Request, user: CurrentUser, db: DB, lang: Lang, form: FormBody) -> Response:
    filters = {k: text(form, f"f_{k}") for k in export_requests.FILTER_KEYS if k != "owner"}
    return run_form(
        db,
        lang,
        lambda: export_requests.request_export(db, user, filters, text(form, "reason")),
        lambda _: "/exports",
        lambda flash, status: _new_export_page(
            request, db, user, export_requests.clean_filters(filters), flash, status
        ),
    )


@router.post("/exports/{request_id}/download")
def download_export(request_id: int, user: CurrentUser, db: DB, lang: Lang) -> Response:
    """A POST with the CSRF token: the one download is not spent by a link followed elsewhere."""
    filters = export_requests.take(db, user, request_id)
    data, filename = exporter.export_list(db, user, lang=lang, approved=request_id, **filters)
    return Response(data, media_type=exporter.XLSX, headers=attachment(filename))


@router.post("/exports/{request_id}/{decision}", response_model=None)
def decide_export(
    request: Request, request_id: int, decision: str, user: CurrentUser, db: DB, lang: Lang, form: FormBody
) -> Response:
    if decision not in ("approve", "reject"):
        raise NotFound()
    return run_form(
        db,
        lang,
        lambda: export_requests.decide(db, user, request_id, decision == "approve", text(form, "reason")),
        lambda _: "/exports",
        lambda flash, status: _exports_page(request, db, user, flash, status),
    )


# ---------------------------------------------------------------- GOV-4 data quality

FIX_LABELS = {"edit": "补全/修改", "verify": "去核实", "followup": "写跟进", "open": "查看对比"}


def _fix_link(fix: str, customer_id: int) -> str:
    return {
        "edit": f"/customers/{customer_id}/edit",
        "verify": "/verification",
        "followup": f"/customers/{customer_id}/followups",
    }.get(fix, f"/customers/{customer_id}")


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    found = dashboard.board(db, user)
    period, team = verification.progress(db, user)
    chosen = whole_number(request.query_params.get("team", ""))
    return page(
        request,
        "quality/dashboard.html",
        db=db,
        board=found,
        period=period,
        by_team=dashboard.by_team(db, found, team, chosen),
        checks=rules.CHECKS,
        dimensions=rules.DIMENSIONS,
        share=rules.share,
        trend_json=json.dumps(found.trend),
    )


@router.get("/quality/list", response_class=HTMLResponse)
def quality_list_page(
    request: Request,
    user: CurrentUser,
    db: DB,
    check: Annotated[str, Query(max_length=40)] = "",
    owner: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    found, items, total = dashboard.drill(db, user, check, owner)
    owners = users_by_id(db, {c.owner_id for c in items if c.owner_id})
    return page(
        request,
        "quality/list.html",
        db=db,
        check=found,
        items=items,
        total=total,
        cap=COUNT_CAP,
        owners=owners,
        fix_label=FIX_LABELS[found.fix],
        phone=phone_display,
        fix_link=_fix_link,
    )
