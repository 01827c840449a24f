"""Bulk creation (demo data, benchmarks) and the synthetic companies, on both engines: the rows a
bulk load writes are the rows the form would write (CUS-6 E.164 phones, CUS-7 normal form and
grams, CUS-8 codes, POOL-12 events, GOV-1 audit), and the duplicate check finds them (CUS-7)."""

from __future__ import annotations

from opencc import OpenCC
from sqlalchemy import func, select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers import bulk, dedupe, names, synth
from poolcrm.customers.demo import synth_record
from poolcrm.customers.models import Customer, CustomerGramStat, CustomerNameGram
from poolcrm.pools.models import OwnershipEvent


def test_cus6_cus7_bulk_rows_match_what_the_form_writes(session):
    companies = synth.generate_companies(300, seed=4)
    ids = bulk.bulk_create(session, (synth_record(c) for c in companies), at=clock.now())
    assert len(ids) == 300
    customers = session.scalars(select(Customer).order_by(Customer.id)).all()
    for company, customer in zip(companies, customers, strict=True):
        assert customer.name == company["name"]
        assert customer.name_key == names.name_key(company["name"])
        assert customer.name_initials == names.pinyin_initials(company["name"])
        assert customer.phone == names.phone_key(customer.phone) and customer.phone.startswith("+86")
        assert customer.mobile and names.is_mobile(customer.mobile)
        assert customer.pool == "public" and customer.tags == []
        assert customer.created_at.tzinfo is not None
    grams = session.execute(
        select(CustomerNameGram.gram).where(CustomerNameGram.customer_id == ids[0])
    ).scalars()
    assert sorted(grams) == dedupe.grams_of(companies[0]["name"])
    assert session.scalar(select(func.count()).select_from(OwnershipEvent)) == 300
    assert session.scalar(select(func.count()).select_from(CustomerGramStat)) > 0
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.bulk_create")).one()
    assert audit.after["count"] == 300


def test_cus8_bulk_codes_are_unique_and_continue_the_sequence(session):
    first = bulk.bulk_create(
        session, [synth_record(c) for c in synth.generate_companies(5, 1)], at=clock.now()
    )
    second = bulk.bulk_create(
        session, [synth_record(c) for c in synth.generate_companies(5, 2)], at=clock.now()
    )
    codes = session.scalars(select(Customer.code).where(Customer.id.in_(first + second))).all()
    assert len(set(codes)) == 10
    assert max(first) < min(second)


def test_cus6_bulk_normalises_raw_phones(session):
    [cid] = bulk.bulk_create(
        session,
        [{"name": "北京华信科技有限公司", "address": "", "contact_name": "", "phone": "010-62345678"}],
        at=clock.now(),
    )
    assert session.get(Customer, cid).phone == "+861062345678"


def test_cus7_duplicate_check_finds_bulk_customers_by_variant_and_phone(session):
    companies = synth.generate_companies(200, seed=9)
    bulk.bulk_create(session, (synth_record(c) for c in companies), at=clock.now())
    target = companies[17]
    for variant in (
        target["name"].replace("有限公司", ""),
        " " + OpenCC("s2t").convert(target["name"]),
        target["name"][:2] + "市" + target["name"][2:],
    ):
        found = dedupe.find_duplicates(session, variant)
        assert found and found[0].exact and found[0].customer.name == target["name"], variant
    by_phone = dedupe.find_duplicates(session, "完全不同的名字贸易有限公司", [target["phone"]])
    assert [f.customer.name for f in by_phone] == [target["name"]]
    assert "same_phone" in by_phone[0].reasons


def test_synthetic_companies_are_distinct_by_normal_form_and_deterministic():
    a = synth.generate_companies(2000, seed=3)
    assert len({names.name_key(c["name"]) for c in a}) == 2000
    assert a == synth.generate_companies(2000, seed=3)
    assert all(c["name_key"] == names.name_key(c["name"]) for c in a)
    assert all(c["name_initials"] == names.pinyin_initials(c["name"]) for c in a[:300])


def test_cus7_candidate_search_reads_rare_grams_and_skips_common_ones():
    df = {"华信": 12, "信科": 40, "科技": 90_000, "技有": 0}
    assert dedupe.pick_grams(["科技", "华信", "信科"], df) == ["华信", "信科"]
    # with fewer than two rarer grams, a common one is still read (capped)
    assert dedupe.pick_grams(["科技", "华信"], df) == ["华信", "科技"]
    # a gram no customer carries costs nothing
    assert dedupe.pick_grams(["技有", "华信", "科技"], df) == ["技有", "华信"]
