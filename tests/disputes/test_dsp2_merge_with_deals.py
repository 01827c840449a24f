"""DSP-2 → CUS-10: deciding a two-pools case merges the two records even when both carry a deal
numbered OP001 (DEAL-8) and the same quality flag (GOV-4) — formerly a 500."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from poolcrm.deals.models import Deal
from poolcrm.quality.dashboard import snapshot
from poolcrm.quality.models import QualityFlag
from tests.disputes.conftest import add_customer, add_deal, at


def test_dsp2_decision_merges_two_records_that_both_hold_deal_op001_and_a_quality_flag(
    client, h, crm, database
):
    with database.transaction() as s:
        early = add_customer(
            s, "苏州平江档案科技有限公司", pool="private", owner_id=crm["rep1"], since=at(date(2026, 10, 1))
        )
        late = add_customer(
            s, "苏州平江档案科技有限公司", pool="private", owner_id=crm["rep2"], since=at(date(2026, 11, 2))
        )
        add_deal(s, early, crm["rep1"], 1, "档案扫描")
        add_deal(s, late, crm["rep2"], 1, "影像归档")
        snapshot(s, date(2026, 11, 25))  # GOV-4: both flagged `unverified` by the daily run
        flagged = set(s.scalars(select(QualityFlag.customer_id).where(QualityFlag.check_key == "unverified")))
        assert {early.id, late.id} <= flagged
        ids, codes = (early.id, late.id), (early.code, late.code)
    case = client.post(
        "/api/v1/disputes",
        json={"customer_id": ids[0], "other_customer_id": ids[1], "reason": "客服发现重复"},
        headers=h("cs"),
    )
    assert case.status_code == 201, case.text
    resp = client.post(
        f"/api/v1/disputes/{case.json()['id']}/decide",
        json={"winner_user_id": crm["rep1"], "reason": "保护时间较早"},
        headers=h("gm"),
    )
    assert resp.status_code == 200, resp.text
    with database.transaction() as s:
        kept, merged = s.get(Customer, ids[0]), s.get(Customer, ids[1])
        assert kept.pool == "private" and kept.owner_id == crm["rep1"]
        assert merged.pool == "merged" and merged.merged_into_id == kept.id
        deals = s.scalars(select(Deal).where(Deal.customer_id == kept.id).order_by(Deal.seq)).all()
        assert [(d.name, d.number) for d in deals] == [
            ("档案扫描", f"{codes[0]}OP001"),
            ("影像归档", f"{codes[0]}OP002"),
        ]
        flags = s.scalars(select(QualityFlag).where(QualityFlag.customer_id.in_(ids))).all()
        assert {(f.check_key, f.customer_id) for f in flags if f.check_key == "unverified"} == {
            ("unverified", kept.id)
        }
        assert all(f.customer_id == kept.id for f in flags)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "deal.renumber"))
        assert entry.before["number"] == f"{codes[1]}OP001" and entry.reason.startswith("DSP-2")
