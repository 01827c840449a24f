"""Changing one's own password (AUTH-2) from the pages. The change ends every other session
(the token version moves on), so this browser gets a fresh session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from poolcrm.auth import service
from poolcrm.errors import AppError, InvalidInput
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang, client_address, get_settings, set_session_cookie
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import form_errors, text
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)


@router.get("/me/password", response_class=HTMLResponse)
def password_form(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    done = request.query_params.get("done") == "1"
    return page(request, "auth/password.html", db=db, errors={}, done=done)


@router.post("/me/password", response_class=HTMLResponse)
def password_change(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    old, new = text(form, "old_password"), text(form, "new_password")
    try:
        if new != text(form, "confirm_password"):
            raise InvalidInput({"confirm_password": "两次输入的新密码不一致"}, rule="AUTH-2")
        service.change_password(db, user, old, new)
    except AppError as exc:
        db.rollback()
        return page(
            request,
            "auth/password.html",
            status_code=exc.status,
            db=db,
            errors=form_errors(exc, lang),
            done=False,
        )
    response = RedirectResponse("/me/password?done=1", status_code=303)
    token = service.issue_token(db, get_settings(request).secret_key, user, client_address(request))
    set_session_cookie(response, request, token)
    return response
