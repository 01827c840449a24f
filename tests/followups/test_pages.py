"""FU-1 from the follow-up page: the form's post is stored, then POST-redirect-GET to the page that
says whether it protects the customer (a refresh stores nothing twice); htmx gets the section."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from poolcrm.followups.models import FollowUp
from tests.pools.conftest import at
from tests.web.helpers import HTML, page_login


def _count(database, cid: int) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).where(FollowUp.customer_id == cid))


def test_fu1_followup_form_redirects_to_the_page_with_its_verdict(client, org, customers, database):
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    csrf = page_login(client, "rep1")
    url = f"/customers/{cid}/followups"
    form = {"csrf_token": csrf, "subject": "致电", "content": "电话未接通"}
    resp = client.post(url, data=form, headers=HTML, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"].startswith(f"{url}?done=")
    shown = client.get(resp.headers["location"], headers=HTML)
    assert shown.status_code == 200 and 'data-testid="fu-result"' in shown.text and "电话未接通" in shown.text
    client.get(resp.headers["location"], headers=HTML)  # the refresh
    assert _count(database, cid) == 1
    assert 'data-testid="fu-result"' not in client.get(url, headers=HTML).text
    htmx = client.post(
        url,
        data={**form, "content": "拜访客户，演示了扫描方案，客户很感兴趣"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and 'data-testid="fu-result"' in htmx.text


def test_sec1_followup_form_refuses_a_subject_or_method_longer_than_stored(client, org, customers, database):
    """The page's form reaches the service as typed: the service itself refuses what its column
    cannot hold, naming the field (PostgreSQL failed the request with a 500)."""
    cid = customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
    csrf = page_login(client, "rep1")
    url = f"/customers/{cid}/followups"
    for field, extra in (
        ("subject", {"subject": "致电" * 11}),
        ("method", {"subject": "致电", "method": "电" * 21}),
    ):
        form = {"csrf_token": csrf, "content": "拜访客户，演示了扫描方案，客户很感兴趣", **extra}
        resp = client.post(url, data=form, headers=HTML, follow_redirects=False)
        assert resp.status_code < 500 and f"SEC-1: 输入有误：{field}" in resp.text
    assert _count(database, cid) == 0
