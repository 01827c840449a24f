"""The admin policy page (SPEC intro): every parameter with rule ID, labels, value and default,
grouped by SPEC section; saved through the service (validated, audited); invalid values refused
inline, naming the parameter."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.db import Database
from poolcrm.policy.models import PolicyValue
from poolcrm.policy.pages import SECTIONS
from poolcrm.policy.rules import Policy, parameter_catalogue
from poolcrm.policy.service import get_policy
from tests.web.helpers import HTML, page_login


@pytest.fixture
def admin_token(client: TestClient, make_user: Callable[..., int]) -> str:
    make_user("admin", ["admin"], dept="总经办", kind="other")
    return page_login(client, "admin")


def _policy(database: Database) -> Policy:
    with database.transaction() as s:
        return get_policy(s)


def _audit(database: Database) -> list[tuple[str | None, object, object, str | None, str | None]]:
    with database.transaction() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "policy.update").order_by(AuditEntry.id)
        )
        return [(r.object_id, r.before, r.after, r.rule, r.reason) for r in rows]


def _section_form(html: str, anchor: str) -> str:
    match = re.search(rf'<section class="card policy-section" id="{anchor}".*?</section>', html, re.S)
    assert match, anchor
    return match.group(0)


def test_policy_page_shows_every_parameter_with_rule_labels_value_and_default(
    client: TestClient, admin_token: str
) -> None:
    html = client.get("/admin/policy", headers=HTML).text
    rows = re.findall(r'data-param="([^"]+)"', html)
    assert sorted(rows) == sorted(p["name"] for p in parameter_catalogue())
    pool = _section_form(html, "pool")
    assert "公海与私海" in pool and "POOL-2" in pool
    assert "老员工私海上限" in pool and "Private pool limit, senior reps" not in pool  # zh only
    assert 'name="private_pool_limit_senior"' in pool and 'value="250"' in pool and 'max="100000"' in pool
    assert 'hx-post="/pools/forecast"' in pool, "POOL-18 forecast beside the pool rules"
    assert "CAL-2" in _section_form(html, "cal") and "Asia/Shanghai" in _section_form(html, "cal")
    for section in ("org", "cus", "fu", "deal", "vio"):
        assert f'id="{section}"' in html


def test_policy_page_saves_a_section_stored_and_audited_with_reason(
    client: TestClient, database: Database, admin_token: str
) -> None:
    with database.transaction() as s:  # this company already counts recycles too (POOL-8 option)
        s.add(PolicyValue(name="three_strikes_counts", value=["release", "recycle"], updated_at=clock.now()))
    form = {
        "csrf_token": admin_token,
        "section": "pool",
        "private_pool_limit_senior": "260",
        "private_pool_limit_new": "300",
        "release_needs_supervisor": "0",
        "three_strikes_counts": ["release", "recycle"],  # ticked, as the page offers them
        "recycle_idle_workdays_by_grade": '{"A": 10}',
        "reason": "扩编",
    }
    resp = client.post("/admin/policy", data=form, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/policy?saved=3#pool"
    policy = _policy(database)
    assert policy.private_pool_limit_senior == 260 and policy.release_needs_supervisor is False
    assert policy.recycle_idle_workdays_by_grade == {"A": 10}
    assert policy.three_strikes_counts == ["release", "recycle"]
    audit = _audit(database)
    assert (
        "private_pool_limit_senior",
        {"private_pool_limit_senior": 250},
        {"private_pool_limit_senior": 260},
    ) in [a[:3] for a in audit]
    assert {a[3] for a in audit} == {"POOL-2", "POOL-5", "POOL-17"} and {a[4] for a in audit} == {"扩编"}

    html = client.get("/admin/policy?saved=3", headers=HTML).text
    assert "已保存 3 项参数" in html
    assert re.search(r'<tr class="changed\s*" data-param="private_pool_limit_senior"', html)

    resp = client.post("/admin/policy", data={**form, "reason": ""}, follow_redirects=False)
    assert resp.headers["location"] == "/admin/policy?saved=0#pool", "nothing changed, nothing audited"
    assert len(_audit(database)) == 3


def test_policy_page_refuses_invalid_values_naming_the_parameter(
    client: TestClient, database: Database, admin_token: str
) -> None:
    form = {"csrf_token": admin_token, "section": "pool", "recycle_idle_workdays": "0", "warn_days": "2"}
    resp = client.post("/admin/policy", data=form, headers=HTML)
    assert resp.status_code == 422
    assert re.search(
        r'data-error-for="recycle_idle_workdays">无有效跟进回收工作日数：数值超出范围<', resp.text
    )
    assert "以下参数无效，未保存" in resp.text and "<code>recycle_idle_workdays</code>" in resp.text
    assert 'value="0"' in resp.text, "the refused value stays in the field"
    assert _policy(database).warn_days == 1, "nothing of the section is saved"

    resp = client.post(
        "/admin/policy",
        data={
            "csrf_token": admin_token,
            "section": "pool",
            "bin_days": "3天",
            "allocation_execute_time": "25:00",
        },
        headers=HTML,
    )
    assert resp.status_code == 422
    assert "待分配最长工作日数：应为整数" in resp.text

    resp = client.post(
        "/admin/policy",
        data={"csrf_token": admin_token, "section": "pool", "allocation_execute_time": "25:00"},
        headers=HTML,
    )
    assert resp.status_code == 422 and 'data-error-for="allocation_execute_time"' in resp.text
    resp = client.post(
        "/admin/policy",
        data={"csrf_token": admin_token, "section": "cus", "tier_cadence_days": "{A: 7"},
        headers=HTML,
    )
    assert resp.status_code == 422 and "对照表" in resp.text
    assert _audit(database) == []

    resp = client.post(
        "/admin/policy", data={"csrf_token": admin_token, "section": "nope"}, follow_redirects=False
    )
    assert resp.status_code == 303


def test_policy_page_departments_that_skip_review_are_ticked(
    client: TestClient, database: Database, admin_token: str, make_user: Callable[..., int]
) -> None:
    make_user("ka", ["sales"], dept="KA部", kind="ka")
    with database.transaction() as s:
        from poolcrm.org.models import Department

        ka = s.scalar(select(Department.id).where(Department.name == "KA部"))
    resp = client.post(
        "/admin/policy",
        data={"csrf_token": admin_token, "section": "cus", "review_skip_department_ids": [str(ka)]},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert _policy(database).review_skip_department_ids == [ka]
    html = _section_form(client.get("/admin/policy", headers=HTML).text, "cus")
    assert re.search(rf'name="review_skip_department_ids" value="{ka}" checked', html)


def test_policy_page_is_admin_only_and_english_on_request(
    client: TestClient, make_user: Callable[..., int], admin_token: str
) -> None:
    client.get("/lang/en?next=/", headers=HTML)
    html = client.get("/admin/policy", headers=HTML).text
    assert "Private pool limit, senior reps" in html and "Save this section" in html
    make_user("rep")
    token = page_login(client, "rep")
    assert client.get("/admin/policy", headers=HTML).status_code == 403
    resp = client.post("/admin/policy", data={"csrf_token": token, "section": "pool", "warn_days": "3"})
    assert resp.status_code == 403


def test_pool8_what_counts_as_giving_up_is_offered_in_words_not_codes(
    client: TestClient, database: Any, admin_token: str
) -> None:
    html = client.get("/admin/policy", headers=HTML).text
    assert re.search(r'name="three_strikes_counts" value="release" checked> 销售放弃', html)
    assert re.search(r'name="three_strikes_counts" value="recycle" > 系统回收', html)
    assert ">release<" not in html  # the stored code is never the text people read
    section = re.search(r'<tr class="[^"]*" data-param="three_strikes_counts".*?</tr>', html, re.S).group(0)
    assert "销售放弃" in section
    resp = client.post(
        "/admin/policy",
        data={"csrf_token": admin_token, "section": "pool", "three_strikes_counts": ["release", "recycle"]},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    assert _policy(database).three_strikes_counts == ["release", "recycle"]


def test_policy_page_offers_a_one_of_parameter_by_name_and_saves_its_code(
    client: TestClient, database: Any, admin_token: str
) -> None:
    """IN-3/VIO-3/SVC-4: a parameter taking one of a few values is a choice in words (the Chinese
    page read "值班方式（ranking/groups）" and took typed codes); map defaults name their keys."""
    html = client.get("/admin/policy", headers=HTML).text
    row = re.search(r'<tr class="[^"]*" data-param="sla_clock".*?</tr>', html, re.S).group(0)
    assert '<option value="calendar" selected>自然时间</option>' in row and ">工作日的工作时间<" in row
    assert "calendar：" not in html and "ranking/groups" not in html
    reminders = re.search(r'<tr class="[^"]*" data-param="deal_reminder_days".*?</tr>', html, re.S).group(0)
    assert "线索=15、中线=15、短线=7" in reminders
    section = next(s for s, _, _, prefixes in SECTIONS if "SVC" in prefixes)
    resp = client.post(
        "/admin/policy",
        data={"csrf_token": admin_token, "section": section, "sla_clock": "business"},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    assert _policy(database).sla_clock == "business"
    client.get("/lang/en?next=/", headers=HTML)
    english = client.get("/admin/policy", headers=HTML).text
    assert (
        " selected>Working hours on working days<" in english
        and "Lead=15, Mid-term=15, Short-term=7" in english
    )
