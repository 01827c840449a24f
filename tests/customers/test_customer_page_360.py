"""The customer page a rep opens first (issue 16): the header with owner, pool, grade and
countdown, each domain's section (follow-ups with the quick form, contacts, deals, tickets,
ownership, changes) and the actions the viewer may take — each offered by the predicate the
service itself runs (POOL-4, POOL-5, FU-3, DEAL-1, SVC-1, CUS-13)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.deals.models import Deal
from poolcrm.demo import run_demo
from poolcrm.followups.models import FollowUp
from tests.deals.conftest import deal_body

HTML = {"Accept": "text/html"}
VALID_TEXT = "A 王经理采购部 B 介绍扫描仪方案 C 对双面扫描很感兴趣预算二十万 D 下周三送样机试用"


def _page(client, org, who, cid):
    resp = client.get(f"/customers/{cid}", headers={**org["h"][who], **HTML})
    assert resp.status_code == 200, resp.text
    return resp.text


def _actions(html):
    return {
        a
        for a in (
            "action-followup",
            "action-new-deal",
            "customer-new-ticket",
            "action-edit",
            "action-release",
            "action-release-pending",
            "action-claim",
            "action-claim-pending",
        )
        if f'data-testid="{a}"' in html
    }


def test_pool5_fu3_deal1_the_owner_gets_every_section_and_his_actions(client, org, approved):
    cid = approved("rep")
    note = client.post(
        f"/api/v1/customers/{cid}/followups",
        json={"subject": "去访", "content": VALID_TEXT},
        headers=org["h"]["rep"],
    )
    assert note.status_code == 201, note.text
    html = _page(client, org, "rep", cid)
    for key in ("followups", "contacts", "deals", "tickets", "profile", "ownership", "changes"):
        assert f'href="#{key}"' in html and f'id="{key}"' in html, key
    assert 'data-testid="fact-owner">张伟<' in html
    assert "还有" in html and "个工作日被回收" in html  # POOL-16 countdown in the header
    assert "王经理采购部" in html and 'class="stack fu-form"' in html  # FU-6 history with the quick form
    assert _actions(html) == {
        "action-followup",
        "action-new-deal",
        "customer-new-ticket",
        "action-edit",
        "action-release",
    }


def test_pool5_a_pending_release_is_shown_and_not_offered_twice(client, org, approved):
    cid = approved("rep")
    asked = client.post(
        f"/api/v1/customers/{cid}/release", json={"reason": "客户已搬迁"}, headers=org["h"]["rep"]
    )
    assert asked.status_code in (200, 201, 202), asked.text
    html = _page(client, org, "rep", cid)
    assert "action-release-pending" in _actions(html) and "action-release" not in _actions(html)
    assert "放弃申请待主管同意" in html


def test_pool4_a_public_customer_offers_the_claim_and_no_owner_actions(client, org, approved, database):
    cid = approved("rep")
    with database.transaction() as s:
        c = s.get(Customer, cid)
        c.pool, c.owner_id = "public", None
    html = _page(client, org, "other", cid)
    assert _actions(html) == {"action-claim", "customer-new-ticket"}
    assert "联系已逾期" not in html  # CUS-15: nobody holds it
    claimed = client.post(f"/pools/customers/{cid}/claim", headers={**org["h"]["other"], **HTML})
    assert claimed.status_code == 200
    assert "action-claim-pending" in _actions(_page(client, org, "other", cid))


def test_fu3_cs_sees_the_customer_but_is_offered_neither_follow_up_nor_release(client, org, approved):
    cid = approved("rep")
    html = _page(client, org, "cs", cid)
    assert "action-followup" not in _actions(html) and "action-release" not in _actions(html)
    assert 'class="stack fu-form"' not in html
    assert "customer-new-ticket" in _actions(html)


def test_fu1_the_quick_form_writes_the_follow_up_in_place(client, org, approved):
    cid = approved("rep")
    resp = client.post(
        f"/customers/{cid}/followups",
        data={"subject": "致电", "content": VALID_TEXT},
        headers={**org["h"]["rep"], **HTML, "HX-Request": "true"},
    )
    assert resp.status_code == 200
    assert resp.text.lstrip().startswith('<section class="card followups" id="followups"')  # the section only
    assert 'data-testid="fu-result"' in resp.text and "王经理采购部" in resp.text


def test_deal1_the_page_lists_the_customers_deals_and_hides_another_teams(client, org, approved):
    cid = approved("rep")
    made = client.post(
        "/api/v1/deals",
        json=deal_body(cid, expected_close_on=(date.today() + timedelta(days=40)).isoformat()),
        headers=org["h"]["rep"],
    )
    assert made.status_code == 201, made.text
    html = _page(client, org, "rep", cid)
    assert "档案数字化扫描项目" in html and 'href="#deals">跟单 <span class="count">1' in html
    assert client.get(f"/customers/{cid}", headers={**org["h"]["other"], **HTML}).status_code == 404


def test_the_demo_tells_one_story_anchors_agree_with_follow_ups_and_no_open_deal_in_the_bin(database):
    run_demo(database)
    with database.transaction(write=False) as s:
        latest = (
            select(func.max(FollowUp.created_at))
            .where(
                FollowUp.customer_id == Customer.id,
                FollowUp.valid.is_(True),
                FollowUp.author_id == Customer.owner_id,
            )
            .scalar_subquery()
        )
        behind = select(func.count()).where(
            Customer.pool == POOL_PRIVATE, Customer.last_valid_followup_at < latest
        )
        assert s.scalar(behind) == 0
        stray = (
            select(func.count())
            .select_from(Deal)
            .join(Customer, Customer.id == Deal.customer_id)
            .where(Customer.pool != POOL_PRIVATE, Deal.category.not_in(("won", "lost")))
        )
        assert s.scalar(stray) == 0
