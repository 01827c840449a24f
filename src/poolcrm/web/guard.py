"""Two ASGI layers every request passes, in one place (SEC-1, SEC-2 in docs/rules.md):

- `InputGuard` refuses, before any handler or database sees it, text no person types: control
  characters (NUL and its kin, except tab and line breaks) and lone surrogates, anywhere in the path,
  the query, a JSON body or a form — and JSON numbers no column can hold (NaN, infinities, integers
  beyond 64 bits). The answer is the ordinary 422 naming the field (PostgreSQL would otherwise fail
  the request with a 500; SQLite would store the junk).
- `SecurityHeaders` forbids framing (clickjacking), sets a Content-Security-Policy whose scripts
  are this site's own plus inline blocks carrying the request's nonce, and the usual hardening
  headers."""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import unicodedata
from collections.abc import Iterator
from functools import cache
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from poolcrm import clock
from poolcrm.db import MAX_ID
from poolcrm.errors import AppError, InvalidInput, NotFound
from poolcrm.i18n import translate
from poolcrm.web.deps import lang_of
from poolcrm.web.parts import PartHeaders
from poolcrm.web.routing import route_paths

log = logging.getLogger("poolcrm")

API_PREFIX = "/api/"
MAX_CHECKED_BODY = 16 * 1024 * 1024
LARGEST_INTEGER = 2**63 - 1
ALLOWED_CONTROLS = frozenset("\t\n\r")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
CONTROL_MESSAGE = "不能包含控制字符"
NUMBER_MESSAGE = "数值超出范围"
DATE_MESSAGE = "日期超出范围（1900–2199 年）"
# the fields holding a row id or a position without an `_id` in their name: the list filters
# `owner=`, `team=`, `assignee=`, `department=` name a user or a department by its id (or `me`)
ID_FIELDS = (
    "id",
    "page",
    "offset",
    "limit",
    "page_size",
    "version",
    "owner",
    "team",
    "assignee",
    "department",
)
EARLIEST_YEAR, LATEST_YEAR = clock.EARLIEST_DATE.year, clock.LATEST_DATE.year
_DATE = re.compile(r"^(\d{4,})-(\d{1,2})-(\d{1,2})")
_DIGITS = re.compile(r"^\d+$")
_SIGNED_DIGITS = re.compile(r"^[+-]?\d+$")


def bad_character(value: str) -> bool:
    """SEC-1: a control character (Unicode Cc other than tab/CR/LF), a lone surrogate (Cs), or a
    bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069): they make text
    display in another order than it is stored ("Trojan Source"), and nobody types them in a CRM."""
    return any(
        (unicodedata.category(ch) in ("Cc", "Cs") and ch not in ALLOWED_CONTROLS) or ch in BIDI_CONTROLS
        for ch in value
        if ch < " " or ch > "~"
    )


def is_id_field(name: str) -> bool:
    """SEC-1: a field holding a row id or a page position (`customer_id`, `user_ids`, `page`, …);
    `object_id` (the audit log's free-form reference, e.g. a policy name) is text, not a row id."""
    return name != "object_id" and (name in ID_FIELDS or name.endswith(("_id", "_ids")))


def bad_date(value: str) -> bool:
    """SEC-1: an ISO date (or date-time) whose year no business record has (before 1900, after 2199)."""
    m = _DATE.match(value)
    return m is not None and not EARLIEST_YEAR <= int(m.group(1)) <= LATEST_YEAR


def _field_of(path: tuple[str, ...]) -> str:
    """The name a value is stored under: the last non-index part of its path."""
    return next((p for p in reversed(path) if not p.isdigit()), "")


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(field, message) for every bad leaf of a decoded JSON document."""
    if isinstance(value, str):
        if bad_character(value):
            yield ".".join(path) or "body", CONTROL_MESSAGE
        elif bad_date(value):
            yield ".".join(path) or "body", DATE_MESSAGE
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        limit = MAX_ID if is_id_field(_field_of(path)) else LARGEST_INTEGER
        if abs(value) > limit:
            yield ".".join(path) or "body", NUMBER_MESSAGE
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield ".".join(path) or "body", NUMBER_MESSAGE
    elif isinstance(value, dict):
        for key, item in value.items():
            if bad_character(str(key)):
                yield ".".join((*path, "?")), CONTROL_MESSAGE
            else:
                yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, str(index)))


def _pairs(pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    for key, value in pairs:
        if bad_character(key) or bad_character(value):
            yield (key if not bad_character(key) else "?"), CONTROL_MESSAGE
        elif bad_date(value):
            yield key, DATE_MESSAGE
        elif is_id_field(key) and _SIGNED_DIGITS.match(value.strip()) and abs(int(value.strip())) > MAX_ID:
            yield key, NUMBER_MESSAGE


def beyond_any_id(path: str) -> bool:
    """A path naming an id no row can have (PostgreSQL integers end at 2^31 − 1): such an object
    does not exist, so the answer is the ordinary 404 — never a 500 from the database."""
    return any(_DIGITS.match(part) and len(part) < 5000 and int(part) > MAX_ID for part in path.split("/"))


@cache
def _path_pattern(path_format: str) -> re.Pattern[str]:
    return compile_path(path_format)[0]


def path_params(scope: Scope) -> dict[str, str]:
    """The path parameters of the route whose pattern the request's path matches (`{"day":
    "0001-01-01"}` for `/api/v1/duty/days/{day}`), {} when none does. The guard runs before
    routing, so a refusal names the parameter as the API does (`day`), not "path"."""
    router = getattr(scope.get("app"), "router", None)
    for route in getattr(router, "routes", ()):
        for path_format in route_paths(route):
            found = _path_pattern(path_format).match(scope["path"])
            if found is not None:
                return found.groupdict()
    return {}


def problems(scope: Scope, body: bytes) -> dict[str, str]:
    """SEC-1: the request's bad fields, {field: message} (empty when it is clean)."""
    found: dict[str, str] = {}
    if bad_character(scope["path"]):
        found["path"] = CONTROL_MESSAGE
    elif any(bad_date(part) for part in scope["path"].split("/")):
        named = {name: DATE_MESSAGE for name, value in path_params(scope).items() if bad_date(value)}
        found.update(named or {"path": DATE_MESSAGE})
    query = scope.get("query_string", b"").decode("utf-8", errors="replace")
    found.update(_pairs(parse_qsl(query, keep_blank_values=True)))
    kind = _content_type(scope)
    if body and kind == "application/json":
        try:
            document = json.loads(body)
        except ValueError:
            return found  # the handler answers malformed JSON itself (422 json_invalid)
        found.update(_walk(document, ()))
    elif body and kind == "application/x-www-form-urlencoded":
        form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        found.update(_pairs(form))
    return found


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return ""


def _content_type(scope: Scope) -> str:
    return _header(scope, b"content-type").split(";")[0].strip().lower()


class InputGuard:
    """SEC-1 as ASGI middleware: buffers a JSON or urlencoded body, checks it, and replays it to the
    app. Multipart uploads stream through: their text fields are cleaned by `web.forms.text`, and
    their part headers are watched for one the app's parser cannot read (`web.parts`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        if _content_type(scope) in ("application/json", "application/x-www-form-urlencoded"):
            body, receive = await _buffered(receive)
        if beyond_any_id(scope["path"]):
            await _not_found(scope)(scope, receive, send)
            return
        if len(body) <= MAX_CHECKED_BODY:
            found = problems(scope, body)
            if found:
                await _refusal(scope, found)(scope, receive, send)
                return
        watch = PartHeaders.of(_header(scope, b"content-type"))
        if watch is None:
            await self.app(scope, receive, send)
        else:
            await _watched(self.app, watch, scope, receive, send)


async def _watched(app: ASGIApp, watch: PartHeaders, scope: Scope, receive: Receive, send: Send) -> None:
    """A multipart body streams to the app through `watch`: once it finds a part header the app's
    parser cannot read (`web.parts`), the app is told the client left (so no handler runs on a
    form it never fully read), its answer is dropped, and the 422 naming the field goes out."""

    started = False

    async def watched_receive() -> Message:
        if watch.refusal is not None:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request" and not started:
            watch.feed(message.get("body", b""))
            if watch.refusal is not None:
                return {"type": "http.disconnect"}
        return message

    async def watched_send(message: Message) -> None:
        nonlocal started
        if watch.refusal is None:
            started = True
            await send(message)

    await app(scope, watched_receive, watched_send)
    if watch.refusal is not None:
        await _refusal(scope, watch.refusal)(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _refusal(scope: Scope, found: dict[str, str]) -> Response:
    return _error_response(scope, InvalidInput(found, rule="SEC-1"), found)


def _not_found(scope: Scope) -> Response:
    return _error_response(scope, NotFound())


def _error_response(scope: Scope, exc: AppError, fields: dict[str, str] | None = None) -> Response:
    """The error shape of `app._app_error` — JSON for the API and scripts, a small page for a browser
    — for the answers this layer gives before the app (and its handlers) is reached."""
    request = Request(scope)
    lang = lang_of(request)
    if scope["path"].startswith(API_PREFIX) or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(exc.render(lang), status_code=exc.status)
    message = exc.render(lang)["error"]["message"]
    colon = translate("：", lang)
    said = (fields or {}).items()
    items = "".join(f"<li>{escape(k)}{colon}{escape(translate(v, lang))}</li>" for k, v in said)
    head = f"<!doctype html><meta charset=utf-8><title>{exc.status}</title>"
    body = f"{head}<p>{escape(message)}</p><ul>{items}</ul>"
    return Response(body, status_code=exc.status, media_type="text/html")


def internal_error_body(lang: str) -> dict[str, Any]:
    """The 500 answer (one text for the app's last-resort handler and CrashGuard)."""
    message = translate("服务器内部错误，操作未完成，数据未改变", lang)
    return {"error": {"code": "internal_error", "message": message, "rule": None, "details": {}}}


class CrashGuard:
    """SEC-1: an unexpected error still answers a 500 in the error shape and keeps the connection
    (Starlette's outermost handler re-raises after answering, which drops a keep-alive connection
    without a complete response). The error is logged with its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = internal_error_body(lang_of(Request(scope)))
            await JSONResponse(body, status_code=500)(scope, receive, send)


def content_security_policy(nonce: str, *, docs: bool = False) -> str:
    """SEC-2: own scripts and nonce'd inline blocks only; no framing; forms post here only. The
    API docs page runs Swagger UI (served from this app), which evaluates code it generates."""
    script = f"'self' 'nonce-{nonce}'" + (" 'unsafe-eval'" if docs else "")
    return (
        f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """SEC-2 as ASGI middleware; the nonce is `request.state.csp_nonce` for templates."""

    def __init__(self, app: ASGIApp, docs_path: str = "/docs") -> None:
        self.app = app
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        policy = content_security_policy(nonce, docs=scope["path"] == self.docs_path)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
