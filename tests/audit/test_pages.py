"""The audit trail page (GOV-1): filters by actor, object, action and date range; paginated."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from poolcrm.audit.service import record
from poolcrm.db import Database
from tests.web.helpers import HTML, page_login

SH = ZoneInfo("Asia/Shanghai")


def _actions(html: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)">', html)


def test_gov1_audit_page_filters_and_paginates(
    client: TestClient, database: Database, make_user: Callable[..., int]
) -> None:
    admin = make_user("admin", ["admin"], dept="总经办", kind="other", display_name="管理员")
    rep = make_user("rep", ["sales"], display_name="张伟")
    with database.transaction() as s:
        for n in range(60):
            record(
                s,
                actor_id=rep,
                action="customer.update",
                object_type="customer",
                object_id=n + 1,
                before={"tier": "B"},
                after={"tier": "A"},
                rule="CUS-15",
                at=datetime(2026, 11, 2, 9, tzinfo=SH),
            )
        record(
            s,
            actor_id=admin,
            action="policy.update",
            object_type="policy",
            object_id="warn_days",
            before={"warn_days": 1},
            after={"warn_days": 2},
            rule="POOL-6",
            reason="提前提醒",
            at=datetime(2026, 11, 3, 0, 30, tzinfo=SH),
        )
    page_login(client, "admin")

    first = client.get("/admin/audit", headers=HTML).text
    assert "共 65 条" in first and "第 1 / 2 页" in first and len(_actions(first)) == 50
    assert _actions(first)[0] == "policy.update" and "提前提醒" in first
    assert "<del>1</del> → <ins>2</ins>" in first
    second = client.get("/admin/audit?page=2", headers=HTML).text
    assert len(_actions(second)) == 15 and "user.create" in _actions(second)

    by_actor = client.get(f"/admin/audit?actor={admin}", headers=HTML).text
    assert set(_actions(by_actor)) == {"policy.update"}
    by_object = client.get("/admin/audit?object_type=customer&object_id=7", headers=HTML).text
    assert _actions(by_object) == ["customer.update"] and 'href="/customers/7"' in by_object
    assert "共 60 条" in client.get("/admin/audit?action=customer.update", headers=HTML).text
    day = client.get("/admin/audit?since=2026-11-03&until=2026-11-03", headers=HTML).text
    assert _actions(day) == ["policy.update"], "days are the company's (00:30 Shanghai is 3 Nov)"
    assert _actions(client.get("/admin/audit?until=2026-11-01", headers=HTML).text) == []
    junk = client.get("/admin/audit?actor=x&since=yesterday&page=-3&object_id=" + "9" * 200, headers=HTML)
    assert junk.status_code == 200


def test_gov1_audit_page_is_admin_only(client: TestClient, make_user: Callable[..., int]) -> None:
    make_user("rep")
    page_login(client, "rep")
    assert client.get("/admin/audit", headers=HTML).status_code == 403


def test_gov1_audit_reads_as_a_sentence_with_the_raw_entry_one_click_away(
    client: TestClient, database: Database, make_user: Callable[..., int]
) -> None:
    from tests.pools.conftest import add_customer

    make_user("admin", ["admin"], dept="总经办", kind="other", display_name="管理员")
    rep = make_user("rep", ["sales"], display_name="张伟")
    with database.transaction() as s:
        customer = add_customer(s, pool="private", owner_id=rep)
        record(
            s,
            actor_id=rep,
            action="customer.move",
            object_type="customer",
            object_id=customer.id,
            before={"pool": "private", "owner_id": rep},
            after={"pool": "bin", "owner_id": None},
            rule="POOL-5",
            reason="客户已倒闭",
        )
        code = customer.code
    page_login(client, "admin")
    html = client.get("/admin/audit", headers=HTML).text
    said = html.split('data-testid="audit-sentence">', 1)[1].split("<details", 1)[0]
    assert said.strip() == f"张伟 把 客户 {code} 从 私海 移到 待分配"
    assert "<code>customer.move</code>" in html  # the raw record, one click away
    client.get("/lang/en?next=/", headers=HTML)
    english = client.get("/admin/audit", headers=HTML).text
    said = english.split('data-testid="audit-sentence">', 1)[1].split("<details", 1)[0]
    assert said.strip() == f"张伟 moved Customer {code} from Private pool to Allocation bin"
    with database.transaction() as s:
        record(
            s,
            actor_id=rep,
            action="customer.update",
            object_type="customer",
            object_id=customer.id,
            before={"contact_name": "王经理"},
            after={"contact_name": "李主任"},
        )
    raw = client.get("/admin/audit", headers=HTML).text
    assert "&#34;contact_name&#34;: &#34;李主任&#34;" in raw and "\\u" not in raw  # as written, not \uXXXX


def test_gov1_every_action_the_demo_company_leaves_in_the_audit_reads_in_words(database) -> None:
    """GOV-1: the demo's day touches every domain; none of its audited actions reads as a code."""
    from sqlalchemy import select

    from poolcrm.audit.labels import ACTIONS, OBJECTS
    from poolcrm.audit.models import AuditEntry
    from poolcrm.demo import run_demo

    run_demo(database)
    with database.transaction(write=False) as s:
        actions = set(s.scalars(select(AuditEntry.action).distinct()))
        objects = set(s.scalars(select(AuditEntry.object_type).distinct()))
    assert actions - set(ACTIONS) == set()
    assert objects - set(OBJECTS) == set()
