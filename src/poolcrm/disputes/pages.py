"""Dispute pages (DSP-1, DSP-2): open and decided cases, the recommendation with its evidence, and
the GM's decision form."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from poolcrm.disputes import service
from poolcrm.errors import AppError, InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import banner_kind, flash_redirect, refusal_banner, whole_number
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
KIND_NAMES = {"win": "业绩归属", "two_pools": "重复客户归属", "ownership": "客户归属申请"}
STATUS_NAMES = {"open": "待裁定", "decided": "已裁定"}


def _ctx(db: Any) -> dict[str, Any]:
    return {"kind_names": KIND_NAMES, "status_names": STATUS_NAMES, "tz": ZoneInfo(get_policy(db).timezone)}


@router.get("/disputes", response_class=HTMLResponse)
def list_page(
    request: Request, user: CurrentUser, db: DB, lang: Lang, status: str | None = "open"
) -> HTMLResponse:
    status = status if status in STATUS_NAMES else None
    rows = [service.dispute_out(db, d, lang) for d in service.list_disputes(db, user, status)]
    return page(request, "disputes/list.html", db=db, rows=rows, status=status, **_ctx(db))


def _detail(request: Request, user: User, db: Any, lang: str, dispute_id: int, **ctx: Any) -> HTMLResponse:
    dispute = service.get_dispute(db, user, dispute_id)
    d = service.dispute_out(db, dispute, lang)
    return page(
        request,
        "disputes/detail.html",
        db=db,
        d=d,
        can_decide=service.may_decide(user, dispute) and d["status"] == "open",
        **_ctx(db),
        **ctx,
    )


@router.get("/disputes/{dispute_id}", response_class=HTMLResponse)
def detail(
    request: Request,
    dispute_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    return _detail(request, user, db, lang, dispute_id, flash=flash, flash_kind=banner_kind(flash_kind))


@router.post("/disputes/{dispute_id}/decide", response_model=None)
def decide(
    request: Request,
    dispute_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    winner_user_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """DSP-1: the GM's ruling; POST-redirect-GET to the dispute (a refusal re-renders with its status)."""
    service.get_dispute(db, user, dispute_id)  # not visible → 404 first, before any rollback (was a 500)
    try:
        winner = whole_number(winner_user_id)
        if winner is None:
            raise InvalidInput({"winner_user_id": "请选择业绩归属人"}, rule="DSP-1")
        service.decide(db, user, dispute_id, winner, reason)
    except AppError as exc:
        db.rollback()
        return _detail(
            request,
            user,
            db,
            lang,
            dispute_id,
            **refusal_banner(exc, lang),
        )
    return flash_redirect(f"/disputes/{dispute_id}", translate("已裁定", lang))
