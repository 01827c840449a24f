"""Bulk creation (demo data, benchmarks) and the synthetic companies, on both engines: the rows a
bulk load writes are the rows the form would write (CUS-6 E.164 phones, CUS-7 normal form and
grams, CUS-8 codes, POOL-12 events, GOV-1 audit), and the duplicate check finds them (CUS-7)."""

from __future__ import annotations

import pytest
from opencc import OpenCC
from sqlalchemy import event, func, select, text

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers import bulk, dedupe, names, phones, synth
from poolcrm.customers.demo import synth_record
from poolcrm.customers.models import Customer, CustomerGramStat, CustomerNameGram
from poolcrm.ownership.models import OwnershipEvent


def test_cus6_cus7_bulk_rows_match_what_the_form_writes(session):
    companies = synth.generate_companies(300, seed=4)
    ids = bulk.bulk_create(session, (synth_record(c) for c in companies), at=clock.now())
    assert len(ids) == 300
    customers = session.scalars(select(Customer).order_by(Customer.id)).all()
    for company, customer in zip(companies, customers, strict=True):
        assert customer.name == company["name"]
        assert customer.name_key == names.name_key(company["name"])
        assert customer.name_initials == names.pinyin_initials(company["name"])
        assert customer.phone == phones.phone_key(customer.phone) and customer.phone.startswith("+86")
        assert customer.mobile and phones.is_mobile(customer.mobile)
        assert customer.pool == "public" and customer.tags == []
        assert customer.created_at.tzinfo is not None
    grams = session.execute(
        select(CustomerNameGram.gram).where(CustomerNameGram.customer_id == ids[0])
    ).scalars()
    assert sorted(grams) == dedupe.posting_grams(companies[0]["name"])
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


def _index_names(session):
    if session.get_bind().dialect.name != "sqlite":
        return None
    return session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
    ).all()


def test_cus7_large_bulk_load_rebuilds_indexes_and_writes_the_same_rows(session, monkeypatch):
    """A large load (indexes dropped and rebuilt, grams and events derived in SQL on SQLite)
    writes what a small one writes, and the duplicate check finds the customers."""
    indexes = _index_names(session)
    monkeypatch.setattr(bulk, "LARGE_LOAD", 100)
    companies = synth.generate_companies(300, seed=5)
    extra = [
        {"name": "华有限公司", "address": "O'Brien路1号", "contact_name": "", "phone": ""},
        {
            "name": "北京O'Brien科技有限公司",
            "address": "O'Brien路1号",
            "contact_name": "",
            "phone": "010-62345678",
        },
    ]
    ids = bulk.bulk_create(session, [*(synth_record(c) for c in companies), *extra], at=clock.now())
    assert len(ids) == 302
    assert _index_names(session) == indexes
    customers = session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)).all()
    for company, customer in zip([*companies, *extra], customers, strict=True):
        assert customer.name == company["name"] and customer.address == company["address"]
        assert customer.name_key == names.name_key(company["name"])
        assert customer.name_initials == names.pinyin_initials(company["name"])
        assert customer.pool == "public" and customer.tags == [] and customer.version == 1
    grams: dict[int, list[str]] = {}
    for gram, cid in session.execute(select(CustomerNameGram.gram, CustomerNameGram.customer_id)):
        grams.setdefault(cid, []).append(gram)
    for customer in customers:
        assert sorted(grams.get(customer.id, [])) == dedupe.posting_grams(customer.name), customer.name
    events = session.execute(
        select(OwnershipEvent.customer_id, OwnershipEvent.from_pool, OwnershipEvent.to_pool)
        .where(OwnershipEvent.customer_id.in_(ids))
        .order_by(OwnershipEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [(cid, "pending", "public") for cid in ids]
    target = companies[42]
    found = dedupe.find_duplicates(session, target["name"].replace("有限公司", ""))
    assert found and found[0].exact and found[0].customer.name == target["name"]


def _rows(session, ids):
    skip = {"id", "code", "version"}
    columns = [c for c in Customer.__table__.columns if c.name not in skip]
    rows = session.execute(select(*columns).where(Customer.id.in_(ids)).order_by(Customer.id)).all()
    return [tuple(r) for r in rows]


def test_cus18_bulk_by_columns_writes_what_bulk_by_records_writes(session, monkeypatch):
    """`bulk_create_columns` (a generated batch field by field) writes the rows, events and
    grams `bulk_create` writes for the same records; a batch longer than `BATCH` is written in
    parts, each with its audit entry."""
    monkeypatch.setattr(bulk, "BATCH", 40)
    companies = synth.generate_companies(200, seed=8)
    records = [synth_record(c) for c in companies]
    for i, record in enumerate(records):
        if i % 3 == 0:
            record.update(pool="private", owner_id=None, tags=["VIP"], status="intent")
        if i % 4 == 0:
            record["phone"] = "010-6234" + f"{i:04d}"
    at = clock.now()
    by_records = bulk.bulk_create(session, records, at=at)
    first = session.scalar(select(func.max(AuditEntry.id)))
    for record in records:  # the same companies once more, renamed so that they are new
        record["name"] = "新" + record["name"]
        record.pop("name_key", None)
        record.pop("name_initials", None)
    fields = sorted(set().union(*records))
    batch = {f: [r.get(f) for r in records] for f in fields}
    by_columns = bulk.bulk_create_columns(session, [batch], at=at)
    assert len(by_columns) == 200 and min(by_columns) > max(by_records)
    renamed = [list(row) for row in _rows(session, by_records)]
    for row in renamed:
        row[0] = "新" + row[0]
    written = _rows(session, by_columns)
    key_at = [c.name for c in Customer.__table__.columns if c.name not in {"id", "code", "version"}]
    for before, after, record in zip(renamed, written, records, strict=True):
        assert after[key_at.index("name_key")] == names.name_key(record["name"])
        assert after[key_at.index("name_initials")] == names.pinyin_initials(record["name"])
        same = [i for i, c in enumerate(key_at) if c not in {"name_key", "name_initials"}]
        assert [after[i] for i in same] == [before[i] for i in same]
    events = session.execute(
        select(OwnershipEvent.to_pool)
        .where(OwnershipEvent.customer_id.in_(by_columns))
        .order_by(OwnershipEvent.id)
    ).scalars()
    assert list(events) == [r.get("pool", "public") for r in records]
    audits = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "customer.bulk_create", AuditEntry.id > first)
    ).all()
    assert [a.after["count"] for a in audits] == [40] * 5
    grams = session.scalar(
        select(func.count(func.distinct(CustomerNameGram.customer_id))).where(
            CustomerNameGram.customer_id.in_(by_columns)
        )
    )
    assert grams == 200


def test_bulk_by_columns_refuses_columns_of_different_lengths(session):
    import pytest

    with pytest.raises(ValueError, match="differ in length"):
        bulk.bulk_create_columns(
            session, [{"name": ["甲科技有限公司", "乙科技有限公司"], "phone": [""]}], at=clock.now()
        )
    assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_synthetic_batches_are_the_companies_field_by_field():
    batches = list(synth.iter_company_batches(2_500, 6, size=1_000, first=100))
    assert [len(b["name"]) for b in batches] == [100, 1_000, 1_000, 400]
    rows = [dict(zip(b, values, strict=True)) for b in batches for values in zip(*b.values(), strict=True)]
    assert rows == synth.generate_companies(2_500, 6)


def test_cus6_bulk_rows_keep_their_own_values_where_they_differ(session):
    at = clock.now()
    ids = bulk.bulk_create(
        session,
        [
            {
                "name": "北京华信科技有限公司",
                "address": "甲",
                "contact_name": "O'Brien",
                "phone": "",
                "tags": ["VIP"],
            },
            {
                "name": "上海华信贸易有限公司",
                "address": "乙",
                "contact_name": "O'Brien",
                "phone": "",
                "status": "intent",
            },
        ],
        at=at,
    )
    a, b = (session.get(Customer, i) for i in ids)
    assert (a.tags, a.status, a.address) == (["VIP"], "potential", "甲")
    assert (b.tags, b.status, b.address) == ([], "intent", "乙")
    assert a.contact_name == b.contact_name == "O'Brien"  # one value in every row: a literal
    assert a.created_at == b.created_at == at


def test_cus7_batched_candidate_search_matches_the_single_query(session):
    """The import's batch check (posting lists read once per batch) finds what one check finds."""
    companies = synth.generate_companies(400, seed=11)
    bulk.bulk_create(session, (synth_record(c) for c in companies), at=clock.now(), initials=False)
    dedupe.refresh_gram_stats(session)
    queries = [a for a, _, _ in synth.variant_pairs(60, 3)] + [b for _, b, _ in synth.variant_pairs(60, 3)]
    queries += [c["name"].replace("有限公司", "") for c in companies[:60]] + ["华", "科技有限公司", ""]
    batch = dedupe.find_duplicates_many(session, [dedupe.Query(q) for q in queries])
    single = [dedupe.find_duplicates(session, q) for q in queries]
    assert [[(f.customer.id, f.score, f.reasons) for f in found] for found in batch] == [
        [(f.customer.id, f.score, f.reasons) for f in found] for found in single
    ]
    assert sum(1 for found in batch if found) >= 60


def _fold(rows, maybe_varying=None):
    values, varying = bulk._columns_of(rows, maybe_varying)
    marks, bound = bulk._fold_columns(values, varying, len(rows))
    return marks, list(bound)


def test_sqlite_fold_constants_binds_only_what_varies():
    rows = [(1, "a", None, 7, b"x", ["t"]), (2, "a", None, 7, b"x", ["t"]), (3, "b", None, 7, b"x", ["t"])]
    marks, bound = _fold(rows)
    assert marks == ["?", "?", "NULL", "7", "?", "?"]  # bytes and lists are always bound
    assert bound == [(1, "a", b"x", ["t"]), (2, "a", b"x", ["t"]), (3, "b", b"x", ["t"])]
    # positions outside `maybe_varying` are taken from the first row without looking further
    marks, bound = _fold(rows, {0})
    assert marks == ["?", "'a'", "NULL", "7", "?", "?"]
    assert bound == [(1, b"x", ["t"]), (2, b"x", ["t"]), (3, b"x", ["t"])]
    marks, bound = _fold([(5, "o'k")], {0, 1})
    assert marks == ["5", "'o''k'"] and bound == [()]


def test_cus7_unindexing_a_customer_reads_its_grams_through_the_primary_key(session):
    """A tombstone or a rejected registration leaves the duplicate index without reading every
    customer's grams (the table has no index on the customer alone)."""
    [cid] = bulk.bulk_create(session, [synth_record(synth.generate_companies(1, 3)[0])], at=clock.now())
    customer = session.get(Customer, cid)
    assert session.scalar(select(func.count()).where(CustomerNameGram.customer_id == cid)) > 0
    deletes: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        dedupe.unindex_customer(session, cid, customer.name, customer.name_key)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert session.scalar(select(func.count()).where(CustomerNameGram.customer_id == cid)) == 0
    [(statement, parameters)] = deletes
    if engine.dialect.name == "sqlite":
        plan = str(session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all())
        assert "SCAN" not in plan and "SEARCH" in plan, plan


def test_cus18_demo_synthetic_customers_come_from_a_worker_process_unchanged(session):
    """`demo.create_synthetic` (generator in a forked worker, `bulk_create` here) writes exactly
    the generator's companies, in order, with their events and grams, on both engines."""
    from poolcrm.customers.demo import create_synthetic

    ids = create_synthetic(session, 2_500, seed=5)
    made = synth.generate_companies(2_500, 5)
    rows = session.execute(
        select(Customer.name, Customer.name_key, Customer.name_initials, Customer.phone, Customer.mobile)
        .where(Customer.id.in_(ids))
        .order_by(Customer.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        (c["name"], c["name_key"], c["name_initials"], c["phone"], c["mobile"]) for c in made
    ]
    assert session.scalar(select(func.count()).where(OwnershipEvent.customer_id.in_(ids))) == 2_500
    grams = session.scalar(
        select(func.count(func.distinct(CustomerNameGram.customer_id))).where(
            CustomerNameGram.customer_id.in_(ids)
        )
    )
    assert grams == 2_500


def test_a_bulk_load_leaves_the_planner_statistics_of_what_it_filled(session):
    """PostgreSQL: the load ANALYZEs the tables it filled in its own transaction, so the first
    queries after it are planned for their real size (not for the empty tables)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("ANALYZE statistics are PostgreSQL's (pg_class.reltuples)")
    bulk.bulk_create(session, [synth_record(c) for c in synth.generate_companies(300, 11)], at=clock.now())
    for table in ("customers", "customer_name_grams", "ownership_events"):
        tuples = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
        assert tuples >= 300, (table, tuples)
