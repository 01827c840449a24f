"""Admin pages for users and departments (ORG-1..7): real writes through the service, audited,
errors inline next to the field, refusals with their rule ID, 403 for everyone but the admin."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.db import Database
from poolcrm.org import pages as org_pages
from poolcrm.org.models import Department, User
from tests.conftest import PASSWORD
from tests.web.helpers import HTML, page_login


@pytest.fixture
def company(make_user: Callable[..., int]) -> dict[str, int]:
    """An admin (总经办), a supervisor and a rep (销售一部), and a CS agent (客服部)."""
    admin = make_user("admin", ["admin"], dept="总经办", kind="other", display_name="管理员")
    boss = make_user("boss", ["supervisor", "sales"], display_name="王主管")
    rep = make_user("rep", ["sales"], supervisor_id=boss, display_name="张伟")
    cs = make_user("cs", ["cs"], dept="客服部", kind="cs", display_name="郑客服")
    return {"admin": admin, "boss": boss, "rep": rep, "cs": cs}


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', html))


def _dept_id(database: Database, name: str) -> int:
    with database.transaction() as s:
        return s.scalar(select(Department.id).where(Department.name == name))  # type: ignore[return-value]


def _user(database: Database, username: str) -> dict[str, Any] | None:
    with database.transaction() as s:
        u = s.scalar(select(User).where(User.username == username))
        if u is None:
            return None
        return {
            "id": u.id,
            "roles": sorted(u.roles),
            "department_id": u.department_id,
            "supervisor_id": u.supervisor_id,
            "hired_on": u.hired_on,
            "employee_code": u.employee_code,
            "active": u.active,
            "left_on": u.left_on,
            "display_name": u.display_name,
        }


def _audit(database: Database, action: str) -> list[AuditEntry]:
    with database.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
        s.expunge_all()
        return rows


def test_org5_admin_pages_are_forbidden_to_others_and_ask_strangers_to_log_in(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{company['rep']}", "/admin/departments"):
        resp = client.get(url, headers=HTML, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), url
    token = page_login(client, "boss")
    for url in ("/admin/users", "/admin/departments", "/admin/policy", "/admin/calendar", "/admin/audit"):
        resp = client.get(url, headers=HTML)
        assert resp.status_code == 403, url
        assert "没有权限执行此操作" in resp.text and "王主管" in resp.text
    form = {"csrf_token": token, "username": "sneaky", "password": "sneaky-pass", "display_name": "X"}
    resp = client.post(
        "/admin/users/new", data={**form, "roles": "admin", "hired_on": "2026-01-01"}, headers=HTML
    )
    assert resp.status_code == 403
    assert _user(database, "sneaky") is None


def test_org1_admin_creates_a_user_with_several_roles_through_the_form(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    token = page_login(client, "admin")
    page = client.get("/admin/users/new", headers=HTML).text
    assert 'name="roles" value="supervisor"' in page and "销售一部" in page and "王主管" in page
    sales = _dept_id(database, "销售一部")
    form = {
        "csrf_token": token,
        "username": "xiaoming",
        "password": "xiaoming-2026",
        "display_name": "肖明",
        "roles": ["sales", "supervisor"],
        "department_id": str(sales),
        "supervisor_id": str(company["boss"]),
        "hired_on": "2026-11-02",
        "employee_code": "BJ0105",
        "mobile": "13800138000",
    }
    resp = client.post("/admin/users/new", data=form, headers=HTML, follow_redirects=False)
    assert resp.status_code == 303
    created = _user(database, "xiaoming")
    assert created is not None
    assert resp.headers["location"] == f"/admin/users/{created['id']}?done=created"
    assert created["roles"] == ["sales", "supervisor"]
    assert created["department_id"] == sales and created["supervisor_id"] == company["boss"]
    assert created["hired_on"] == date(2026, 11, 2) and created["employee_code"] == "BJ0105"
    entry = _audit(database, "user.create")[-1]
    assert (
        entry.actor_id == company["admin"] and entry.object_id == str(created["id"]) and entry.rule == "ORG-1"
    )

    listed = client.get("/admin/users", headers=HTML).text
    row = re.search(r'<tr class="" data-user="xiaoming">(.*?)</tr>', listed, re.S)
    assert row and "肖明" in row.group(1) and "销售一部" in row.group(1) and "王主管" in row.group(1)
    client.cookies.clear()
    assert client.post(
        "/api/v1/auth/token", json={"username": "xiaoming", "password": "xiaoming-2026"}
    ).is_success


def test_org_user_form_shows_each_error_next_to_its_field_and_creates_nothing(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    token = page_login(client, "admin")
    resp = client.post(
        "/admin/users/new",
        data={"csrf_token": token, "username": "x", "hired_on": "2026-13-40"},
        headers=HTML,
    )
    assert resp.status_code == 422
    errors = _errors(resp.text)
    assert errors["username"] == "太短"
    assert errors["password"] == errors["display_name"] == errors["roles"] == "必填"
    assert errors["hired_on"] == "日期格式不正确"
    assert 'value="x"' in resp.text, "what was typed is kept"

    form = {
        "csrf_token": token,
        "username": "wang",
        "password": "wang-pass-1",
        "display_name": "王五",
        "roles": "sales",
        "hired_on": "2026-01-05",
        "employee_code": "bj-1",
    }
    resp = client.post("/admin/users/new", data=form, headers=HTML)
    assert resp.status_code == 422
    assert "员工编号格式不正确" in _errors(resp.text)["employee_code"]
    assert "ORG-6" in resp.text
    resp = client.post(
        "/admin/users/new", data={**form, "employee_code": "", "username": "REP"}, headers=HTML
    )
    assert resp.status_code == 409
    assert _errors(resp.text)["username"] == "用户名已存在"
    assert _user(database, "wang") is None


def test_org_edit_user_roles_department_supervisor_and_refuse_a_supervisor_loop(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    token = page_login(client, "admin")
    cs_dept = _dept_id(database, "客服部")
    page = client.get(f"/admin/users/{company['rep']}", headers=HTML).text
    assert 'value="张伟"' in page and "停用账号" in page
    form = {
        "csrf_token": token,
        "display_name": "张伟",
        "roles": ["cs", "service"],
        "department_id": str(cs_dept),
        "supervisor_id": str(company["cs"]),
        "hired_on": "2024-03-01",
        "employee_code": "CS0009",
    }
    resp = client.post(f"/admin/users/{company['rep']}", data=form, headers=HTML, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith("done=saved")
    rep = _user(database, "rep")
    assert rep is not None
    assert rep["roles"] == ["cs", "service"] and rep["department_id"] == cs_dept
    assert rep["supervisor_id"] == company["cs"] and rep["hired_on"] == date(2024, 3, 1)
    entry = _audit(database, "user.update")[-1]
    assert entry.before["roles"] == ["sales"] and entry.after["roles"] == ["cs", "service"]

    loop = {**form, "supervisor_id": str(company["rep"]), "display_name": "郑客服", "roles": "cs"}
    resp = client.post(f"/admin/users/{company['cs']}", data=loop, headers=HTML)
    assert resp.status_code == 422
    assert _errors(resp.text)["supervisor_id"] == "上下级关系不能形成循环"
    cs = _user(database, "cs")
    assert cs is not None and cs["supervisor_id"] is None

    blank = {**form, "display_name": "", "hired_on": ""}
    resp = client.post(f"/admin/users/{company['rep']}", data=blank, headers=HTML)
    assert resp.status_code == 422
    assert _errors(resp.text) == {"display_name": "必填", "hired_on": "必填"}
    assert client.get("/admin/users/999999", headers=HTML).status_code == 404


def test_org7_disabling_keeps_the_user_and_enabling_brings_them_back(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    token = page_login(client, "admin")
    resp = client.post(
        f"/admin/users/{company['rep']}/active",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    rep = _user(database, "rep")
    assert rep is not None and rep["active"] is False and rep["left_on"] is not None
    assert _audit(database, "user.disable")[-1].rule == "ORG-7"
    assert 'data-user="rep"' not in client.get("/admin/users", headers=HTML).text
    disabled = client.get("/admin/users?status=disabled", headers=HTML).text
    assert 'data-user="rep"' in disabled and "已停用" in disabled
    assert (
        client.post("/api/v1/auth/token", json={"username": "rep", "password": PASSWORD}).status_code == 401
    )

    resp = client.post(
        f"/admin/users/{company['rep']}/active",
        data={"csrf_token": token, "active": "1"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    rep = _user(database, "rep")
    assert rep is not None and rep["active"] is True and rep["left_on"] is None


def test_org7a_an_admin_cannot_disable_themselves_nor_drop_their_admin_role(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    token = page_login(client, "admin")
    resp = client.post(f"/admin/users/{company['admin']}/active", data={"csrf_token": token, "active": "0"})
    assert resp.status_code == 409
    assert "ORG-7a: 不能停用自己的账号" in resp.text
    form = {"csrf_token": token, "display_name": "管理员", "roles": "sales", "hired_on": "2024-01-01"}
    resp = client.post(f"/admin/users/{company['admin']}", data=form, headers=HTML)
    assert resp.status_code == 409 and "ORG-7a" in resp.text
    admin = _user(database, "admin")
    assert admin is not None and admin["active"] and admin["roles"] == ["admin"]


def test_org_user_list_filters_by_department_role_and_status(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    page_login(client, "admin")

    def listed(query: str) -> set[str]:
        html = client.get(f"/admin/users?{query}", headers=HTML).text
        return set(re.findall(r'data-user="([^"]+)"', html))

    assert listed("") == {"admin", "boss", "rep", "cs"}
    assert listed(f"department={_dept_id(database, '销售一部')}") == {"boss", "rep"}
    assert listed("role=supervisor") == {"boss"}
    assert listed("q=郑") == {"cs"}
    assert listed("status=disabled") == set()
    assert listed("department=abc&role=nonsense&status=weird") == {"admin", "boss", "rep", "cs"}


def test_org_user_list_a_page_at_a_time_with_the_filters_kept(
    client: TestClient, database: Database, company: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nationwide company's 1,300 users were one page of 635 KB: the list pages (ORG-1)."""
    monkeypatch.setattr(org_pages, "USERS_PAGE", 3)
    page_login(client, "admin")

    def listed(query: str) -> tuple[list[str], str]:
        html = client.get(f"/admin/users?{query}", headers=HTML).text
        return re.findall(r'data-user="([^"]+)"', html), html

    first, html = listed("")
    assert first == ["admin", "boss", "rep"] and "共 4 人" in html and "page=2" in html
    assert listed("page=2")[0] == ["cs"]
    assert listed("page=99")[0] == ["cs"] and listed("page=x")[0] == first and listed("page=0")[0] == first
    filtered, html = listed(f"department={_dept_id(database, '销售一部')}&page=1")
    assert filtered == ["boss", "rep"] and "共 2 人" in html and 'data-testid="user-pager"' not in html
    assert listed("role=sales&page=2")[0] == ["boss", "rep"]  # one page: the last page is the first


def test_org3_department_tree_create_edit_and_loops_refused(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    token = page_login(client, "admin")
    sales = _dept_id(database, "销售一部")
    resp = client.post(
        "/admin/departments",
        data={"csrf_token": token, "name": "销售一部一组", "kind": "sales", "parent_id": str(sales)},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    group = _dept_id(database, "销售一部一组")
    assert _audit(database, "department.create")[-1].after["parent_id"] == sales
    tree = client.get("/admin/departments", headers=HTML).text
    names = re.findall(r'data-dept="([^"]+)"', tree)
    assert names.index("销售一部一组") == names.index("销售一部") + 1, "a child follows its parent"
    assert "└" in tree

    edit = {"csrf_token": token, "name": "销售一部", "kind": "ka", "parent_id": str(group), "active": "1"}
    resp = client.post(f"/admin/departments/{sales}", data=edit, headers=HTML)
    assert resp.status_code == 422
    assert _errors(resp.text)["parent_id"] == "部门上下级不能形成循环"
    assert "ORG-3" in resp.text
    resp = client.post(f"/admin/departments/{sales}", data={**edit, "parent_id": ""}, follow_redirects=False)
    assert resp.status_code == 303
    with database.transaction() as s:
        dept = s.get(Department, sales)
        assert dept is not None and dept.kind == "ka" and dept.parent_id is None

    resp = client.post(
        "/admin/departments", data={"csrf_token": token, "name": "客服部", "kind": "cs"}, headers=HTML
    )
    assert resp.status_code == 409 and _errors(resp.text)["name"] == "部门名称已存在"
    resp = client.post(
        "/admin/departments", data={"csrf_token": token, "name": "", "kind": "boss"}, headers=HTML
    )
    assert resp.status_code == 422 and set(_errors(resp.text)) == {"name", "kind"}


def test_org_admin_forms_need_the_csrf_token(
    client: TestClient, database: Database, company: dict[str, int]
) -> None:
    page_login(client, "admin")
    resp = client.post("/admin/departments", data={"name": "无令牌部", "kind": "other"}, headers=HTML)
    assert resp.status_code == 403 and "AUTH-3" in resp.text
    assert _dept_id(database, "无令牌部") is None


def test_org_pages_in_english_on_request(client: TestClient, company: dict[str, int]) -> None:
    page_login(client, "admin")
    client.get("/lang/en?next=/admin/users/new", headers=HTML)
    html = client.get("/admin/users/new", headers=HTML).text
    assert "New user" in html and "Sales rep" in html and "Supervisor" in html
    assert "新建用户" not in html
