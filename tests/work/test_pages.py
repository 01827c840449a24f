"""Work pages (WORK-1..4): every page answers, forms refuse junk with the field named (never a 500),
and English pages carry no Chinese of ours."""

from __future__ import annotations

import re

from tests.web.helpers import HTML, page_login
from tests.work.test_api import _expense, _receipt

PAGES = ("/work", "/work/reports", "/work/trips", "/work/expenses", "/work/team")


def test_work3_expense_form_junk_is_refused_with_the_field_named(client, crew, work_customer):
    csrf = page_login(client, "rep")
    for url in PAGES:
        assert client.get(url, headers=HTML).status_code == 200, url
    base = {"csrf_token": csrf, "spent_on": "2026-03-09", "type": "交通", "description": "打车"}
    for junk in (
        {"amount": "NaN"},
        {"amount": "1e999"},
        {"amount": "12", "spent_on": "soon"},
        {"amount": "12", "customer_id": "99999999999999999999"},
    ):
        resp = client.post("/work/expenses", data={**base, **junk}, headers=HTML, follow_redirects=False)
        assert 400 <= resp.status_code < 500, (junk, resp.status_code)
    ok = client.post(
        "/work/expenses",
        data={**base, "amount": "12", "customer_id": str(work_customer["customer_id"])},
        headers=HTML,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    submitted = client.post(
        ok.headers["location"] + "/submit", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False
    )
    assert submitted.status_code == 303  # linked to the customer: its latest valid follow-up goes with it
    shown = client.get(ok.headers["location"], headers=HTML).text
    assert "no-receipt" in shown  # the approver sees that no receipt is attached
    trip = client.post(
        "/work/trips",
        data={
            "csrf_token": csrf,
            "region": "华东",
            "start_on": "x",
            "end_on": "2026-03-12",
            "purpose": "拜访",
        },
        headers=HTML,
    )
    assert trip.status_code == 422 and "start_on" in trip.text or "日期" in trip.text


def test_i18n_work_pages_in_english_have_no_chinese_of_ours(client, crew):
    page_login(client, "sup")
    client.cookies.set("poolcrm_lang", "en")
    allowed = {"张伟", "李娜", "中文", "公海", "私海", "王主管", "刘洋", "销售一部"}  # people, teams: data
    for url in PAGES:
        resp = client.get(url, headers=HTML)
        assert resp.status_code == 200, url
        body = re.sub(r"<script.*?</script>|value=\"[^\"]*\"", "", resp.text, flags=re.S)  # values are data
        leaked = {
            w for w in re.findall(r"[\u4e00-\u9fff]+", body) if not any(w in a or a in w for a in allowed)
        }
        assert not leaked, (url, leaked)


def test_org5_an_expense_links_its_customer_only_for_who_may_open_it(client, h, crew, work_customer):
    """Finance reads an approved expense (WORK-3) whose customer is a rep's private one: the name,
    not a link that answered 404; the rep who spent it gets the link."""
    cid = work_customer["customer_id"]
    e = _expense(client, h, customer_id=cid).json()
    _receipt(client, h, e["id"])
    assert client.post(f"/api/v1/expenses/{e['id']}/submit", headers=h("rep")).status_code == 200
    assert client.post(f"/api/v1/expenses/{e['id']}/approve", headers=h("sup")).status_code == 200
    for who, linked in (("fin", False), ("rep", True)):
        client.cookies.clear()
        page_login(client, who)
        html = client.get(f"/work/expenses/{e['id']}", headers=HTML).text
        links = re.search(r'data-testid="expense-links".*?</dl>', html, flags=re.S).group(0)
        assert (f'href="/customers/{cid}"' in links) is linked, who
