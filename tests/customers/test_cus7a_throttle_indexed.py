"""CUS-7a at scale (issue 22): the duplicate-check throttle counts the user's own lookups of the
last minute through the audit log's (actor, action, time) index — not every lookup of every user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import text

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.checks import LOOKUP_ACTION, recent_lookups
from poolcrm.db import Database


def test_cus7a_the_lookup_throttle_reads_its_own_index(
    database: Database, make_user: Callable[..., int]
) -> None:
    rep = make_user("rep", ["sales"])
    others = [make_user(f"rep{i}", ["sales"]) for i in range(4)]
    now = clock.now()
    with database.transaction() as s:  # a busy minute: the company's lookups, and one of the rep's
        s.add_all(
            AuditEntry(
                at=now - timedelta(milliseconds=20 * i),
                actor_id=others[i % 4],
                action=LOOKUP_ACTION,
                object_type="customer",
            )
            for i in range(2000)
        )
        s.add(
            AuditEntry(
                at=now - timedelta(seconds=5), actor_id=rep, action=LOOKUP_ACTION, object_type="customer"
            )
        )
        if not database.sqlite:
            s.execute(text("ANALYZE audit_entries"))
    query = recent_lookups(rep, now - timedelta(minutes=1))
    with database.transaction(write=False) as s:
        if database.sqlite:
            sql = query.compile(dialect=s.bind.dialect, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row) for row in s.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        else:
            s.execute(text("SET LOCAL enable_seqscan = off"))
            sql = query.compile(dialect=s.bind.dialect, compile_kwargs={"literal_binds": True})
            plan = " ".join(s.execute(text(f"EXPLAIN {sql}")).scalars())
        assert s.scalar(query) == 1
    assert "ix_audit_actor_action_at" in plan, plan
