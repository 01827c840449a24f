"""Pages of the inbound, duty, disputes and violations domains render for the roles that use them."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _login(client, username):
    client.cookies.clear()
    resp = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert resp.status_code in (200, 303), resp.text


def _csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_in1_console_records_a_call_and_shows_the_outcome(client, crm, customer):
    customer("北京友好创达科技有限公司", pool="private", owner_id=crm["rep2"])
    _login(client, "cs")
    page = client.get("/inbound")
    assert page.status_code == 200 and 'data-testid="inbound-form"' in page.text and "/inbound" in page.text
    resp = client.post(
        "/inbound",
        data={
            "company": "北京友好创达科技有限公司",
            "kind": "call",
            "need": "报价",
            "csrf_token": _csrf(page.text),
        },
    )
    assert resp.status_code == 200 and 'data-outcome="owner_notified"' in resp.text and "李娜" in resp.text
    assert resp.history and resp.history[0].status_code == 303  # POST-redirect-GET: a refresh records nothing
    assert str(resp.url).split("?")[1].startswith("item=")
    assert (
        client.get(str(resp.url)).text.count('data-outcome="owner_notified"') == 2
    )  # the card and one log row
    empty = client.post("/inbound", data={"company": " ", "kind": "call", "csrf_token": _csrf(page.text)})
    assert empty.status_code == 422 and "field-error" in empty.text


def test_in1_console_is_for_customer_service(client, crm):
    _login(client, "rep1")
    assert client.get("/inbound", headers={"accept": "text/html"}).status_code == 403
    assert 'href="/inbound"' not in client.get("/duty").text


def test_pages_render_for_their_roles(client, crm):
    _login(client, "gm")
    for url in ("/duty", "/disputes", "/disputes?status=decided", "/violations", "/violations/assessments"):
        resp = client.get(url)
        assert resp.status_code == 200, url
    _login(client, "cs")
    assert client.get("/violations/spot-checks").status_code == 200


def test_in2_duty_rep_opens_the_prefilled_registration(client, crm):
    _login(client, "rep1")
    page = client.get(
        "/customers/new?name=广州珠江办公设备有限公司&phone=%2B862083456789&remark=来电：询价&x=1"
    )
    assert page.status_code == 200
    assert 'value="广州珠江办公设备有限公司"' in page.text and "来电：询价" in page.text


def test_in2_duty_rep_opens_the_registration_prefilled_from_the_stored_item(client, crm, h):
    """IN-2: the notification's link names the inbound item; the form is filled from it however
    long the company's name or the need (CS and the rep it went to may open it, others get 404)."""
    company = "中国人民财产保险股份有限公司北京市分公司海淀区中关村科技园区营业部第二分部"
    need = "需要采购一批高速扫描仪，用于档案数字化项目，" * 20
    body = {"company": company, "phone": "021-55556667", "kind": "trial", "need": need}
    out = client.post("/api/v1/inbound", json=body, headers=h("cs")).json()
    rep = next(name for name in ("rep1", "rep2", "rep3", "rep4") if crm[name] == out["assigned_to"]["id"])
    _login(client, rep)
    page = client.get(out["register_link"])
    assert page.status_code == 200
    assert f'value="{company}"' in page.text and 'value="+862155556667"' in page.text
    assert f"试用申请：{need}" in page.text
    _login(client, "cs")
    assert client.get(out["register_link"]).status_code == 200
    other = next(name for name in ("rep1", "rep2", "rep3", "rep4") if name != rep)
    _login(client, other)
    assert client.get(out["register_link"]).status_code == 404


def test_in3_dashboard_card_shows_who_is_on_duty_and_open_work(client, crm):
    _login(client, "cs")
    card = client.get("/").text
    assert 'data-testid="widget-duty"' in card and "张伟" in card and "待抽查跟进 0 条" in card
    _login(client, "gm")
    assert "待裁定争议 0 件" in client.get("/").text
    _login(client, "hr")
    assert 'data-testid="widget-duty"' not in client.get("/").text


def test_in3_dashboard_card_names_a_few_of_a_large_fallback_roster(client, crm, make_user):
    """IN-3's fallback is every active rep: with a nationwide sales force the card names the first
    CARD_NAMES in dealing order and how many there are in all (the roster page lists them)."""
    from poolcrm.duty.service import CARD_NAMES
    from poolcrm.web.deps import LANG_COOKIE

    for n in range(20):
        make_user(f"extra{n:02d}", ["sales"], supervisor_id=crm["sup"], display_name=f"销售{n:02d}号")
    _login(client, "cs")
    card = client.get("/").text
    body = card[card.index('data-testid="widget-duty"') :]
    body = body[: body.index("</div>")]
    shown = body.count("、") + 1
    assert shown == CARD_NAMES and "…等 24 人" in body and "全体销售轮流" in body
    client.cookies.set(LANG_COOKIE, "en")
    body = client.get("/").text
    assert " … 24 in all" in body
