"""Server-rendered pages: one Jinja environment, the user's language, CSRF token and the
notification bell available in every template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from poolcrm.customers.output import phone_display
from poolcrm.errors import AppError
from poolcrm.i18n import translate
from poolcrm.notify.service import unread_count
from poolcrm.policy.service import get_policy
from poolcrm.pools.rules import usage_level
from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for, get_settings, lang_of

_PKG = Path(__file__).resolve().parent.parent


def _loader() -> ChoiceLoader:
    dirs = [Path(__file__).parent / "templates"]
    dirs += sorted(p for p in _PKG.glob("*/templates") if p != dirs[0])
    return ChoiceLoader([FileSystemLoader(str(d)) for d in dirs])


env = Environment(
    loader=_loader(), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)


def localtime(moment: datetime | str | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """CAL-2: a stored UTC moment (or its ISO text, as the API shapes give it) in the company's zone."""
    if moment is None or moment == "":
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(tz).strftime(fmt)


env.filters["localtime"] = localtime
env.globals["usage_level"] = usage_level  # POOL-2's bar colour, one threshold for every bar
env.filters["phone"] = lambda value: phone_display(value) or ""  # stored E.164, read as people write it


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` (looked up in web/templates and every <domain>/templates). With `db`, the
    template also gets the unread count for the bell and `tz`, the company's time zone (CAL-2)."""
    lang = lang_of(request)
    user = getattr(request.state, "user", None)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    csrf = csrf_token_for(get_settings(request).secret_key, cookie) if cookie else ""
    unread = 0
    if user is not None and "db" in context:
        unread = unread_count(context["db"], user.id)
    if "db" in context and "tz" not in context:
        context["tz"] = ZoneInfo(get_policy(context["db"]).timezone)  # CAL-2: times in the company's zone

    def _(text: str, **params: Any) -> str:
        return translate(text, lang, **params)

    html = env.get_template(template).render(
        request=request,
        user=user,
        lang=lang,
        _=_,
        csrf_token=csrf,
        csp_nonce=getattr(request.state, "csp_nonce", ""),
        unread_count=unread,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    lang = lang_of(request)
    message = exc.render(lang)["error"]["message"]
    return page(request, "error.html", status_code=exc.status, message=message, rule=exc.rule)
