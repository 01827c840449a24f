"""The Alembic migrations create exactly the schema the models describe, on both engines."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from poolcrm.db import Base, Database, import_all_models
from poolcrm.migrate import upgrade
from tests.conftest import pg_server_url


def _diff(db: Database) -> list:
    import_all_models()
    upgrade(db)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        return compare_metadata(ctx, Base.metadata)


def test_migrations_match_models_on_sqlite(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'mig.db'}")
    assert _diff(db) == []
    upgrade(db)  # safe to run twice
    assert inspect(db.engine).has_table("customers")
    db.dispose()


@contextmanager
def _scratch_pg(name: str) -> Iterator[Database]:
    """A new, empty PostgreSQL database for one migration test (skipped without a server)."""
    server = pg_server_url()
    if not server:
        pytest.skip("POOLCRM_TEST_PG not set")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(f"{server}/{name}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_models_on_postgresql():
    with _scratch_pg("poolcrm_mig_check") as db:
        assert _diff(db) == []


def _user_and_customer(conn, day: str, **customer) -> None:
    """One user (id 1) and one customer (id 1) as an old revision's tables hold them."""
    _insert(
        conn,
        "users",
        id=1,
        username="u",
        password_hash="x",
        display_name="u",
        hired_on="2020-01-01",
        language="zh",
        active=True,
        token_version=0,
        created_at=day,
    )
    _insert(
        conn,
        "customers",
        id=1,
        code="C1",
        name="甲公司",
        name_key="甲",
        address="北京",
        customer_type="direct",
        contact_name="张三",
        phone="010",
        tags="[]",
        open_for_redevelopment=False,
        created_at=day,
        updated_at=day,
        version=1,
        **customer,
    )


def _insert(conn, table: str, **values) -> None:
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def test_fu4_reminder_migration_keeps_sent_reminders(tmp_path):
    """FU-4: follow-ups reminded before the reminder table existed keep that fact as reminder rows."""
    from alembic import command

    from poolcrm.migrate import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(db.url)
    day = "2026-01-01 00:00:00.000000"
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "132a3551a689")
        _user_and_customer(conn, day, status="potential", pool="public", owner_id=None)
        for fid, reminded in ((1, "2026-11-02 01:00:00.000000"), (2, None)):
            _insert(
                conn,
                "followups",
                id=fid,
                customer_id=1,
                author_id=1,
                subject="致电",
                content="x",
                content_key="k",
                valid=1,
                invalid_reasons="[]",
                source="followup",
                created_at=day,
                next_followup_on="2026-11-02",
                remind_user_id=1,
                reminded_at=reminded,
            )
    upgrade(db)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT followup_id, user_id, run_date FROM followup_reminders")).all()
    assert [tuple(r) for r in rows] == [(1, 1, "2026-11-02")]
    db.dispose()


def test_cus7_name_grams_move_to_a_table_without_rowid(tmp_path):
    """SQLite: the gram index becomes a WITHOUT ROWID table, keeping every gram; the models say
    the same, so a database made by `create_schema` matches one made by the migrations."""
    from alembic import command

    from poolcrm.db import create_schema
    from poolcrm.migrate import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'grams.db'}")
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "858a8a846003")
        for gram, cid in (("华信", 2), ("华信", 1), ("信科", 1)):
            _insert(conn, "customer_name_grams", gram=gram, customer_id=cid)
    upgrade(db)
    with db.engine.connect() as conn:
        ddl = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'customer_name_grams'"
        ).scalar()
        rows = conn.execute(text("SELECT gram, customer_id FROM customer_name_grams")).all()
    assert "WITHOUT ROWID" in ddl
    assert sorted(tuple(r) for r in rows) == [("信科", 1), ("华信", 1), ("华信", 2)]
    db.dispose()
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    import_all_models()
    create_schema(fresh.engine)
    with fresh.engine.connect() as conn:
        made = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'customer_name_grams'"
        ).scalar()
    assert "WITHOUT ROWID" in made
    fresh.dispose()


def _won_deal_then_upgrade(db: Database) -> list:
    """A database at the revision before contracts, holding one won and one open deal."""
    from alembic import command

    from poolcrm.migrate import alembic_config

    cfg = alembic_config(db.url)
    day = "2026-01-01 00:00:00"
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "5a97e3a1cc45")
        _user_and_customer(conn, day, status="closed", pool="private", owner_id=1)
        for did, category, contract_no in ((1, "won", "HT-OLD-1"), (2, "short", None)):
            _insert(
                conn,
                "deals",
                id=did,
                number=f"C1OP00{did}",
                seq=did,
                customer_id=1,
                owner_id=1,
                name="项目",
                category=category,
                stage=10 if category == "won" else 3,
                max_stage=10,
                status=category if category == "won" else "active",
                expected_close_on="2026-02-01",
                intention="x",
                amount=50000,
                purchase_reason="",
                purchase_form="",
                budget="",
                requirements="",
                execution_time="",
                competitors="",
                actual_amount=48000 if contract_no else None,
                contract_no=contract_no,
                closed_at="2025-12-31 17:00:00" if contract_no else None,
                dispute_needed=False,
                last_activity_at=day,
                created_at=day,
                updated_at=day,
                version=1,
            )
    upgrade(db)
    with db.engine.connect() as conn:
        contracts = conn.execute(
            text("SELECT number, deal_id, amount, received, status, migrated, signed_on FROM contracts")
        ).all()
        paid = conn.execute(text("SELECT amount, method FROM contract_payments")).all()
        parts = conn.execute(text("SELECT amount, received, settled FROM contract_installments")).all()
        totals = conn.execute(
            text(
                "SELECT yyyymm, owner_key, product, signed_count, signed_amount, collected_amount"
                " FROM contract_month_totals"
            )
        ).all()
    return [
        [(n, d, float(a), float(r), s, bool(m), str(o)) for n, d, a, r, s, m, o in contracts],
        [(float(a), m) for a, m in paid],
        [(float(a), float(r), bool(s)) for a, r, s in parts],
        [(m, o, p, n, float(a), float(c)) for m, o, p, n, a, c in totals],
    ]


WON_MIGRATED = [
    [("HT-OLD-1", 1, 48000.0, 48000.0, "paid", True, "2026-01-01")],  # 17:00 UTC = 01:00 the next day
    [(48000.0, "迁移")],
    [(48000.0, 48000.0, True)],
    [(202601, 1, "", 1, 48000.0, 48000.0)],
]


def test_deal8_won_deals_migrate_to_fully_paid_contracts_on_sqlite(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'won.db'}")
    assert _won_deal_then_upgrade(db) == WON_MIGRATED
    db.dispose()


def test_deal8_won_deals_migrate_to_fully_paid_contracts_on_postgresql():
    with _scratch_pg("poolcrm_mig_won") as db:
        assert _won_deal_then_upgrade(db) == WON_MIGRATED


def test_fu4_next_followup_date_is_backfilled_from_the_latest_followup(tmp_path):
    """FU-4/GOV-4: the migration that puts the next follow-up date on the customer row fills it
    with what each customer's latest follow-up planned (a later follow-up planning nothing wins)."""
    from alembic import command

    from poolcrm.migrate import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "c1deea7fe3ff")
        _user_and_customer(
            conn, "2026-01-01 00:00:00.000000", status="potential", pool="public", owner_id=None
        )
        for fid, created, planned in (
            (1, "2026-11-02 01:00:00.000000", "2026-11-09"),
            (2, "2026-11-03 01:00:00.000000", "2026-11-20"),
            (3, "2026-11-01 01:00:00.000000", None),
        ):
            _insert(
                conn,
                "followups",
                id=fid,
                customer_id=1,
                author_id=1,
                subject="致电",
                content="x",
                content_key=f"k{fid}",
                valid=1,
                invalid_reasons="[]",
                source="followup",
                created_at=created,
                next_followup_on=planned,
            )
    upgrade(db)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT next_followup_on FROM customers")).scalar_one() == "2026-11-20"
    db.dispose()


def test_list_1_edge_postings_are_backfilled_for_live_records_only(tmp_path):
    """LIST-1: the migration that adds edge postings writes them for every live record (not for a
    tombstone), beside the normal form's postings it leaves as they were."""
    from alembic import command

    from poolcrm.customers import dedupe
    from poolcrm.migrate import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'edges.db'}")
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "e8a4c6d19b53")
        _user_and_customer(
            conn, "2026-01-01 00:00:00.000000", status="potential", pool="public", owner_id=None
        )
        conn.execute(text("UPDATE customers SET name = '北京市甲乙科技有限公司', name_key = '甲乙科技'"))
        values = {k: v for k, v in conn.execute(text("SELECT * FROM customers")).mappings().one().items()}
        conn.execute(
            text(
                f"INSERT INTO customers ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"
            ),
            {**values, "id": 2, "code": "C2", "pool": "deleted"},
        )
        for gram in dedupe.grams_of_key("甲乙科技"):
            _insert(conn, "customer_name_grams", gram=gram, customer_id=1)
    upgrade(db)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT gram, customer_id FROM customer_name_grams ORDER BY gram")).all()
    assert sorted(g for g, cid in rows if cid == 1) == dedupe.posting_grams("北京市甲乙科技有限公司")
    assert "^北京" in {g for g, _ in rows} and all(cid == 1 for _, cid in rows)
    db.dispose()


def test_list_1_lead_postings_are_remarked_for_live_records_only(tmp_path):
    """LIST-1: the migration that adds lead postings turns the edge posting of a bigram opening a
    live record's name (and nowhere else in it) into a lead posting, leaves a tombstone's postings
    and every other posting as they were, and turns them back on downgrade."""
    from alembic import command

    from poolcrm.customers import dedupe
    from poolcrm.migrate import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'leads.db'}")
    cfg = alembic_config(db.url)
    name = "北京市甲乙科技有限公司"
    before = sorted(g.replace(dedupe.LEAD_MARK, dedupe.EDGE_MARK) for g in dedupe.posting_grams(name))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "a4f9e2c7b815")
        _user_and_customer(
            conn, "2026-01-01 00:00:00.000000", status="potential", pool="public", owner_id=None
        )
        conn.execute(text("UPDATE customers SET name = :name, name_key = '甲乙科技'"), {"name": name})
        values = {k: v for k, v in conn.execute(text("SELECT * FROM customers")).mappings().one().items()}
        conn.execute(
            text(
                f"INSERT INTO customers ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"
            ),
            {**values, "id": 2, "code": "C2", "pool": "deleted"},
        )
        for cid in (1, 2):  # a tombstone keeps no postings; one left over must not be touched
            for gram in before:
                _insert(conn, "customer_name_grams", gram=gram, customer_id=cid)
        for gram in before:
            _insert(conn, "customer_gram_stats", gram=gram, df=2)

    def postings(cid: int) -> list[str]:
        with db.engine.connect() as conn:
            found = conn.execute(
                text("SELECT gram FROM customer_name_grams WHERE customer_id = :c ORDER BY gram"), {"c": cid}
            )
            return list(found.scalars())

    upgrade(db)
    assert postings(1) == dedupe.posting_grams(name) and "^北京" in postings(1)
    assert postings(2) == before
    with db.engine.connect() as conn:
        df = {g: n for g, n in conn.execute(text("SELECT gram, df FROM customer_gram_stats"))}
    assert (df["^北京"], df["#北京"], df["#有限"]) == (1, 1, 2)  # recounted where postings moved
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "a4f9e2c7b815")
    assert postings(1) == before == postings(2)
    db.dispose()
