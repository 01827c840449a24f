"""ORG-2 as an indexed join (issue 22): `org_scope` holds every user's subtree and follows every
change of the tree, whichever path makes it; the customer list joins it instead of binding ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from poolcrm.customers.visibility import scoped_query
from poolcrm.db import Database
from poolcrm.org import rules
from poolcrm.org.models import ScopeEdge, User
from poolcrm.org.service import (
    sales_rep_people,
    sales_reps,
    subordinate_rep_people,
    subordinate_reps,
    visible_owner_ids,
)
from tests.conftest import auth_headers


def _rows(database: Database) -> set[tuple[int, int]]:
    with database.transaction(write=False) as s:
        return {(a, d) for a, d in s.execute(select(ScopeEdge.ancestor_id, ScopeEdge.descendant_id))}


def _tree(database: Database) -> set[tuple[int, int]]:
    with database.transaction(write=False) as s:
        return rules.scope_pairs({u: sup for u, sup in s.execute(select(User.id, User.supervisor_id))})


def test_org2_scope_pairs_are_each_users_subtree() -> None:
    tree = {1: None, 2: 1, 3: 2, 4: 2, 5: None, 6: 6}  # 6 names itself: the walk still stops
    pairs = rules.scope_pairs(tree)
    for root in tree:
        assert {d for a, d in pairs if a == root} == rules.subtree(root, tree)
    assert (1, 4) in pairs and (2, 1) not in pairs and (5, 5) in pairs


def test_org2_rows_follow_the_tree_on_every_path(
    database: Database, make_user: Callable[..., int], client: Any
) -> None:
    admin = make_user("admin", ["admin"], dept="总经办", kind="other")
    top = make_user("top", ["supervisor"])
    mid = make_user("mid", ["supervisor"], supervisor_id=top)
    leaf = make_user("leaf", ["sales"], supervisor_id=mid)
    other = make_user("other", ["sales"])
    assert _rows(database) == _tree(database)
    assert {(top, leaf), (mid, leaf), (leaf, leaf), (admin, admin)} <= _rows(database)

    # the admin moves the leaf under `other` through the API
    resp = client.patch(
        f"/api/v1/users/{leaf}", json={"supervisor_id": other}, headers=auth_headers(client, "admin")
    )
    assert resp.status_code == 200, resp.text
    assert (top, leaf) not in _rows(database) and (other, leaf) in _rows(database)
    assert _rows(database) == _tree(database)

    # a direct change of the row (a script, a test) in the same unit of work as the reads after it
    with database.transaction() as s:
        s.get(User, mid).supervisor_id = None  # type: ignore[union-attr]
        top_user = s.get(User, top)
        assert top_user is not None
        assert visible_owner_ids(s, top_user) == {top}  # the flush before the read rewrote the rows
    assert _rows(database) == _tree(database)


def test_org2_the_list_joins_the_scope(database: Database, make_user: Callable[..., int]) -> None:
    sup = make_user("sup", ["supervisor"])
    make_user("rep", ["sales"], supervisor_id=sup)
    with database.transaction(write=False) as s:
        user = s.get(User, sup)
        assert user is not None
        sql = str(scoped_query(s, user, "all").compile(dialect=postgresql.dialect()))
    assert "org_scope" in sql and "ancestor_id" in sql  # a join through the index, not a bound id list


def test_org2_two_tree_changes_at_once_leave_the_rows_whole(
    database: Database, make_user: Callable[..., int]
) -> None:
    """Two admins move two reps at the same moment (PostgreSQL: the second sync waits for the first
    and reads its change; SQLite serialises writers anyway)."""
    from tests.concurrency import run_all

    a = make_user("boss_a", ["supervisor"])
    b = make_user("boss_b", ["supervisor"])
    reps = [make_user(f"rep{i}", ["sales"], supervisor_id=a) for i in range(2)]

    def move(rep: int) -> Callable[[Any], None]:
        def _move(s: Any) -> None:
            s.get(User, rep).supervisor_id = b
            s.flush()

        return _move

    for _ in range(3):
        assert run_all(database, [move(r) for r in reps]) == ["ok", "ok"]
        assert _rows(database) == _tree(database)
        assert {(b, r) for r in reps} <= _rows(database)
        with database.transaction() as s:  # back under `a` for the next round
            for r in reps:
                s.get(User, r).supervisor_id = a


def test_org2_reps_as_names_are_the_same_people_as_the_users(
    database: Database, make_user: Callable[..., int]
) -> None:
    """`subordinate_rep_people` / `sales_rep_people` (two columns, for pages naming thousands of
    reps) list exactly `subordinate_reps` / `sales_reps`: sales users below, not the supervisor,
    not another role; the company's active reps of sales departments."""
    top = make_user("top", ["supervisor", "sales"])
    mid = make_user("mid", ["supervisor"], supervisor_id=top)
    make_user("leaf", ["sales"], supervisor_id=mid, display_name="张伟")
    make_user("cs", ["cs"], supervisor_id=mid, dept="客服部", kind="cs")
    gone = make_user("gone", ["sales"], supervisor_id=top)
    make_user("other", ["sales"], dept="销售二部")
    with database.transaction() as s:
        s.get(User, gone).active = False  # disabled: still below `top`, no longer a rep of the company
    with database.transaction(write=False) as s:
        for boss in (top, mid):
            assert [(p.id, p.display_name) for p in subordinate_rep_people(s, boss)] == [
                (u.id, u.display_name) for u in subordinate_reps(s, boss)
            ]
        assert [(p.id, p.display_name) for p in sales_rep_people(s)] == [
            (u.id, u.display_name) for u in sales_reps(s)
        ]
        assert {p.display_name for p in subordinate_rep_people(s, top)} == {"张伟", "gone"}
        assert "gone" not in {p.display_name for p in sales_rep_people(s)}
