"""The customer pages render for a logged-in rep and CS (zh by default)."""

from __future__ import annotations

from tests.conftest import PASSWORD


def _login(client, username):
    resp = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert resp.status_code == 303
    return {"Accept": "text/html"}


def test_pages_list_form_detail_inbox_import(client, org, approved, register):
    cid = approved("rep")
    pending = register(org["h"]["mate"], name="上海某某贸易有限公司", phone="021-55556666").json()
    h = _login(client, "rep")
    assert "北京友好创达科技有限公司" in client.get("/customers", headers=h).text
    assert 'hx-post="/customers/check"' in client.get("/customers/new", headers=h).text
    assert "归属历史" in client.get(f"/customers/{cid}", headers=h).text
    assert client.get("/customers/import", headers=h).status_code == 200
    from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for

    token = csrf_token_for("test-secret", client.cookies.get(SESSION_COOKIE))
    frag = client.post("/customers/check", data={"name": "北京友好創達科技"}, headers={"X-CSRF-Token": token})
    assert "北京友好创达科技有限公司" in frag.text
    client.cookies.clear()
    h = _login(client, "cs")
    inbox = client.get("/applications", headers=h).text
    assert "上海某某贸易有限公司" in inbox and f"/applications/{pending['id']}/approve" in inbox


def test_pages_new_customer_form_asks_to_confirm_warnings(client, org):
    _login(client, "rep")
    from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for

    token = csrf_token_for("test-secret", client.cookies.get(SESSION_COOKIE))
    form = {
        "csrf_token": token,
        "name": "友好创达",
        "address": "北京市海淀区中关村大街1号海龙大厦5楼501室",
        "contact_name": "张三",
        "phone": "010-62345678",
        "industry": "IT",
        "customer_type": "direct",
    }
    resp = client.post("/customers/new", data=form, headers={"Accept": "text/html"}, follow_redirects=False)
    assert resp.status_code == 409 and 'name="confirm"' in resp.text
    resp = client.post("/customers/new", data={**form, "confirm": "1"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/customers/")


def test_cus9_a_blank_reject_reason_shows_a_red_banner_in_chinese_not_a_green_one(client, org, register):
    from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for

    app = register(org["h"]["rep"], name="上海某某贸易有限公司", phone="021-55556666").json()
    _login(client, "cs")
    token = csrf_token_for("test-secret", client.cookies.get(SESSION_COOKIE))
    back = client.post(
        f"/applications/{app['id']}/reject", data={"csrf_token": token, "reason": ""}, follow_redirects=False
    )
    assert back.status_code == 303 and "flash_kind=error" in back.headers["location"]
    html = client.get(back.headers["location"]).text
    banner = html.split('<div class="flash error">', 1)[1].split("</div>", 1)[0]
    assert "reason" not in banner and "CUS-9" in banner
    assert '<div class="flash ok">' not in html


def test_cus17_the_contact_given_at_registration_is_on_the_customer_page(client, org, approved):
    cid = approved("rep", contact_name="王建国", contact_position="采购经理")
    html = client.get(f"/customers/{cid}", headers={**org["h"]["rep"], "Accept": "text/html"}).text
    assert 'data-testid="main-contact"' in html and "王建国" in html and "采购经理" in html
    assert "暂无联系人" not in html


def test_cus15_a_customer_nobody_holds_is_never_overdue_for_contact(client, org, approved, database):
    from sqlalchemy import update

    from poolcrm.customers.models import Customer

    cid = approved("rep")
    with database.transaction() as s:
        s.execute(update(Customer).where(Customer.id == cid).values(pool="public", owner_id=None, tier="A"))
    detail = client.get(f"/api/v1/customers/{cid}", headers=org["h"]["rep"]).json()
    assert detail["contact_overdue"] is False and detail["contact_due_on"] is None
