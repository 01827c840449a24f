"""SEC-1 on deals: a text longer than its field may be is refused naming the field (422), on the
API and the deal pages alike, never a 500 from the database and never a half-done write."""

from __future__ import annotations

from sqlalchemy import func, select

from poolcrm.deals.models import DealProgress
from poolcrm.deals.schemas import DETAIL_MAX_CHARS
from poolcrm.followups.models import SUBJECT_LENGTH, FollowUp
from tests.deals.conftest import deal_body
from tests.web.helpers import HTML, page_login


def _counts(database) -> tuple[int, int]:
    with database.transaction() as s:
        return s.scalar(select(func.count(DealProgress.id))), s.scalar(select(func.count(FollowUp.id)))


def test_deal6_progress_subject_longer_than_a_followups_is_refused_naming_subject(
    client, h, new_deal, database
):
    """DEAL-6's progress records a follow-up: its subject has the follow-up's limit (FU-2)."""
    deal = new_deal("rep")
    url = f"/api/v1/deals/{deal['id']}/progress"
    before = _counts(database)
    for subject in ("致电" * 10 + "致", "😀" * 30, "A" * 500):
        body = {"details": "推进方案", "next_plan": "报价", "subject": subject}
        resp = client.post(url, json=body, headers=h("rep"))
        assert resp.status_code == 422, resp.text
        assert list(resp.json()["error"]["details"]["fields"]) == ["subject"]
    assert _counts(database) == before  # nothing written
    body = {"details": "推进方案", "next_plan": "报价", "subject": "电" * SUBJECT_LENGTH}
    resp = client.post(url, json=body, headers=h("rep"))
    assert resp.status_code == 201, resp.text  # stored, an invalid follow-up (FU-2: not a listed subject)


def test_deal4_details_are_as_long_as_a_customers_needs_at_most(client, h, make_customer, team, new_deal):
    cid = make_customer(team["rep"])
    for name in ("budget", "competitors"):
        details = {**deal_body(cid)["details"], name: "预" * (DETAIL_MAX_CHARS + 1)}
        resp = client.post("/api/v1/deals", json=deal_body(cid, details=details), headers=h("rep"))
        assert resp.status_code == 422, resp.text
        assert list(resp.json()["error"]["details"]["fields"]) == [f"details.{name}"]
    details = {**deal_body(cid)["details"], "requirements": "需" * 100_000}
    deal = new_deal("rep")
    resp = client.patch(f"/api/v1/deals/{deal['id']}", json={"details": details}, headers=h("rep"))
    assert resp.status_code == 422 and "details.requirements" in resp.json()["error"]["details"]["fields"]
    full = {**deal_body(cid)["details"], "budget": "预" * DETAIL_MAX_CHARS}
    assert (
        client.post("/api/v1/deals", json=deal_body(cid, details=full), headers=h("rep")).status_code == 201
    )


def test_sec1_deal_pages_name_the_field_that_is_too_long(client, team, new_deal, make_customer, database):
    deal = new_deal("rep")
    csrf = page_login(client, "rep")
    before = _counts(database)
    resp = client.post(
        f"/deals/{deal['id']}/progress",
        data={"csrf_token": csrf, "details": "推进方案", "next_plan": "报价", "subject": "致" * 21},
        headers=HTML,
        follow_redirects=False,
    )
    assert resp.status_code == 422 and "subject" in resp.text and "太长" in resp.text
    assert _counts(database) == before
    body = deal_body(make_customer(team["rep"]))
    form = {
        "csrf_token": csrf,
        **{k: str(v) for k, v in body.items() if not isinstance(v, (list, dict))},
        **body["details"],
        "budget": "预" * (DETAIL_MAX_CHARS + 1),
        "product_name": "高速扫描仪",
        "product_quantity": "1",
        "product_unit_price": "100",
    }
    resp = client.post("/deals/new", data=form, headers=HTML, follow_redirects=False)
    assert resp.status_code == 422 and "budget" in resp.text and "太长" in resp.text
