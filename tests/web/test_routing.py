"""The route index (issue 22): a request is matched only against the routers that can hold its
path, and gets the answer the whole walk would give."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from poolcrm.web.routing import RouteIndex, route_key, route_paths
from tests.web.helpers import HTML


def _index(app: Any) -> RouteIndex:
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    index.build()
    return index


def test_route_key_is_the_literal_head_of_a_path() -> None:
    assert route_key("/api/v1/customers/12/claim") == "api/v1/customers"
    assert route_key("/api/v1/me") == "api/v1/me"
    assert route_key("/customers/12") == "customers"
    assert route_key("/customers") == "customers"
    assert route_key("/") == ""
    assert route_key("") == ""


def test_every_route_is_in_the_narrowed_router_of_its_own_path(app: Any) -> None:
    index = _index(app)
    checked = 0
    for route in app.router.routes:
        for path in route_paths(route):
            concrete = re.sub(r"\{[^}]*\}", "1", path)
            narrowed = index.by_key.get(route_key(concrete), index.rest)
            assert route in narrowed.routes, path
            checked += 1
    assert checked > 300
    # and nothing is tried twice or in another order than the app's own
    for narrowed in index.by_key.values():
        positions = [app.router.routes.index(route) for route in narrowed.routes]
        assert positions == sorted(set(positions))
        assert len(narrowed.routes) < len(app.router.routes) // 4


def test_the_narrowed_walk_answers_as_the_whole_walk(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401  # found, not signed in
    assert client.get("/api/v1/no-such-thing").json()["error"]["code"] == "not_found"
    assert client.get("/no-such-page").status_code == 404
    assert client.delete("/api/v1/me").status_code == 405  # the path is there, the method is not
    assert client.get("/static/css/app.css").status_code == 200
    login = client.get("/login", headers=HTML)
    assert login.status_code == 200 and "<form" in login.text


def test_a_route_added_later_is_found(app: Any, client: TestClient) -> None:
    client.get("/login")  # the index is built
    app.add_api_route("/late-route", lambda: {"late": True})
    assert client.get("/late-route").json() == {"late": True}
