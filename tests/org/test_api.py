from tests.conftest import PASSWORD, auth_headers


def _dept(client, headers, name="销售一部", kind="sales"):
    resp = client.post("/api/v1/departments", json={"name": name, "kind": kind}, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def _user(client, headers, username, roles, dept_id, supervisor_id=None, **extra):
    body = {
        "username": username,
        "password": PASSWORD,
        "display_name": username,
        "roles": roles,
        "department_id": dept_id,
        "supervisor_id": supervisor_id,
        "hired_on": "2025-01-01",
        **extra,
    }
    resp = client.post("/api/v1/users", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_org1_admin_creates_department_and_user_with_several_roles(client, admin_headers):
    dept = _dept(client, admin_headers)
    user = _user(client, admin_headers, "wang", ["sales", "supervisor"], dept, employee_code="BJ0101")
    assert sorted(user["roles"]) == ["sales", "supervisor"]
    assert user["department"]["kind"] == "sales"
    me = client.get("/api/v1/me", headers=auth_headers(client, "wang")).json()
    assert me["username"] == "wang"
    assert me["pool"] == {"owned": 0, "pending": 0, "limit": 250}


def test_org5_only_admin_creates_users(client, admin_headers):
    dept = _dept(client, admin_headers)
    _user(client, admin_headers, "rep", ["sales"], dept)
    resp = client.post(
        "/api/v1/departments", json={"name": "x", "kind": "sales"}, headers=auth_headers(client, "rep")
    )
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"


def test_org6_employee_code_pattern_and_uniqueness(client, admin_headers):
    dept = _dept(client, admin_headers)
    body = {
        "username": "a1",
        "password": PASSWORD,
        "display_name": "A",
        "roles": ["sales"],
        "department_id": dept,
        "hired_on": "2025-01-01",
        "employee_code": "bad",
    }
    resp = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert resp.status_code == 422
    assert "employee_code" in resp.json()["error"]["details"]["fields"]
    _user(client, admin_headers, "a2", ["sales"], dept, employee_code="BJ0102")
    body.update(username="a3", employee_code="BJ0102")
    resp = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert resp.status_code == 422


def test_org7_disabled_user_cannot_log_in_and_is_kept(client, admin_headers):
    dept = _dept(client, admin_headers)
    user = _user(client, admin_headers, "leaver", ["sales"], dept)
    headers = auth_headers(client, "leaver")
    resp = client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin_headers)
    assert resp.status_code == 200
    assert resp.json()["active"] is False and resp.json()["left_on"]
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert (
        client.post("/api/v1/auth/token", json={"username": "leaver", "password": PASSWORD}).status_code
        == 401
    )
    listed = client.get("/api/v1/users", headers=admin_headers).json()
    assert any(u["username"] == "leaver" for u in listed)


def test_org2_supervisor_cycle_refused(client, admin_headers):
    dept = _dept(client, admin_headers)
    boss = _user(client, admin_headers, "boss", ["supervisor"], dept)
    rep = _user(client, admin_headers, "rep", ["sales"], dept, supervisor_id=boss["id"])
    resp = client.patch(
        f"/api/v1/users/{boss['id']}", json={"supervisor_id": rep["id"]}, headers=admin_headers
    )
    assert resp.status_code == 422
    assert "supervisor_id" in resp.json()["error"]["details"]["fields"]


def test_org2_visibility_scope_follows_the_tree(database, make_user):
    from poolcrm.org.models import User
    from poolcrm.org.service import visible_owner_ids

    top = make_user("top", ["supervisor"])
    mid = make_user("mid", ["supervisor"], supervisor_id=top)
    leaf = make_user("leaf", ["sales"], supervisor_id=mid)
    other = make_user("other", ["sales"])
    cs = make_user("cs", ["cs"], dept="客服部", kind="cs")
    with database.transaction() as s:
        assert visible_owner_ids(s, s.get(User, top)) == {top, mid, leaf}
        assert visible_owner_ids(s, s.get(User, leaf)) == {leaf}
        assert other not in visible_owner_ids(s, s.get(User, mid))
        assert visible_owner_ids(s, s.get(User, cs)) is None


def test_org3_department_kind_is_validated(client, admin_headers):
    resp = client.post("/api/v1/departments", json={"name": "x", "kind": "marketing"}, headers=admin_headers)
    assert resp.status_code == 422
    assert "kind" in resp.json()["error"]["details"]["fields"]


def test_org_patch_cannot_blank_out_required_fields(client, admin_headers):
    dept = _dept(client, admin_headers)
    user = _user(client, admin_headers, "rep", ["sales"], dept)
    body = {"display_name": None, "hired_on": None, "roles": None, "active": None, "password": None}
    resp = client.patch(f"/api/v1/users/{user['id']}", json=body, headers=admin_headers)
    assert resp.status_code == 422
    assert set(resp.json()["error"]["details"]["fields"]) == set(body)
    resp = client.patch(f"/api/v1/departments/{dept}", json={"name": None}, headers=admin_headers)
    assert resp.status_code == 422


def test_org3_department_parent_and_head_must_exist_and_stay_a_tree(client, admin_headers):
    top = _dept(client, admin_headers, "销售中心")
    resp = client.post(
        "/api/v1/departments",
        json={"name": "一组", "kind": "sales", "parent_id": top, "head_user_id": 424242},
        headers=admin_headers,
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["fields"] == {"head_user_id": "负责人不存在"}
    child = client.post(
        "/api/v1/departments", json={"name": "一组", "kind": "sales", "parent_id": top}, headers=admin_headers
    ).json()["id"]
    resp = client.patch(f"/api/v1/departments/{top}", json={"parent_id": child}, headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "ORG-3"
    assert client.get("/api/v1/users/99999999999999999", headers=admin_headers).status_code == 404


def test_org7a_admin_cannot_lock_themselves_out(client, admin_headers):
    me = client.get("/api/v1/me", headers=admin_headers).json()
    resp = client.patch(f"/api/v1/users/{me['id']}", json={"active": False}, headers=admin_headers)
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "ORG-7a"
    resp = client.patch(f"/api/v1/users/{me['id']}", json={"roles": ["gm"]}, headers=admin_headers)
    assert resp.status_code == 409


def test_org3_a_second_department_of_one_name_is_refused_citing_org3(client, admin_headers):
    first = _dept(client, admin_headers, "销售一部")
    body = {"name": "销售一部", "kind": "sales"}
    again = client.post("/api/v1/departments", json=body, headers=admin_headers)
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["rule"] == "ORG-3" and error["message"].startswith("ORG-3")
    assert error["details"]["fields"] == {"name": "部门名称已存在"}
    second = _dept(client, admin_headers, "销售二部")
    renamed = client.patch(f"/api/v1/departments/{second}", json={"name": "销售一部"}, headers=admin_headers)
    assert renamed.status_code == 409 and renamed.json()["error"]["rule"] == "ORG-3"
    assert first != second


def test_org1_a_second_user_of_one_username_is_refused_citing_org1(client, admin_headers):
    dept = _dept(client, admin_headers)
    _user(client, admin_headers, "wang", ["sales"], dept)
    body = {
        "username": "WANG",
        "password": PASSWORD,
        "display_name": "王",
        "roles": ["sales"],
        "department_id": dept,
        "hired_on": "2025-01-01",
    }
    resp = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert resp.status_code == 409
    assert resp.json()["error"]["rule"] == "ORG-1"
    assert resp.json()["error"]["details"]["fields"] == {"username": "用户名已存在"}


def test_org3_a_blank_department_name_is_refused_naming_it(client, admin_headers):
    """ORG-3: a department has a name; " " (or a full-width space) is none. Names are kept trimmed."""
    for blank in (" ", "\u3000 \t"):
        resp = client.post(
            "/api/v1/departments", json={"name": blank, "kind": "sales"}, headers=admin_headers
        )
        assert resp.status_code == 422
        assert resp.json()["error"]["details"]["fields"] == {"name": "必填"}
    dept = _dept(client, admin_headers, " 销售一部 ")
    listed = client.get("/api/v1/departments", headers=admin_headers).json()
    assert [d["name"] for d in listed if d["id"] == dept] == ["销售一部"]
    resp = client.patch(f"/api/v1/departments/{dept}", json={"name": "  "}, headers=admin_headers)
    assert resp.status_code == 422 and set(resp.json()["error"]["details"]["fields"]) == {"name"}
    resp = client.patch(
        f"/api/v1/users/{_user(client, admin_headers, 'rep', ['sales'], dept)['id']}",
        json={"display_name": " "},
        headers=admin_headers,
    )
    assert resp.status_code == 422 and set(resp.json()["error"]["details"]["fields"]) == {"display_name"}


def test_org3_ids_in_a_body_are_whole_numbers_not_true_or_text(client, admin_headers):
    """A row id in a body is a JSON integer: `true` or `"1"` were read as department/user 1 and
    stored. Refused (422 naming the field), nothing stored."""
    top = _dept(client, admin_headers, "销售中心")
    user = _user(client, admin_headers, "rep", ["sales"], top)
    before = client.get("/api/v1/departments", headers=admin_headers).json()
    for field in ("parent_id", "head_user_id"):
        for junk in (True, str(top), float(top)):
            body = {"name": "一组", "kind": "sales", field: junk}
            resp = client.post("/api/v1/departments", json=body, headers=admin_headers)
            assert resp.status_code == 422, (field, junk)
            assert set(resp.json()["error"]["details"]["fields"]) == {field}
            resp = client.patch(f"/api/v1/departments/{top}", json={field: junk}, headers=admin_headers)
            assert resp.status_code == 422 and set(resp.json()["error"]["details"]["fields"]) == {field}
    assert client.get("/api/v1/departments", headers=admin_headers).json() == before
    resp = client.patch(f"/api/v1/users/{user['id']}", json={"supervisor_id": True}, headers=admin_headers)
    assert resp.status_code == 422 and set(resp.json()["error"]["details"]["fields"]) == {"supervisor_id"}
    ok = client.post(
        "/api/v1/departments",
        json={"name": "一组", "kind": "sales", "parent_id": top, "head_user_id": user["id"]},
        headers=admin_headers,
    )
    assert ok.status_code == 201 and ok.json()["parent_id"] == top


def test_org4a_hire_and_probation_dates_are_sane(client, admin_headers):
    """ORG-4a: hired 2199-01-01 with a probation ending 1900-01-01 was created. A hire date at
    most `hire_days_ahead` (90) days ahead; the probation ends on or after the hire date and
    within `probation_max_months` (6) of it. 422 ORG-4a naming the field; a patch is checked
    against the dates it leaves."""
    from datetime import timedelta

    from poolcrm import clock

    dept = _dept(client, admin_headers)
    today = clock.today()

    def create(username, **dates):
        body = {"username": username, "password": PASSWORD, "display_name": username, "roles": ["sales"]}
        return client.post(
            "/api/v1/users", json={**body, "department_id": dept, **dates}, headers=admin_headers
        )

    for dates, fields in (
        ({"hired_on": "2199-01-01", "probation_end_on": "1900-01-01"}, {"hired_on", "probation_end_on"}),
        ({"hired_on": (today + timedelta(days=91)).isoformat()}, {"hired_on"}),
        ({"hired_on": "2026-01-05", "probation_end_on": "2026-01-04"}, {"probation_end_on"}),
        ({"hired_on": "2026-01-05", "probation_end_on": "2199-12-31"}, {"probation_end_on"}),
    ):
        resp = create("someone", **dates)
        assert resp.status_code == 422, dates
        assert resp.json()["error"]["rule"] == "ORG-4a"
        assert set(resp.json()["error"]["details"]["fields"]) == fields
    soon = create("newbie", hired_on=(today + timedelta(days=90)).isoformat())
    assert soon.status_code == 201, soon.text
    user = create("rep", hired_on="2026-01-05", probation_end_on="2026-07-05").json()
    resp = client.patch(f"/api/v1/users/{user['id']}", json={"hired_on": "2026-08-01"}, headers=admin_headers)
    assert resp.status_code == 422 and set(resp.json()["error"]["details"]["fields"]) == {"hired_on"}
    ok = client.patch(f"/api/v1/users/{user['id']}", json={"display_name": "张伟"}, headers=admin_headers)
    assert ok.status_code == 200
