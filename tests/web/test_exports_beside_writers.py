"""ORG-5 exports are audited reads: on SQLite a read transaction that then writes fails with
"database is locked" once another writer has committed in between. Exports therefore run as writing
requests (BEGIN IMMEDIATE, queued behind the writers) and never fail beside them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from poolcrm.audit.service import record
from poolcrm.web.deps import records_read


def test_gov1_export_routes_are_writing_requests():
    assert records_read("GET", "/api/v1/customers/export", "")
    assert records_read("GET", "/api/v1/deals/export.xlsx", "")
    assert records_read("GET", "/customers/export.xlsx", "q=x")
    assert records_read("GET", "/api/v1/customers/7/followups", "format=xlsx")
    assert not records_read("GET", "/api/v1/customers", "page=2")
    assert not records_read("POST", "/api/v1/customers/export", "")


def test_gov1_an_audited_read_beside_a_writer_needs_the_write_lock_up_front(database, make_user):
    if not database.sqlite:
        pytest.skip("SQLite's snapshot upgrade; PostgreSQL has row-level MVCC")
    actor = make_user("exporter", ["admin"], dept="总经办", kind="other")

    def other_writer() -> None:
        with database.transaction() as s:
            record(s, actor_id=actor, action="test.write", object_type="test", rule="GOV-1")

    reader = database.session(write=False)  # how an export ran before
    reader.execute(text("SELECT count(*) FROM audit_entries")).scalar()
    worker = threading.Thread(target=other_writer)
    worker.start()
    worker.join()
    record(reader, actor_id=actor, action="customer.export", object_type="customer_list", rule="ORG-5")
    with pytest.raises(OperationalError, match="locked"):
        reader.flush()
    reader.rollback()
    reader.close()

    exporter = database.session(write=True)  # how an export runs now
    exporter.execute(text("SELECT count(*) FROM audit_entries")).scalar()
    worker = threading.Thread(target=other_writer)
    worker.start()  # waits for the exporter's write lock (busy timeout), then writes
    record(exporter, actor_id=actor, action="customer.export", object_type="customer_list", rule="ORG-5")
    exporter.commit()
    exporter.close()
    worker.join()
