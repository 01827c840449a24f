"""Shell pages: login/logout, language switch, dashboard, notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from poolcrm.auth import service as auth_service
from poolcrm.calendar.service import calendar_warnings
from poolcrm.errors import AppError
from poolcrm.i18n import LANGS, translate
from poolcrm.notify import service as notify_service
from poolcrm.org import rules as org_rules
from poolcrm.ownership.usage import pool_usage
from poolcrm.web.dashboard import render_widgets
from poolcrm.web.deps import (
    DB,
    LANG_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    Lang,
    client_address,
    get_settings,
    set_session_cookie,
)
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", next=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    db: DB,
    lang: Lang,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = auth_service.authenticate(db, username, password, client_address(request))
    except AppError as exc:
        db.commit()  # keep the failed-attempt record (AUTH-1)
        message = exc.render(lang)["error"]["message"]
        failed = page(
            request, "login.html", status_code=exc.status, error=message, username=username, next=next
        )
        failed.headers.update(exc.headers or {})  # AUTH-1: the page's 429 says when to retry, too
        return failed
    token = auth_service.issue_token(db, get_settings(request).secret_key, user, client_address(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, token)
    if user.language in LANGS and not request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, user.language, samesite="lax", max_age=365 * 86400)
    return response


@router.post("/logout")
def logout(request: Request, user: CurrentUser, db: DB) -> Response:
    """AUTH-6: the session ends on the server too, so a saved cookie no longer works."""
    auth_service.end_session(db, get_settings(request).secret_key, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: CurrentUser, db: DB, lang: Lang) -> HTMLResponse:
    usage = pool_usage(db, user)
    missing_years = calendar_warnings(db) if org_rules.runs_system(user.roles) else []
    return page(
        request,
        "dashboard.html",
        db=db,
        usage=usage,
        holds_pool=org_rules.holds_pool(user.roles),  # GOV-6: no pool card for CS, the GM, admin
        missing_years=missing_years,
        notifications=[
            (n, notify_service.render(n, lang)) for n in notify_service.list_for(db, user.id, limit=8)
        ],
        widgets=render_widgets(db, user, lang),
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, user: CurrentUser, db: DB, lang: Lang) -> HTMLResponse:
    notes = [(n, notify_service.render(n, lang)) for n in notify_service.list_for(db, user.id, limit=200)]
    return page(request, "notifications.html", db=db, notes=notes)


@router.post("/notifications/read-all")
def notifications_read_all(user: CurrentUser, db: DB, lang: Lang) -> Response:
    notify_service.mark_read(db, user.id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{note_id}/read")
def notification_read(note_id: int, user: CurrentUser, db: DB) -> Response:
    notify_service.mark_read(db, user.id, note_id)
    return RedirectResponse("/notifications", status_code=303)


__all__ = ["router", "translate"]
