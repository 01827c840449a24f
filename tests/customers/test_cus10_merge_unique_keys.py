"""CUS-10: merging two records of one company when both hold rows of a per-customer unique key —
a deal numbered OP001 each (DEAL-8), the same quality flag each (GOV-4) — and the list of such
keys held to the metadata, so a later table with one cannot bring back the 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint, func, select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.merge import MERGE_UNIQUE_KEYS, customer_unique_keys, merge_records
from poolcrm.customers.models import Customer
from poolcrm.customers.signals import customer_merged, customer_merging
from poolcrm.db import Base, import_all_models
from poolcrm.deals.models import Deal
from poolcrm.policy.service import company_today
from poolcrm.quality.dashboard import snapshot
from poolcrm.quality.models import QualityFlag
from tests.deals.conftest import deal_body


def _deal(client, headers, customer_id: int, name: str) -> dict[str, Any]:
    close = (clock.today() + timedelta(days=30)).isoformat()
    body = deal_body(customer_id, name=name, expected_close_on=close)
    resp = client.post("/api/v1/deals", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _flags(session, customer_id: int) -> set[str]:
    return set(session.scalars(select(QualityFlag.check_key).where(QualityFlag.customer_id == customer_id)))


def _pair(client, org, approved, database) -> tuple[int, int, dict[str, str]]:
    """Two records of one company, each with deal OP001 and the `unverified` flag of a daily run."""
    keep = approved("rep")
    late = approved("other", name="北京友好创达信息科技有限公司", phone="010-88889999")
    numbers = {
        _deal(client, org["h"]["rep"], keep, "扫描仪采购")["number"],
        _deal(client, org["h"]["other"], late, "档案数字化")["number"],
        _deal(client, org["h"]["other"], late, "扫描软件升级")["number"],
    }
    with database.transaction() as s:
        snapshot(s, company_today(s))  # GOV-4: the daily run flags both as unverified this period
        assert "unverified" in _flags(s, keep) & _flags(s, late)
        codes = {c: s.get(Customer, c).code for c in (keep, late)}  # type: ignore[union-attr]
    assert numbers == {f"{codes[keep]}OP001", f"{codes[late]}OP001", f"{codes[late]}OP002"}
    return keep, late, codes


def test_cus10_merge_of_records_with_the_same_deal_number_and_quality_flag(client, org, approved, database):
    keep, late, codes = _pair(client, org, approved, database)
    with database.transaction() as s:
        keep_flags = _flags(s, keep)
    resp = client.post(
        "/api/v1/customers/merge",
        json={"customer_ids": [late, keep], "reason": "重复"},
        headers=org["h"]["cs"],
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] == keep
    with database.transaction() as s:
        deals = s.scalars(select(Deal).where(Deal.customer_id == keep).order_by(Deal.seq)).all()
        # DEAL-8: the kept customer's deals numbered one to three, the moved ones after its own
        assert [(d.seq, d.number) for d in deals] == [(n, f"{codes[keep]}OP{n:03d}") for n in (1, 2, 3)]
        assert [d.name for d in deals] == ["扫描仪采购", "档案数字化", "扫描软件升级"]
        assert s.scalar(select(func.count()).where(Deal.customer_id == late)) == 0
        # GOV-4: one flag per check and customer — the kept record's stand, the merged one's are gone
        assert _flags(s, keep) == keep_flags and _flags(s, late) == set()
        renumbered = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "deal.renumber").order_by(AuditEntry.id)
        ).all()
        assert [(e.before["number"], e.after["number"], e.rule, e.reason) for e in renumbered] == [
            (f"{codes[late]}OP001", f"{codes[keep]}OP002", "CUS-10", "重复"),
            (f"{codes[late]}OP002", f"{codes[keep]}OP003", "CUS-10", "重复"),
        ]
        merge = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.merge"))
        assert merge is not None and merge.after["moved"]["deals.customer_id"] == 2
        assert merge.before == {"merged": late, "code": codes[late]}
    listed = client.get(f"/api/v1/deals?customer_id={keep}", headers=org["h"]["cs"])
    assert listed.status_code == 200, listed.text
    # DEAL-8: the next deal continues the kept customer's sequence (the same allocation)
    assert _deal(client, org["h"]["rep"], keep, "第四个跟单")["number"] == f"{codes[keep]}OP004"


def test_cus10_a_merge_failing_late_leaves_numbers_and_flags_as_they_were(client, org, approved, database):
    """The whole merge is one transaction: settling the unique keys is undone with the rest."""
    keep, late, codes = _pair(client, org, approved, database)
    with database.transaction() as s:
        before = {(d.customer_id, d.number) for d in s.scalars(select(Deal))}
        flags = s.scalar(select(func.count()).select_from(QualityFlag))

    def fail(session: Any, **_: Any) -> None:
        raise RuntimeError("a listener after the repoint fails")

    customer_merged.connect(fail)
    try:
        with pytest.raises(RuntimeError), database.transaction() as s:
            merge_records(s, org["ids"]["cs"], [keep, late], "重复")
    finally:
        customer_merged.disconnect(fail)
    with database.transaction() as s:
        assert {(d.customer_id, d.number) for d in s.scalars(select(Deal))} == before
        assert s.scalar(select(func.count()).select_from(QualityFlag)) == flags
        assert s.get(Customer, late).pool == "private"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).where(AuditEntry.action == "deal.renumber")) == 0


def test_cus10_every_unique_key_with_a_customer_id_is_settled_by_a_merge_listener():
    """A unique key over a column referencing customers (constraint, index or `unique=True`) in a
    table the merge repoints must be in MERGE_UNIQUE_KEYS, and its domain must listen to
    `customers.merging` — else a merge of two records that both hold such a row is a 500."""
    import_all_models()
    found = customer_unique_keys()
    assert set(found) == set(MERGE_UNIQUE_KEYS), found
    listeners = {fn.__module__ for fn in customer_merging.receivers()}
    assert set(MERGE_UNIQUE_KEYS.values()) <= listeners


def test_cus10_the_unique_key_finder_sees_a_new_table_s_keys():
    """The finder behind the test above catches every form a later table could use."""
    import_all_models()
    table = Table(
        "cus10_probe",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("customers.id")),
        Column("buyer_id", ForeignKey("customers.id"), unique=True),
        Column("kind", String(8)),
        UniqueConstraint("kind", "customer_id", name="uq_cus10_probe_kind"),
        Index("ix_cus10_probe_customer", "customer_id", unique=True),
        Index("ix_cus10_probe_kind", "kind", unique=True),  # no customer in it: no clash
    )
    try:
        found = {name: cols for name, (t, cols) in customer_unique_keys().items() if t == "cus10_probe"}
    finally:
        Base.metadata.remove(table)
    assert found == {
        "uq_cus10_probe_kind": ("kind", "customer_id"),
        "ix_cus10_probe_customer": ("customer_id",),
        "uq_cus10_probe_buyer_id": ("buyer_id",),
    }


def test_cus10_cus11_the_kept_record_is_graded_with_the_deals_it_took_over(client, org, approved):
    """CUS-11: deals are grade facts — the kept record's grade counts the moved deals at once,
    not from the next night's recomputation."""
    full = {"postal_code": "100080", "region": "北京", "industry": "软件", "source": "展会"}
    full |= {"profile": "扫描仪用户", "contact_position": "采购经理"}
    keep = approved("rep", **full)
    late = approved("other", name="北京友好创达信息科技有限公司", phone="010-88889999", **full)
    _deal(client, org["h"]["other"], late, "档案数字化")  # closing within the year: core
    grades = {
        c: client.get(f"/api/v1/customers/{c}", headers=org["h"]["cs"]).json()["grade"] for c in (keep, late)
    }
    assert grades == {keep: "ordinary", late: "core"}
    resp = client.post(
        "/api/v1/customers/merge",
        json={"customer_ids": [keep, late], "reason": "重复"},
        headers=org["h"]["cs"],
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["grade"] == "core"
