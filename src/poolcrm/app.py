"""FastAPI factory: mounts every domain's api and pages routers, error handlers, static files."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from poolcrm.config import Settings
from poolcrm.db import Database
from poolcrm.domains import domain_modules
from poolcrm.errors import AppError
from poolcrm.i18n import translate
from poolcrm.jobs.scheduler import start_scheduler
from poolcrm.notify.sender import Sender
from poolcrm.web.deps import SAFE_METHODS, busy, lang_of, records_read
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import PYDANTIC_MESSAGES, field_name
from poolcrm.web.guard import CrashGuard, InputGuard, SecurityHeaders, internal_error_body
from poolcrm.web.keepalive import KeepAliveLimit, keepalive_requests_setting
from poolcrm.web.render import error_page
from poolcrm.web.routing import index_routes

log = logging.getLogger("poolcrm")
API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "web" / "static"


def _validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    lang = lang_of(request)
    fields: dict[str, str] = {}
    for err in exc.errors():
        key = field_name(err.get("loc", ()))
        zh = PYDANTIC_MESSAGES.get(err.get("type", ""), "格式不正确")
        text = translate(zh, lang)
        if err.get("type") not in PYDANTIC_MESSAGES and lang == "en":
            text = str(err.get("msg", text))
        fields.setdefault(key, text)
    body = {
        "error": {
            "code": "validation_error",
            "message": translate("输入有误：{names}", lang, names="、".join(fields)),
            "rule": None,
            "details": {"fields": fields},
        }
    }
    return JSONResponse(body, status_code=422)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIX) and "text/html" in request.headers.get("accept", "")


class SQLiteWriterGate:
    """SQLite has one writer. Requests that may write (not GET/HEAD/OPTIONS) queue here, on the
    event loop, instead of each holding a thread-pool worker while it waits inside BEGIN IMMEDIATE
    (and running into the busy timeout under a burst of form posts). Handlers and dependencies
    that touch the database are plain `def` and run in the thread pool (a test holds them to it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = asyncio.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        reads = scope["type"] != "http" or scope["method"] in SAFE_METHODS
        if reads and not (scope["type"] == "http" and records_read(scope["method"], scope["path"], query)):
            await self.app(scope, receive, send)
            return
        async with self.lock:
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    database = db or Database(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        scheduler = sender = None
        if settings.run_scheduler:
            scheduler = start_scheduler(database)
            sender = Sender(database, settings.secret_key).start()
        yield
        if scheduler is not None:
            scheduler.stop()
        if sender is not None:
            sender.stop()
        if db is None:
            database.dispose()

    app = FastAPI(
        title="poolcrm",
        version="0.1.0",
        description="公海/私海 CRM — public pool / private pool CRM for Chinese B2B sales teams",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.router.route_class = OneStepRoute  # the app's own routes (/docs) as the domains' routers
    app.state.settings = settings
    app.state.db = database
    app.state.db_slots = asyncio.Semaphore(database.request_slots)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if wants_html(request) and exc.status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if wants_html(request):
            return error_page(request, exc)
        return JSONResponse(exc.render(lang_of(request)), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        lang = lang_of(request)
        codes = {404: ("not_found", "找不到该对象"), 405: ("method_not_allowed", "请求的方法不被允许")}
        code, zh = codes.get(exc.status_code, ("http_error", str(exc.detail)))
        body: dict[str, Any] = {
            "error": {"code": code, "message": translate(zh, lang), "rule": None, "details": {}}
        }
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> Response:
        log.warning("no database connection free in time for %s %s", request.method, request.url.path)
        return await _app_error(request, busy())

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(internal_error_body(lang_of(request)), status_code=500)

    for module in domain_modules("api"):
        app.include_router(module.router, prefix=API_PREFIX)
    for module in domain_modules("pages"):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/docs", _docs_page, include_in_schema=False, response_class=HTMLResponse)
    if database.sqlite:
        app.add_middleware(SQLiteWriterGate)
    app.add_middleware(CrashGuard)
    app.add_middleware(InputGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(KeepAliveLimit, limit=keepalive_requests_setting())
    index_routes(app.router)
    return app


DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>poolcrm API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="/openapi.json"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script></body></html>"""


def _docs_page() -> HTMLResponse:
    """The OpenAPI UI from the app's own static files: it works offline (no CDN)."""
    return HTMLResponse(DOCS_PAGE)
