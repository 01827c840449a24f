"""The request's route found among the routers that can hold it, not by walking all of them.

FastAPI tries an application's routes in order, and an included router tries each of its routes in
turn: a page (whose routers come after every API router) was matched against all ~330 routes of
the app before its own — 0.7–1.1 ms of Python per request, a tenth of a page's work (issue 22,
`_IncludedRouter.matches` under load). `RouteIndex` sits in the application router's place and
hands a request to a copy of the router that holds only the top-level routes that can match its
path: those whose paths begin with the same literal key (the first segment, or `api/v1/<segment>`
for the API), in their original order, and every route whose key is a path parameter. A route
whose key is literal and different cannot match — a route's pattern is anchored and its key
segment ends at a `/` or the end of the path — so the answer (the route, 405 for a wrong method,
the trailing-slash redirect, 404) is the one the whole walk would give."""

from __future__ import annotations

import copy

from fastapi import APIRouter
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

API_SEGMENTS = 3
"""An API path's key: `api`, its version, and the resource (`api/v1/customers`)."""


def route_key(path: str) -> str:
    """The literal head of a path: its first segment, or its first three under `/api/`."""
    segments = path.split("/", API_SEGMENTS + 1)
    if len(segments) > 1 and segments[1] == "api":
        return "/".join(segments[1 : API_SEGMENTS + 1])
    return segments[1] if len(segments) > 1 else ""


def route_paths(route: BaseRoute) -> list[str]:
    """Every full path pattern a top-level route serves (an included router's routes, a mount's
    prefix, a route's own path)."""
    contexts = getattr(route, "effective_route_contexts", None)
    if contexts is not None:
        return [context.path_format for context in contexts()]
    return [str(getattr(route, "path_format", None) or getattr(route, "path", ""))]


class RouteIndex:
    """The application router's entry point (its `middleware_stack`), narrowing the walk by the
    path's key. Rebuilt when routes are added after it was made."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.size = -1
        self.by_key: dict[str, APIRouter] = {}
        self.rest = router

    def _narrowed(self, routes: list[BaseRoute]) -> APIRouter:
        narrowed = copy.copy(self.router)
        narrowed.routes = routes
        return narrowed

    def build(self) -> None:
        keyed: list[tuple[BaseRoute, set[str] | None]] = []
        for route in self.router.routes:
            keys = {route_key(path) for path in route_paths(route)}
            keyed.append((route, None if any("{" in key for key in keys) else keys))
        every_key = set().union(*(keys for _, keys in keyed if keys is not None))
        self.by_key = {
            key: self._narrowed([route for route, keys in keyed if keys is None or key in keys])
            for key in every_key
        }
        self.rest = self._narrowed([route for route, keys in keyed if keys is None])
        self.size = len(self.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        if len(self.router.routes) != self.size:
            self.build()
        scope.setdefault("router", self.router)  # url_for sees every route
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        narrowed = self.by_key.get(route_key(path), self.rest)
        await narrowed.app(scope, receive, send)


def index_routes(router: APIRouter) -> None:
    """Put a `RouteIndex` in front of the router's own walk."""
    router.middleware_stack = RouteIndex(router)
