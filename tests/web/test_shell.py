"""The web shell around every page: the bell (an inline SVG icon, no emoji font needed), the admin
sub-navigation, error pages for logged-in users, and no 500 for junk posted to any admin form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from poolcrm import clock
from poolcrm.calendar.rules import official_year_range
from tests.web.helpers import HTML, page_login

ADMIN_PAGES = ("/admin/users", "/admin/departments", "/admin/policy", "/admin/calendar", "/admin/audit")


def test_shell_bell_is_an_svg_icon_with_the_unread_count_and_times_are_local(
    client: TestClient, make_user: Callable[..., int]
) -> None:
    from poolcrm.notify.service import notify

    rep = make_user("rep", display_name="张伟")
    clock.set_now(datetime(2026, 11, 25, 16, 52, tzinfo=ZoneInfo("UTC")))
    with client.app.state.db.transaction() as s:
        notify(s, rep, "test", "客户即将被回收")
    page_login(client, "rep")
    html = client.get("/", headers=HTML).text
    bell = html[html.index('class="bell"') : html.index("</a>", html.index('class="bell"'))]
    assert "<svg" in bell and "🔔" not in html
    assert 'id="unread-count">1<' in bell
    assert '<a class="who" href="/me/password"' in html
    assert "<time>11-26 00:52</time>" in html, "CAL-2: shown in the company's zone (Asia/Shanghai)"
    assert "系统管理" not in html, "a rep has no admin menu"


def test_shell_admin_pages_share_a_sub_navigation(client: TestClient, make_user: Callable[..., int]) -> None:
    make_user("admin", ["admin"], dept="总经办", kind="other")
    page_login(client, "admin")
    for url in ADMIN_PAGES:
        html = client.get(url, headers=HTML).text
        nav = html[
            html.index('data-testid="admin-subnav"') : html.index("</nav>", html.index("admin-subnav"))
        ]
        assert all(f'href="{u}"' in nav for u in ADMIN_PAGES), url
        assert f'<a href="{url}" class="active">' in nav, url
    assert client.get("/admin", headers=HTML, follow_redirects=False).headers["location"] == "/admin/users"


def test_cal1_admin_dashboard_warns_about_a_year_without_official_data(
    client: TestClient, make_user: Callable[..., int]
) -> None:
    last = official_year_range()[1]
    clock.set_now(datetime(last, 11, 10, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    make_user("admin", ["admin"], dept="总经办", kind="other")
    page_login(client, "admin")
    html = client.get("/", headers=HTML).text
    assert f"官方节假日数据尚未覆盖 {last + 1} 年" in html
    assert f'href="/admin/calendar?year={last + 1}"' in html


def test_shell_error_pages_keep_the_users_menu(client: TestClient, make_user: Callable[..., int]) -> None:
    make_user("rep", display_name="张伟")
    page_login(client, "rep")
    resp = client.get("/admin/users", headers=HTML)
    assert resp.status_code == 403 and "没有权限执行此操作" in resp.text and "张伟" in resp.text
    make_user("admin", ["admin"], dept="总经办", kind="other", display_name="管理员")
    page_login(client, "admin")
    resp = client.get("/admin/users/424242", headers=HTML)
    assert resp.status_code == 404 and "找不到该对象" in resp.text and "管理员" in resp.text


JUNK_VALUES = [
    "",
    " ",
    "x",
    "-1",
    "0",
    "999999999999999999999",
    "2026-02-30",
    "<script>",
    "\u0000",
    "𠀀" * 300,
]


def test_admin_forms_never_answer_500_to_junk(client: TestClient, make_user: Callable[..., int]) -> None:
    make_user("admin", ["admin"], dept="总经办", kind="other")
    make_user("rep")
    token = page_login(client, "admin")
    fields = [
        "username", "password", "display_name", "roles", "department_id", "supervisor_id", "hired_on",
        "employee_code", "email", "mobile", "active", "name", "kind", "parent_id", "head_user_id", "section",
        "day", "workday", "note", "reason", "old_password", "new_password", "confirm_password",
        "private_pool_limit_senior", "release_needs_supervisor", "tier_cadence_days", "three_strikes_counts",
        "review_skip_department_ids", "timezone",
    ]  # fmt: skip
    posts = [
        "/admin/users/new", "/admin/users/2", "/admin/users/2/active", "/admin/users/abc",
        "/admin/departments", "/admin/departments/1", "/admin/departments/999", "/admin/calendar/overrides",
        "/admin/calendar/overrides/not-a-date/remove", "/me/password",
    ]  # fmt: skip
    for url in posts:
        for n, junk in enumerate(JUNK_VALUES):
            data = {f: junk for f in fields}
            section = ("org", "cus", "pool", "cal")[n % 4]
            resp = client.post(url, data={**data, "section": section, "csrf_token": token}, headers=HTML)
            assert resp.status_code < 500, (url, data, resp.text[-500:])
            if url == "/me/password":
                token = page_login(client, "admin")
    for url in ADMIN_PAGES:
        for junk in JUNK_VALUES:
            params = {k: junk for k in ("page", "year", "q", "since", "action", "object_id", "department")}
            assert client.get(url, params=params, headers=HTML).status_code < 500, (url, junk)


def test_no_handler_or_dependency_does_database_work_on_the_event_loop(client: TestClient) -> None:
    """Every route handler is a plain `def`, run in the thread pool in one step with the end of its
    transaction (`web.endpoints.OneStepRoute` hands FastAPI an `async` wrapper of it); the only
    `async` dependencies are the ones that read the request body (the form, the CSRF field), which
    touch no database, and the request's transaction (`get_db`: made on the loop without I/O,
    ended in the thread pool, after the database slot it waits for), the language (no I/O), and
    the role check (the roles came with the user)."""
    import inspect

    from fastapi.routing import APIRoute

    from poolcrm.web import deps
    from poolcrm.web.endpoints import OneStepRoute

    def routes(items: list) -> list:  # FastAPI ≥ 0.16x keeps included routers whole
        out = []
        for item in items:
            nested = getattr(item, "original_router", None)
            out += routes(nested.routes) if nested is not None else [item]
        return out

    allowed = {deps.form_body, deps._csrf_sent, deps.get_db, deps.get_lang}
    role_check = deps.require_roles("admin").dependency.__code__  # every require_roles(...) check
    checked = 0
    for route in routes(client.app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        assert isinstance(route, OneStepRoute), route.path
        assert not inspect.iscoroutinefunction(inspect.unwrap(route.endpoint)), route.path
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            if dep.call is not None and (
                inspect.iscoroutinefunction(dep.call) or inspect.isasyncgenfunction(dep.call)
            ):
                assert dep.call in allowed or dep.call.__code__ is role_check, (route.path, dep.call)
            stack.extend(dep.dependencies)
        checked += 1
    assert checked > 100
