"""Issue 22: every sort the customer list offers reads its page through an index, in either
direction, for the whole company and for a rep's scope — no sort over the matching rows, however
many there are — and ties fall in the sort's own direction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from poolcrm.customers import listing, search
from poolcrm.customers.models import Customer
from poolcrm.db import Database
from poolcrm.org.models import User, UserRole


def _plan(database: Database, user_id: int, pool: str, sort: str) -> str:
    with database.transaction(write=False) as s:
        # planner told to avoid a seq scan and any sort: a plan still sorting has no index to use
        s.execute(text("SET LOCAL enable_seqscan = off"))
        s.execute(text("SET LOCAL enable_sort = off"))
        user = s.get(User, user_id)
        assert user is not None
        query = listing.list_query(s, user, pool=pool, sort=sort).limit(50)
        sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        return "\n".join(s.execute(text(f"EXPLAIN {sql}")).scalars())


@pytest.mark.parametrize("direction", ["", "-"])
def test_each_list_sort_reads_an_index(
    database: Database, make_user: Callable[..., int], direction: str
) -> None:
    if database.sqlite:
        pytest.skip("PostgreSQL plans (the scale engine)")
    gm = make_user("gm", ["gm"], dept="总经办", kind="other")
    rep = make_user("rep", ["sales"])
    for name in listing.SORTS:
        for who, pool in ((gm, "all"), (rep, "public")):
            plan = _plan(database, who, pool, direction + name)
            assert "Sort" not in plan, (direction + name, pool, plan)


def test_ties_follow_the_sort(client: Any, make_user: Callable[..., int]) -> None:
    from tests.conftest import auth_headers

    make_user("gm", ["gm"], dept="总经办", kind="other")
    headers = auth_headers(client, "gm")
    ids = []
    for i in range(3):
        resp = client.post(
            "/api/v1/customers",
            json={
                "name": f"同名测试{'甲乙丙'[i]}科技有限公司",
                "address": "北京市海淀区中关村大街1号海龙大厦5楼501室",
                "contact_name": "张三",
                "phone": f"010-6234567{i}",
                "industry": "IT",
                "customer_type": "direct",
                "confirm_warnings": True,
                "confirm_duplicates": True,
            },
            headers=headers,
        )
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["customer_id"])
    up = client.get("/api/v1/customers?pool=all&sort=status", headers=headers).json()["items"]
    down = client.get("/api/v1/customers?pool=all&sort=-status", headers=headers).json()["items"]
    mine = [c["id"] for c in up if c["id"] in ids]
    assert mine == sorted(mine)  # the same status: by id, ascending with the sort
    assert [c["id"] for c in down if c["id"] in ids] == sorted(mine, reverse=True)


@pytest.mark.parametrize("direction", ["", "-"])
def test_a_reps_whole_list_walks_its_order_on_sqlite(
    database: Database, make_user: Callable[..., int], direction: str
) -> None:
    """ORG-5's "all" list for a rep (public, their tree's private, their tree's pending) on SQLite:
    each term had an index, so the planner gathered every public customer through them and sorted
    the lot (400 ms for a first page at 100,000 customers); the page is now read in the list's
    order (the rowid or the sort's index) and stops when full — no temporary sort."""
    if not database.sqlite:
        pytest.skip("SQLite plans (PostgreSQL's: test_each_list_sort_reads_an_index)")
    rep = make_user("rep", ["sales"])
    for name in ("id", "name", "updated_at"):
        with database.transaction(write=False) as s:
            user = s.get(User, rep)
            assert user is not None
            query = listing.list_query(s, user, pool="all", sort=direction + name).limit(50)
            sql = str(query.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True}))
            plan = " / ".join(row[-1] for row in s.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "MULTI-INDEX OR" not in plan and "TEMP B-TREE" not in plan, (direction + name, plan)


@pytest.mark.parametrize("direction", ["", "-"])
def test_list_1_names_opening_with_a_term_are_a_range_of_the_name_index(
    database: Database, make_user: Callable[..., int], monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    """北京 sorted by name, either way (PostgreSQL, the planner kept from scans and sorts): the
    names beginning with it are read as a range of the name index, and the postings of the names
    holding it elsewhere by their key — nothing walks the names sorting before it (625,336 rows at
    10,000,000 before this) and nothing scans the customers for the capped count."""
    if database.sqlite:
        pytest.skip("PostgreSQL plans (the scale engine)")
    monkeypatch.setattr(search, "_postings_are_cheaper", lambda *_: True)
    gm = make_user("gm", ["gm"], dept="总经办", kind="other")
    with database.transaction(write=False) as s:
        s.execute(text("SET LOCAL enable_seqscan = off"))
        user = s.get(User, gm)
        assert user is not None
        page = listing.list_query(s, user, q="北京", sort=direction + "name", window=50).limit(50)
        count = listing.list_query(s, user, q="北京", window=1001).with_only_columns(Customer.id).limit(1001)
        plans = []
        for query in (page, count):
            sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            plans.append("\n".join(s.execute(text(f"EXPLAIN {sql}")).scalars()))
    assert "(name)::text >= '北京'::text) AND ((name)::text < '北亭'::text)" in plans[0], plans[0]
    assert "'^北京'" not in plans[0] and "'#北京'" in plans[0], plans[0]
    for plan in plans:
        assert "Seq Scan" not in plan and "ANY ($" in plan, plan


def test_a_list_without_a_search_is_built_once_per_person_and_follows_their_roles(
    database: Database, make_user: Callable[..., int]
) -> None:
    """Issue 22 (`listing._plain`): the same person's same list is one statement, built once; another
    person, another list or a change of roles is another statement — what a list shows follows
    from the person as the key holds them (ORG-2/ORG-5)."""
    rep = make_user("plain_rep", ["sales"])
    other = make_user("plain_other", ["sales"])
    with database.transaction(write=False) as s:
        user, colleague = s.get(User, rep), s.get(User, other)
        assert user is not None and colleague is not None
        first = listing.list_query(s, user, pool="all", sort="name")
        assert listing.list_query(s, user, pool="all", sort="name") is first
        assert listing.list_query(s, user, pool="mine", sort="name") is not first
        assert listing.list_query(s, colleague, pool="all", sort="name") is not first
        assert listing.list_query(s, user, pool="all", sort="name", q="科技") is not first
        assert "org_scope" in str(first)  # a rep sees their subtree's private customers
    with database.transaction() as s:
        user = s.get(User, rep)
        assert user is not None
        user.role_rows.append(UserRole(role="gm"))  # now sees everyone
    with database.transaction(write=False) as s:
        user = s.get(User, rep)
        assert user is not None
        as_gm = listing.list_query(s, user, pool="all", sort="name")
        assert as_gm is not first and "org_scope" not in str(as_gm)
