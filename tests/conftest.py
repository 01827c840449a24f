"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when POOLCRM_TEST_PG
is set (to a server URL such as postgresql+psycopg://postgres@127.0.0.1:5432, or to 1)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("POOLCRM_FAST_HASH", "1")
os.environ.setdefault("POOLCRM_SCHEDULER", "0")
os.environ.setdefault("POOLCRM_AGGREGATE_TTL_S", "0")  # LIST-3: every dashboard figure live in tests

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text

from poolcrm import clock
from poolcrm.app import create_app
from poolcrm.config import Settings
from poolcrm.db import Base, Database, create_schema, forget_aggregates

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "secret-pass-1"


def pg_server_url() -> str | None:
    value = os.environ.get("POOLCRM_TEST_PG")
    if not value:
        return None
    return PG_DEFAULT if value == "1" else value.rstrip("/")


def backends() -> list[str]:
    return ["sqlite", "pg"] if pg_server_url() else ["sqlite"]


class _PgDatabases:
    """One throw-away PostgreSQL database per test worker, emptied between tests."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.name = f"poolcrm_t_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(
                text(
                    f"CREATE DATABASE \"{self.name}\" TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
        self.url = f"{server}/{self.name}"
        self.db = Database(self.url)
        with self.db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        create_schema(self.db.engine)

    def fresh(self) -> Database:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with self.db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        forget_aggregates(self.db.engine)  # LIST-3 figures of the previous test's rows
        return self.db

    def close(self) -> None:
        self.db.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = Database(f"sqlite:///{path}")
    create_schema(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def _pg() -> Iterator[_PgDatabases | None]:
    server = pg_server_url()
    if not server:
        yield None
        return
    pg = _PgDatabases(server)
    yield pg
    pg.close()


@pytest.fixture(params=backends())
def database(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path, _pg: _PgDatabases | None
) -> Iterator[Database]:
    """An empty, fully created database on each engine under test."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(_sqlite_template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
    else:
        assert _pg is not None
        yield _pg.fresh()


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture
def session(database: Database) -> Iterator[Any]:
    """A write session committed at the end of the test (services flush; tests read back)."""
    with database.transaction() as s:
        yield s


@pytest.fixture
def app(database: Database) -> Any:
    settings = Settings(db_url=database.url, secret_key="test-secret", test_clock=True, run_scheduler=False)
    return create_app(settings, db=database)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def auth_headers(
    client: TestClient, username: str, password: str = PASSWORD, lang: str = "zh"
) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}", "Accept-Language": lang}


@pytest.fixture
def make_user(database: Database) -> Callable[..., int]:
    """Create a user directly through the org service; returns its id."""
    from poolcrm.org.models import Department
    from poolcrm.org.schemas import DepartmentIn, UserIn
    from poolcrm.org.service import create_department, create_user

    def _make(
        username: str,
        roles: list[str] | None = None,
        *,
        dept: str = "销售一部",
        kind: str = "sales",
        supervisor_id: int | None = None,
        hired_on: date = date(2024, 1, 1),
        **extra: Any,
    ) -> int:
        with database.transaction() as s:
            dep = s.query(Department).filter_by(name=dept).one_or_none()
            dept_id = dep.id if dep else create_department(s, None, DepartmentIn(name=dept, kind=kind)).id
            user = create_user(
                s,
                None,
                UserIn(
                    username=username,
                    password=PASSWORD,
                    display_name=extra.pop("display_name", username),
                    roles=roles or ["sales"],
                    department_id=dept_id,
                    supervisor_id=supervisor_id,
                    hired_on=hired_on,
                    **extra,
                ),
            )
            return user.id

    return _make


@pytest.fixture
def admin_headers(client: TestClient, make_user: Callable[..., int]) -> dict[str, str]:
    make_user("admin", ["admin"], dept="总经办", kind="other")
    return auth_headers(client, "admin")


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    """The SQL statements `database` runs inside the block, in order."""
    seen: list[str] = []

    def note(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]  # noqa: ARG001
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
