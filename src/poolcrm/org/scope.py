"""ORG-2 as an indexed join (issue 22): `org_scope` holds, for every user, the users of their
subtree (`rules.scope_pairs`), rewritten in the same flush as any change to the supervisor tree (a
user added, a supervisor changed), whichever path made it. A visibility check reads one user's
rows through the primary key; a list joins them (`visible_owners`), instead of every request
loading every user's supervisor to walk the tree in Python.

The rows are derived data, like the duplicate index's grams: rows of the tree as it no longer
stands are removed, never anything a person wrote."""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import Select, delete, insert, inspect, select, text, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session

from poolcrm.db import reference
from poolcrm.org import rules
from poolcrm.org.models import ScopeEdge, User

CACHE_KEY = "poolcrm.scope"  # `db.reference` key (with the user id) of a subtree
_BATCH = 500
SYNC_LOCK = 0x6F726732  # "org2": the advisory lock key of `sync`


def visible_owners(user_id: int) -> Select[Any]:
    """The ids of `user_id`'s subtree (ORG-2) as a subquery: `column.in_(visible_owners(uid))`."""
    return select(ScopeEdge.descendant_id).where(ScopeEdge.ancestor_id == user_id)


def subtree_of(session: Session, user_id: int) -> frozenset[int]:
    """`user_id` and everyone below them (ORG-2) — reference data (`db.reference`): the tree
    changes rarely, and any change to it (`org_scope`, a user's supervisor) counts at once."""
    return reference(
        session,
        (CACHE_KEY, user_id),
        lambda: frozenset(session.scalars(visible_owners(user_id))) | {user_id},
    )


def sync(conn: Connection) -> None:
    """Rewrite `org_scope` to the tree `users.supervisor_id` describes now. On PostgreSQL two
    transactions changing the tree take turns (a transaction-scoped advisory lock): the second then
    reads the first's committed change with its own, so neither leaves the other's rows stale."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SYNC_LOCK})
    tree = conn.execute(select(User.id, User.supervisor_id))
    supervisor_of: dict[int, int | None] = {uid: sup for uid, sup in tree}
    wanted = rules.scope_pairs(supervisor_of)
    have = {(a, d) for a, d in conn.execute(select(ScopeEdge.ancestor_id, ScopeEdge.descendant_id))}
    gone = sorted(have - wanted)
    for i in range(0, len(gone), _BATCH):
        pairs = tuple_(ScopeEdge.ancestor_id, ScopeEdge.descendant_id).in_(gone[i : i + _BATCH])
        conn.execute(delete(ScopeEdge).where(pairs))
    added = [{"ancestor_id": a, "descendant_id": d} for a, d in sorted(wanted - have)]
    for i in range(0, len(added), _BATCH):
        conn.execute(insert(ScopeEdge), added[i : i + _BATCH])


def _moves_the_tree(session: Session, obj: object) -> bool:
    if not isinstance(obj, User):
        return False
    return obj in session.new or inspect(obj).attrs.supervisor_id.history.has_changes()


@listens_for(Session, "after_flush")
def _follow_the_tree(session: Session, _context: Any) -> None:
    if any(_moves_the_tree(session, obj) for obj in chain(session.new, session.dirty)):
        sync(session.connection())  # the session then reads the tree again (`db.reference`)
