"""API.md: every error has the documented shape; no 500 for bad input, on any endpoint."""

import random
import re

import pytest

from poolcrm.db import MAX_ID
from poolcrm.web.forms import whole_number
from tests.conftest import auth_headers
from tests.web.helpers import page_login

JUNK_BODIES = [
    None,
    "not json",
    "[]",
    '{"a":',
    "{}",
    '{"name": 12345, "id": "x", "date": "2026-99-99"}',
    '{"' + "x" * 300 + '": [1, {"b": null}]}',
    "\u0000\ufffd",
]


def _endpoints(app):
    """Every documented API operation (FastAPI keeps included routers lazily, so ask its schema)."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method in operations:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                out.append((method.upper(), path))
    return out


def _fill(path):
    for token in (
        "{id}",
        "{user_id}",
        "{dept_id}",
        "{note_id}",
        "{customer_id}",
        "{deal_id}",
        "{plan_id}",
        "{app_id}",
        "{application_id}",
    ):
        path = path.replace(token, random.choice(["1", "999999", "abc", "-1"]))

    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_api_junk_to_every_endpoint_never_500_and_always_error_shape(client, admin_headers, lang):
    random.seed(7)
    headers = {**admin_headers, "Accept-Language": lang, "Content-Type": "application/json"}
    endpoints = _endpoints(client.app)
    assert len(endpoints) > 15
    for method, path in endpoints:
        if path.endswith("/jobs/run-daily"):
            continue
        for body in JUNK_BODIES:
            url = _fill(path)
            resp = client.request(
                method, url, content=body, headers=headers, params={"page": "x", "start": "?"}
            )
            assert resp.status_code < 500, (method, url, body, resp.text)
            if resp.status_code >= 400:
                err = resp.json()["error"]
                assert set(err) == {"code", "message", "rule", "details"}, (method, url)
                assert err["message"]


def test_api_error_message_in_english_on_request(client):
    resp = client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert resp.json()["error"]["message"] == "Please log in first"


def test_api_validation_error_names_each_field(client, admin_headers):
    resp = client.post("/api/v1/users", json={"username": "x"}, headers=admin_headers)
    assert resp.status_code == 422
    fields = resp.json()["error"]["details"]["fields"]
    assert {"password", "display_name", "roles", "hired_on"} <= set(fields)


# Digits `str.isdigit()` takes and `int()` refuses ('²', '①') or reads ('١٢'), a number no id can be,
# and other near-numbers: refused naming the field, never a 500.
ODD_NUMBERS = ["²", "①", "١٢", "12a", "-1", " 1", "99999999999"]


def test_whole_number_takes_ascii_digits_no_larger_than_an_id():
    assert [whole_number(raw) for raw in ("0", "12", str(MAX_ID))] == [0, 12, MAX_ID]
    for raw in [*ODD_NUMBERS, "", None, 12, str(MAX_ID + 1)]:
        assert whole_number(raw) is None, raw


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_odd_numbers_in_queries_are_422_naming_the_field(client, make_user, raw):
    make_user("gm9", ["gm"])
    headers = auth_headers(client, "gm9")
    for path, field in (
        ("/api/v1/deals?owner=", "owner"),
        ("/api/v1/deals?stage=", "stage"),
        ("/api/v1/tickets?assignee=", "assignee"),
    ):
        resp = client.get(path + raw, headers=headers)
        assert resp.status_code == 422, (path, raw, resp.text)
        assert field in resp.json()["error"]["details"]["fields"], (path, raw)


@pytest.mark.parametrize("raw", ["²", "①", "99999999999"])
def test_odd_user_ids_in_forms_rerender_with_422(client, make_user, raw):
    make_user("gm9", ["gm"])
    csrf = page_login(client, "gm9")
    for path, form in (
        ("/violations", {"user_id": raw, "kind": "fake_followup", "evidence": "电话记录与实际不符"}),
        ("/duty/reinstate", {"user_id": raw, "reason": "已整改"}),
    ):
        resp = client.post(path, data={**form, "csrf_token": csrf}, headers={"Accept": "text/html"})
        assert resp.status_code == 422, (path, raw, resp.status_code)


def _routes(items: list) -> list:
    """Every route, the included routers' opened (FastAPI ≥ 0.16x keeps them whole)."""
    out = []
    for item in items:
        nested = getattr(item, "original_router", None)
        out += _routes(nested.routes) if nested is not None else [item]
    return out


# query parameters the pages read by hand (ids, positions, months, stages, flags)
PAGE_PARAMS = [
    *("owner", "user_id", "customer_id", "team", "department", "page", "assignee", "stage"),
    *("edit", "tested", "saved", "year", "month", "id", "deal_id", "min_days", "days", "limit"),
]


def test_sec1_a_number_no_column_holds_in_any_api_query_is_never_500(client, make_user, app):
    make_user("gm9", ["gm"])
    headers = auth_headers(client, "gm9")
    failed = []
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations or "{" in path:
            continue
        for parameter in operations["get"].get("parameters", []):
            if parameter.get("in") != "query":
                continue
            for junk in ("99999999999999", "²"):
                resp = client.get(f"{path}?{parameter['name']}={junk}", headers=headers)
                if resp.status_code >= 500:
                    failed.append((path, parameter["name"], junk))
    assert not failed


def test_sec1_a_number_no_column_holds_in_any_page_query_is_never_500(client, make_user, app):
    make_user("gm9", ["gm"])
    page_login(client, "gm9")
    paths = sorted(
        {
            r.path
            for r in _routes(app.routes)
            if "GET" in getattr(r, "methods", ())
            and "{" not in r.path
            and not r.path.startswith(("/api", "/static"))
        }
    )
    assert len(paths) > 50
    failed = [
        (path, name)
        for path in paths
        for name in PAGE_PARAMS
        if client.get(f"{path}?{name}=99999999999999", headers={"Accept": "text/html"}).status_code >= 500
    ]
    assert not failed


# form fields the pages parse as numbers
FORM_NUMBERS = ["stage", "amount", "quantity", "unit_price", "months", "days", "count", "limit", "score"]
FORM_NUMBERS += ["intention", "value", "budget", "rating", "year", "month", "hours", "installments"]


def test_a_post_to_any_page_for_an_object_not_there_is_never_500(client, make_user, app):
    """A page that re-renders a refusal after its rollback and then finds the object gone (or not
    the user's to see) answers 404 with the user's menu — it was a 500: the error page could not
    load the expired, detached user's roles."""
    make_user("gm9", ["gm", "admin"])
    csrf = page_login(client, "gm9")
    paths = sorted(
        {
            re.sub(r"\{[^}]+\}", "999999", r.path)
            for r in _routes(app.routes)
            if "POST" in getattr(r, "methods", ())
            and not r.path.startswith(("/api", "/static", "/login", "/logout"))
        }
    )
    assert len(paths) > 100
    form = {name: "²" for name in FORM_NUMBERS} | {"csrf_token": csrf}
    failed = []
    for path in paths:
        resp = client.post(path, data=form, headers={"Accept": "text/html"}, follow_redirects=False)
        if resp.status_code >= 500:
            failed.append(path)
    assert not failed
    resp = client.post("/customers/999999/followups", data=form, headers={"Accept": "text/html"})
    assert resp.status_code == 404 and "gm9" in resp.text


def test_api_a_conflict_names_its_rule():
    """API.md: a 409 names the rule it enforces. `Conflict` takes the rule as a required keyword,
    and no `Conflict(...)` in the code base goes without one (a rarely taken path would otherwise
    answer 500 instead of its 409)."""
    import ast
    from pathlib import Path

    import poolcrm
    from poolcrm.errors import Conflict

    with pytest.raises(TypeError):
        Conflict("部门名称已存在")  # type: ignore[call-arg]
    assert Conflict("部门名称已存在", rule="ORG-3").render("zh")["error"]["rule"] == "ORG-3"
    unnamed = []
    for path in Path(poolcrm.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Conflict"
                and not any(k.arg == "rule" for k in node.keywords)
            ):
                unnamed.append(f"{path.name}:{node.lineno}")
    assert unnamed == []


def test_sec1_every_id_in_a_request_body_is_a_json_integer():
    """Ids in bodies are `db.Id` (strict): `true`, `"1"` and `1.0` are refused, never read as row 1.
    Every body model of every API router is checked, so a new one is too."""
    from typing import Annotated

    from pydantic import BaseModel, TypeAdapter, ValidationError

    from poolcrm.domains import domain_modules

    def body_models():
        routes = [route for module in domain_modules("api") for route in module.router.routes]
        assert len(routes) > 100
        for route in routes:
            body = getattr(getattr(route, "dependant", None), "body_params", None) or []
            for param in body:
                kind = param.field_info.annotation
                for model in getattr(kind, "__args__", (kind,)):
                    if isinstance(model, type) and issubclass(model, BaseModel):
                        yield model

    models = set(body_models())
    assert len(models) > 30
    loose = set()
    for model in models:
        for name, field in model.model_fields.items():
            if not (name.endswith(("_id", "_ids")) or name == "id"):
                continue
            kind = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            for junk in (True, "1", 1.0):
                value = [junk] if name.endswith("_ids") else junk
                try:
                    TypeAdapter(kind).validate_python(value)
                except ValidationError:
                    continue
                loose.add(f"{model.__name__}.{name}")
    assert loose == set()
