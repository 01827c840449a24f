"""The Alembic migrations create exactly the schema the models describe, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_migrations_match_models_on_postgresql():
    server = pg_server_url()
    if not server:
        import pytest

        pytest.skip("POOLCRM_TEST_PG not set")
    from sqlalchemy import create_engine

    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    name = "poolcrm_mig_check"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(f"{server}/{name}")
    try:
        assert _diff(db) == []
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
