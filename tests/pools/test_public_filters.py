"""The public pool's filters — region, industry, source, days in the pool — with the search, in SQL,
through the API and the page, on each engine; bad values answer 422 naming the field."""

from datetime import timedelta

from poolcrm import clock
from tests.conftest import auth_headers
from tests.web.helpers import HTML, page_login


def _ids(client, headers, **params):
    resp = client.get("/api/v1/pools/public", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return {i["id"] for i in resp.json()["items"]}


def test_pool_public_filters_combine_with_search(client, org, customers):
    old = clock.now() - timedelta(days=40)
    a = customers(
        pool="public", name="北京甲科技有限公司", region="北京", industry="制造业", source="展会", entered=old
    )
    b = customers(
        pool="public",
        name="北京乙科技有限公司",
        region="北京",
        industry="IT",
        source="展会",
        entered=clock.now() - timedelta(days=1),
    )
    c = customers(pool="public", name="上海丙科技有限公司", region="上海", industry="制造业", entered=old)
    customers(pool="private", owner_id=org["rep2"], region="北京")
    rep = auth_headers(client, "rep1")
    assert _ids(client, rep, region="北京") == {a, b}
    assert _ids(client, rep, industry="制造业") == {a, c}
    assert _ids(client, rep, source="展会", min_days=30) == {a}
    assert _ids(client, rep, min_days=30) == {a, c}
    assert _ids(client, rep, q="科技", region="上海") == {c}
    assert _ids(client, rep, q="甲", industry="IT") == set()


def test_sec1_public_filters_bad_values_are_422_naming_the_field(client, org):
    rep = auth_headers(client, "rep1")
    for params, field in (
        ({"min_days": -1}, "min_days"),
        ({"min_days": "abc"}, "min_days"),
        ({"min_days": 10**20}, "min_days"),
        ({"region": "x" * 51}, "region"),
        ({"page": 0}, "page"),
    ):
        resp = client.get("/api/v1/pools/public", params=params, headers=rep)
        assert resp.status_code == 422, (params, resp.text)
        assert field in resp.json()["error"]["details"]["fields"], resp.text


def test_pool_public_page_filters_and_links_to_the_customer(client, org, customers):
    a = customers(pool="public", name="北京甲科技有限公司", region="北京")
    b = customers(pool="public", name="上海丙科技有限公司", region="上海")
    page_login(client, "rep1")
    resp = client.get("/pools/public", params={"region": "北京"}, headers=HTML)
    assert resp.status_code == 200
    assert f'href="/customers/{a}"' in resp.text and f'href="/customers/{b}"' not in resp.text
    assert "在公海至少（天）" in resp.text
    bad = client.get("/pools/public", params={"min_days": "abc"}, headers=HTML)
    assert bad.status_code == 422 and 'class="flash error"' in bad.text and "min_days" in bad.text
