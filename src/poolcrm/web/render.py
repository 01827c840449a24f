"""Server-rendered pages: one Jinja environment, the user's language, CSRF token and the
notification bell available in every template."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, Template, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from poolcrm.customers.output import phone_display
from poolcrm.errors import AppError
from poolcrm.i18n import CONTEXT, DEFAULT_LANG, LANGS, translate
from poolcrm.notify.service import unread_count
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.pools.rules import usage_level
from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for, get_settings, lang_of

_PKG = Path(__file__).resolve().parent.parent


def _loader() -> ChoiceLoader:
    dirs = [Path(__file__).parent / "templates"]
    dirs += sorted(p for p in _PKG.glob("*/templates") if p != dirs[0])
    return ChoiceLoader([FileSystemLoader(str(d)) for d in dirs])


def localtime(moment: datetime | str | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """CAL-2: a stored UTC moment (or its ISO text, as the API shapes give it) in the company's zone."""
    if moment is None or moment == "":
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(tz).strftime(fmt)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """The templates as compiled for one language (`ConstantTranslations`)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        super().__init__(
            loader=_loader(),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[ConstantTranslations],
            # the templates are the installed package's, changed only by an upgrade, which restarts
            # the processes: no stat() of every template and include at every render
            auto_reload=False,
        )
        self.filters["localtime"] = localtime
        self.globals["usage_level"] = usage_level  # POOL-2's bar colour, one threshold for every bar
        # stored E.164, read as people write it
        self.filters["phone"] = lambda value: phone_display(value) or ""
        # a stored document shown to a person (the audit log's raw record): its Chinese as written,
        # not \uXXXX escapes (`tojson` is for scripts); autoescaped like any text
        self.filters["as_text"] = lambda value: json.dumps(value, ensure_ascii=False, indent=1, default=str)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`row.name` on a dict shaped for the page read as its item straight away. Jinja tries the
        attribute first and reaches the item through a raised AttributeError (about 0.5 µs more
        per access, thousands on a page of rows); a dict has no attribute but its methods, so
        the result is the same (`d.items` is still the method)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class ConstantTranslations(Extension):
    """`_("text")` and `_("text", _ctx="…")` — a literal and nothing else — translated once, when the
    template is compiled for its environment's language, instead of at every render: Jinja's call
    of a context function costs about 1.5 µs, and a list page made hundreds of them (a label per
    cell; issue 22). The text is the one `translate` gives at run time; a call with other
    arguments (`_("{n} 个", n=…)`) is still made when the page renders."""

    def filter_stream(self, stream: TokenStream) -> list[Token]:
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            folded = self._fold(tokens, i)
            if folded is None:
                out.append(tokens[i])
                i += 1
            else:
                out.append(folded[0])
                i = folded[1]
        return out

    def _fold(self, t: list[Token], i: int) -> tuple[Token, int] | None:
        """The translated literal and the index after the call, when `t[i]` starts one."""
        if not (
            t[i].test("name:_")
            and i + 3 < len(t)
            and t[i + 1].type == "lparen"
            and t[i + 2].type == "string"
            and (i == 0 or t[i - 1].type != "dot")
        ):
            return None
        params: dict[str, str] = {}
        j = i + 3
        if (
            t[j].type == "comma"
            and j + 4 < len(t)
            and t[j + 1].test(f"name:{CONTEXT}")
            and t[j + 2].type == "assign"
            and t[j + 3].type == "string"
        ):
            params[CONTEXT] = t[j + 3].value
            j += 4
        if t[j].type != "rparen":
            return None
        assert isinstance(self.environment, PageEnvironment)
        return Token(t[i].lineno, "string", translate(t[i + 2].value, self.environment.lang, **params)), j + 1


ENVIRONMENTS = {lang: PageEnvironment(lang) for lang in LANGS}


def compiled(name: str, lang: str) -> Template:
    """`name` (looked up in web/templates and every <domain>/templates) compiled for `lang`."""
    return ENVIRONMENTS.get(lang, ENVIRONMENTS[DEFAULT_LANG]).get_template(name)


def rendered(name: str, lang: str, /, **context: Any) -> str:
    """`name` compiled for `lang`, rendered with `context`, `lang` and `_` (for the translations
    left to render time: those with arguments). Positional-only: a context may hold a `name`."""

    def _(text: str, **params: Any) -> str:
        return translate(text, lang, **params)

    return compiled(name, lang).render(lang=lang, _=_, **context)


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
    html = rendered(
        template,
        lang,
        request=request,
        user=user,
        csrf_token=csrf,
        csp_nonce=getattr(request.state, "csp_nonce", ""),
        unread_count=unread,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _signed_in_again(request: Request) -> None:
    """The error page shows the signed-in user's name and menu. A page handler that rolled back (a
    refusal re-rendered) and then failed again — the object it re-reads is not there, or not the
    user's to see (404) — left the user's row expired, and the abandoned session detached it: its
    roles could no longer load, and the 404 became a 500. Such a user is read again, in a session
    of its own; without a database to answer, the page goes without the menu."""
    user = getattr(request.state, "user", None)
    if user is None:
        return
    state = inspect(user)
    if not state.detached or not {"role_rows", "display_name"} & state.unloaded:
        return
    try:
        with request.app.state.db.transaction(write=False) as session:
            request.state.user = session.get(User, state.identity[0])  # its roles load with it (selectin)
            session.expunge_all()
    except SQLAlchemyError:
        request.state.user = None


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    _signed_in_again(request)
    lang = lang_of(request)
    message = exc.render(lang)["error"]["message"]
    return page(request, "error.html", status_code=exc.status, message=message, rule=exc.rule)
