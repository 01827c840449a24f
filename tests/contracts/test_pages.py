"""Contract pages (CTR-1..4): the forms answer junk with the field named, never a 500; the special
price page refuses an unmaintained distributor with the rule; English pages carry no Chinese."""

from __future__ import annotations

import re

from tests.deals.conftest import NOW  # noqa: F401  (the deals fixtures freeze the clock at NOW)
from tests.web.helpers import HTML, page_login


def test_ctr1_contract_form_refuses_junk_amounts_and_dates_with_the_field_named(client, team, new_deal):
    deal = new_deal("rep")
    csrf = page_login(client, "rep")
    form = client.get(f"/contracts/new?deal_id={deal['id']}", headers=HTML)
    assert form.status_code == 200 and 'value="高速扫描仪"' in form.text
    base = {"csrf_token": csrf, "deal_id": str(deal["id"]), "number": "HT-P1", "signed_on": "2026-03-10"}
    for junk in (
        {"amount": "NaN"},
        {"amount": "1e999"},
        {"amount": "58000", "inst_amount_0": "abc", "inst_due_on_0": "2026-04-01"},
        {"amount": "58000", "signed_on": "not-a-date"},
        {"amount": "58000", "line_product_0": "x", "line_quantity_0": "-Infinity"},
    ):
        resp = client.post("/contracts/new", data={**base, **junk}, headers=HTML, follow_redirects=False)
        assert resp.status_code == 422, (junk, resp.status_code)
        assert 'data-testid="form-error"' in resp.text
    other = new_deal("other")
    resp = client.get(f"/contracts/new?deal_id={other['id']}", headers=HTML)
    assert resp.status_code == 404


def test_ctr4_special_price_page_refuses_an_unmaintained_distributor_then_the_supervisor_approves(
    client, team, make_customer
):
    distributor = make_customer(team["rep"], customer_type="distributor", name="上海渠道科技有限公司")
    csrf = page_login(client, "rep")
    data = {
        "csrf_token": csrf,
        "customer_id": str(distributor),
        "product": "扫描仪",
        "special_price": "9800",
        "reason": "竞争激烈",
    }
    resp = client.post("/contracts/special-prices", data=data, headers=HTML, follow_redirects=False)
    assert resp.status_code == 409 and "CTR-4" in resp.text and "上海渠道科技有限公司" in resp.text
    junk = client.post("/contracts/special-prices", data={**data, "special_price": "NaN"}, headers=HTML)
    assert junk.status_code == 422


def test_i18n_contract_pages_in_english_have_no_chinese_of_ours(client, team, sign):
    contract = sign([("2026-03-20", 20000), ("2026-04-30", 38000)])
    page_login(client, "sup")
    client.cookies.set("poolcrm_lang", "en")
    for url in (
        f"/contracts/{contract['id']}",
        "/contracts",
        "/contracts/analytics",
        "/contracts/special-prices",
    ):
        resp = client.get(url, headers=HTML)
        assert resp.status_code == 200, url
        body = re.sub(r"<script.*?</script>", "", resp.text, flags=re.S)
        chinese = set(re.findall(r"[\u4e00-\u9fff]+", body))
        # user data (customer, products, people, terms) is Chinese; our own words are not
        allowed = {
            "北京测试",
            "科技有限公司",
            "高速扫描仪",
            "扫描软件",
            "张伟",
            "验收后付款",
            "王主管",
            "公海",
            "私海",
            "中文",  # the language switch
        }
        leaked = {w for w in chinese if not any(w in a or a in w for a in allowed) and not w.isdigit()}
        assert not leaked, (url, leaked)
