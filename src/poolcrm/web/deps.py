"""Request-level dependencies: the transaction, the current user, language, CSRF, roles."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from poolcrm.auth.service import TOKEN_MAX_AGE, user_from_token
from poolcrm.calendar.service import follow_test_clock
from poolcrm.config import Settings
from poolcrm.db import Database
from poolcrm.errors import AppError, Forbidden, NotAuthenticated, ServiceBusy
from poolcrm.i18n import pick_lang
from poolcrm.org.models import User

SESSION_COOKIE = "poolcrm_session"
LANG_COOKIE = "poolcrm_lang"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_RETRY_SECONDS = 5
"""How soon a client may retry when no database connection came free in time (503)."""
SLOT_WAIT_S = 30.0
"""How long a request waits for one of its process's database slots: as long as SQLAlchemy waits
for a connection by default."""


def get_database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def records_read(method: str, path: str, query: str) -> bool:
    """An export is a read that writes its audit entry (ORG-5): it runs as a writing request, so on
    SQLite it takes the write lock up front (BEGIN IMMEDIATE, queued behind the other writers)
    instead of failing with "database is locked" when its read snapshot tries to become a write."""
    if method not in SAFE_METHODS:
        return False
    return (
        path.endswith(("/export", ".xlsx", ".csv", "/rating-link"))
        or "format=xlsx" in query
        or "format=csv" in query
    )


def busy() -> ServiceBusy:
    return ServiceBusy("系统繁忙，请稍后重试", headers={"Retry-After": str(BUSY_RETRY_SECONDS)})


async def _take_slot(slots: asyncio.Semaphore) -> None:
    """One of the process's database slots (`Database.request_slots`, its pool's size), awaited on
    the event loop before the request's transaction takes a thread and a connection.

    Without it, under 300 simulated users every thread of the pool of threads sat in a connection
    checkout while the requests holding the connections waited for a thread to run their next
    step: PostgreSQL showed the connections "idle in transaction" after the user's roles, the app
    processes idled at 3–18 % CPU, and requests failed with 503 after 30 s (issue 22's load run).
    A request holding a slot always finds a connection, and a thread (there are more threads than
    slots). A free slot is taken at once; only a wait goes through `wait_for` (a task of its own)."""
    if not slots.locked():
        await slots.acquire()
        return
    try:
        await asyncio.wait_for(slots.acquire(), timeout=SLOT_WAIT_S)
    except TimeoutError:
        raise busy() from None


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request (DESIGN: one use case, one transaction): committed when the
    handler returns, rolled back entirely on any error (GOV-2), inside one of the process's
    database slots (`_take_slot`; one dependency, not two: each costs FastAPI a context of its own).

    The session is made on the event loop — it does no I/O until its first statement, which runs
    in the thread pool with the handler — and its end, commit or rollback, runs in the thread pool
    in one step, shielded from cancellation and outside the pool's capacity (a leaving request
    never waits for a thread held by one that waits for its connection), as FastAPI ends a plain
    generator. A plain generator dependency took two steps through the thread pool, one in and
    one out: each a hand-over between threads (issue 22, under load). The routes of the app
    (`web.endpoints.OneStepRoute`) end it in the endpoint's own step; the end here is for the rest
    (an endpoint that raised: rolled back)."""
    slots: asyncio.Semaphore = request.app.state.db_slots
    await _take_slot(slots)
    try:
        writes = request.method not in SAFE_METHODS or records_read(
            request.method, request.url.path, request.url.query
        )
        session = get_database(request).session(write=writes)
        try:
            if get_settings(request).test_clock:
                await run_in_threadpool(follow_test_clock, session)  # CAL-2: the clock another process moved
            yield session
        except BaseException:
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(_abandon, session, limiter=CapacityLimiter(1))
            raise
        if not session.info.get(_ENDED):  # an endpoint of `web.endpoints.OneStepRoute` ended it
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(end_transaction, session, limiter=CapacityLimiter(1))
    finally:
        slots.release()


_ENDED = "poolcrm.ended"


def end_transaction(session: Session) -> None:
    """Commit the request's transaction and close its session (rolled back if the commit fails);
    once: the session is marked ended."""
    if session.info.get(_ENDED):
        return
    session.info[_ENDED] = True
    try:
        session.commit()
    except BaseException:
        _abandon(session)
        raise
    session.close()


def _abandon(session: Session) -> None:
    """Detach what was loaded before rolling back, so that the error page can still show the
    user's name and menu (a rollback would expire them), then roll back and close."""
    try:
        session.expunge_all()
        session.rollback()
    finally:
        session.close()


DB = Annotated[Session, Depends(get_db, scope="function")]


def lang_of(request: Request) -> str:
    """The page's language (cookie, then Accept-Language)."""
    return pick_lang(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


async def get_lang(request: Request) -> str:
    """`lang_of` as a dependency: `async` because it does no I/O — FastAPI runs a plain `def`
    dependency in the thread pool, a hand-over between threads for a few string operations."""
    return lang_of(request)


Lang = Annotated[str, Depends(get_lang)]


def client_address(request: Request) -> str | None:
    """The peer's address, for the AUTH-1/4/5 login throttles and the session record."""
    return request.client.host if request.client else None


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """AUTH-3: the signed session cookie (HttpOnly, SameSite=Lax, Secure when configured)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=get_settings(request).secure_cookies,
        max_age=TOKEN_MAX_AGE,
    )


def csrf_token_for(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), session_token.encode(), hashlib.sha256).hexdigest()[:32]


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def form_body(request: Request) -> FormData:
    """The request's form, read on the event loop (reading a body is async); Starlette keeps the
    parse on the request, so the CSRF check and the handler share it. Page handlers take it as a
    dependency and stay plain `def`: their database work then runs in the thread pool, never on
    the event loop."""
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        return await request.form()
    return FormData()


FormBody = Annotated[FormData, Depends(form_body)]


async def _csrf_sent(request: Request) -> str | None:
    """AUTH-3: the CSRF token a writing request carries (header, or the form field)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.method not in SAFE_METHODS:
        value = (await form_body(request)).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def current_user(request: Request, db: DB, csrf_sent: Annotated[str | None, Depends(_csrf_sent)]) -> User:
    """Bearer token (scripts) or the signed session cookie (pages, CSRF-checked on writes).
    A plain `def`: the token's user is read in the thread pool, not on the event loop."""
    settings = get_settings(request)
    bearer = bearer_token(request)
    if bearer is not None:
        request.state.user = user_from_token(db, settings.secret_key, bearer)  # a page renders for it too
        return request.state.user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated()
    user = user_from_token(db, settings.secret_key, cookie)
    if request.method not in SAFE_METHODS and not (
        csrf_sent is not None and hmac.compare_digest(csrf_sent, csrf_token_for(settings.secret_key, cookie))
    ):
        raise AppError("CSRF 校验失败，请刷新页面后重试", code="csrf_failed", status=403, rule="AUTH-3")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: str):  # type: ignore[no-untyped-def]
    """ORG-5: only users holding one of `roles` may act (others get 403)."""

    async def _check(user: CurrentUser) -> User:  # on the event loop: the roles came with the user
        if not user.has_role(*roles):
            raise Forbidden()
        return user

    return Depends(_check)


AdminUser = Annotated[User, require_roles("admin")]
