import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from poolcrm.audit.service import record, search


def test_gov1_audit_entries_are_append_only(database):
    with database.transaction() as s:
        record(
            s,
            actor_id=None,
            action="test.write",
            object_type="thing",
            object_id=1,
            after={"x": 1},
            rule="GOV-1",
        )
    with pytest.raises(DatabaseError), database.transaction() as s:
        s.execute(text("UPDATE audit_entries SET action = 'forged'"))
    with pytest.raises(DatabaseError), database.transaction() as s:
        s.execute(text("DELETE FROM audit_entries"))
    with database.transaction() as s:
        rows, total, _ = search(s, action="test")
        assert total == 1 and rows[0].action == "test.write"
