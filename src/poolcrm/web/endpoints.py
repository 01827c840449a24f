"""A plain `def` endpoint runs in one step through the thread pool, and the request's transaction
ends in that same step.

FastAPI hands a plain `def` endpoint to the thread pool, then hands its answer to the thread pool
again to validate it against the endpoint's return annotation (a `dict[str, Any]` for most of the
API), and the transaction's end (`web.deps.get_db`) took a third step: each step a hand-over
between the event loop and a thread (issue 22: of a `GET /api/v1/me`'s 3 ms of the app's CPU,
57 % ran on the event loop and 14 % went to the hand-overs). `OneStepRoute` gives FastAPI an `async`
endpoint that runs the plain one in the thread pool and, in the same thread, commits the request's
session when the endpoint returns (`web.deps.end_transaction`); FastAPI then validates the answer
on the loop (as it does for every `async` endpoint), and `get_db` finds its transaction ended.
Measured: a list's answer 10–15 % less CPU; `/me` and pages within the noise (`docs/benchmarks.md`).

An endpoint that raises leaves its session to `get_db`, which rolls it back as before. The commit
comes before FastAPI checks the answer against the return annotation: every endpoint builds its
answer (plain values, pydantic models, a rendered page) before it returns, so nothing is read from
the closed session afterwards."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from poolcrm.web.deps import end_transaction


def _run(endpoint: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """The endpoint, then the end of the transaction of every session it was given (one: `DB`)."""
    result = endpoint(**arguments)
    for value in arguments.values():
        if isinstance(value, Session):
            end_transaction(value)
    return result


def one_step(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` as an `async` endpoint of the same signature (annotations resolved, so that
    FastAPI reads the same parameters and return type), or itself when it is `async` already."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    async def run(**arguments: Any) -> Any:
        return await run_in_threadpool(_run, endpoint, arguments)

    functools.update_wrapper(run, endpoint)
    hints = typing.get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    returns = hints.get("return", signature.return_annotation)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
        ],
        # `-> None` (a 204): get_type_hints says NoneType, FastAPI reads None as "no body"
        return_annotation=None if returns is type(None) else returns,
    )
    return run


class OneStepRoute(APIRoute):
    """The route class of every router of the app (`APIRouter(route_class=OneStepRoute)`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, one_step(endpoint), **kwargs)
