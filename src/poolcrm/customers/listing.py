"""The customer list: filters, search and sorting within the user's scope (ORG-5, POOL-16)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Integer, Row, Select, String, bindparam, cast, select
from sqlalchemy.orm import Session

from poolcrm import db
from poolcrm.customers import search
from poolcrm.customers.models import SORTED_COLUMNS, Customer
from poolcrm.customers.output import SUMMARY_COLUMNS
from poolcrm.customers.visibility import scoped_query
from poolcrm.db import COUNT_CAP, capped_count_query, capped_total, count_capped, first_page_total
from poolcrm.errors import InvalidInput
from poolcrm.org.models import User
from poolcrm.org.service import Person

# A list counts its matches this far and then says "1000+": past it nobody pages by number, and
# counting every match of a common filter over millions of rows would cost more than the page.

SORTS = {
    **{name: Customer.__table__.c[name] for name in SORTED_COLUMNS},
    "code": Customer.code,
    "id": Customer.id,
}
UNIQUE_SORTS = frozenset({"code", "id"})  # no ties to break

OWNER_NAME = (
    select(User.display_name)
    .where(User.id == Customer.owner_id)
    .correlate(Customer)
    .scalar_subquery()
    .label("owner_name")
)
"""The owner's name beside each row of a page: read with the page, not by a statement of its own
(PostgreSQL evaluates it for the page's rows only, after the sort and the limit)."""
PAGE_COLUMNS = (*SUMMARY_COLUMNS, OWNER_NAME)
"""A page reads what its summaries show, as rows: no ORM object per customer (issue 22: building 50
of them was a quarter of a list request's Python)."""


def list_query(
    session: Session,
    user: User,
    *,
    pool: str = "all",
    q: str | None = None,
    sort: str | None = None,
    window: int | None = None,
    **filters: Any,
) -> Select[Any]:
    """The list as a query: scope, filters, search and order. `window`: the rows the caller reads
    at most (offset and limit included), which lets the search stop early. Without a search the
    query is built once per person, list and filter values (`_plain`)."""
    if q and q.strip():
        return _build(session, user, pool=pool, q=q, sort=sort, window=window, **filters)
    return _plain(session, user, pool, sort, filters).query


class _Plain(NamedTuple):
    query: Select[Any]
    page: Select[Any]  # PAGE_COLUMNS, with :offset and :limit
    capped_count: Select[Any]  # capped at COUNT_CAP (LIST-2)


_PLAIN: OrderedDict[tuple[Any, ...], _Plain] = OrderedDict()
_PLAIN_LOCK = threading.Lock()
PLAIN_LISTS_KEPT = 1024
"""Built list statements a process keeps, plain (`_plain`) and searched (`_searched`), the least
recently used going first: building one with its count and cache keys costs ~0.4 ms of Python (a
searched one more), more than PostgreSQL takes to run it (issue 22)."""


def _plain(session: Session, user: User, pool: str, sort: str | None, filters: dict[str, Any]) -> _Plain:
    """A list without a search, built once: what it holds follows from the dialect, the person (id
    and roles: ORG-2/ORG-5 as a subquery of `org_scope`, no ids bound in), the pool, the filters and
    the sort — all in the key. Statements are immutable and shared by every thread."""
    return _kept(
        _key(session, user, pool, sort, filters),
        lambda: _made(_build(session, user, pool=pool, sort=sort, **filters)),
    )


def _searched(
    session: Session, user: User, pool: str, sort: str | None, filters: dict[str, Any], q: str
) -> tuple[_Plain, search.Match]:
    """A searched list, built once per shape of its term (`search.Match.shape`: the parts it reads)
    on top of the same list without the search: run its statements with the term's parameters
    (`Match.params`) and `window`, the last row the caller needs."""
    column, key_name, descending = _order(sort)
    by_id = column is Customer.id
    found = search.match(session, q, pool, COUNT_CAP, by_id, name_order=key_name == "name")

    def build() -> _Plain:
        base = _plain(session, user, pool, sort, filters).query
        lateral = session.get_bind().dialect.name == "postgresql"
        window = bindparam("window", type_=Integer)
        return _made(search.narrowed(base, found, window, descending if by_id else None, lateral=lateral))

    return _kept((*_key(session, user, pool, sort, filters), found.shape), build), found


def _key(
    session: Session, user: User, pool: str, sort: str | None, filters: dict[str, Any]
) -> tuple[Any, ...]:
    return (
        session.get_bind().dialect.name,
        user.id,
        frozenset(user.roles),
        pool,
        sort,
        tuple(sorted(filters.items())),
        COUNT_CAP,
    )


def _made(query: Select[Any]) -> _Plain:
    return _Plain(
        query,
        query.with_only_columns(*PAGE_COLUMNS).offset(bindparam("offset")).limit(bindparam("limit")),
        capped_count_query(query.with_only_columns(Customer.id), COUNT_CAP),
    )


def _kept(key: tuple[Any, ...], build: Callable[[], _Plain]) -> _Plain:
    """The statements kept under `key`, built now if they are not (a refusal is raised, not kept)."""
    with _PLAIN_LOCK:
        found = _PLAIN.get(key)
        if found is not None:
            _PLAIN.move_to_end(key)
            return found
    built = build()
    with _PLAIN_LOCK:
        _PLAIN[key] = built
        while len(_PLAIN) > PLAIN_LISTS_KEPT:
            _PLAIN.popitem(last=False)
    return built


def _order(sort: str | None) -> tuple[Any, str, bool]:
    """The column a list is sorted by, its name and whether descending (422 for an unknown one)."""
    key_name = (sort or "-id").lstrip("-")
    column = SORTS.get(key_name)
    if column is None:
        raise InvalidInput({"sort": "不支持的排序字段"})
    return column, key_name, (sort or "-id").startswith("-")


def _build(
    session: Session,
    user: User,
    *,
    pool: str = "all",
    q: str | None = None,
    owner: int | None = None,
    grade: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    industry: str | None = None,
    tier: str | None = None,
    region: str | None = None,
    sort: str | None = None,
    window: int | None = None,
) -> Select[Any]:
    """The list as a query: scope, filters, search and order. `window`: the rows the caller reads
    at most (offset and limit included), which lets the search stop early."""
    query = scoped_query(session, user, pool)
    if owner is not None:
        query = query.where(Customer.owner_id == owner)
    if grade:
        query = query.where(Customer.grade == grade)
    if status:
        query = query.where(Customer.status == status)
    if industry:
        query = query.where(Customer.industry == industry)
    if tier:
        query = query.where(Customer.tier == tier)
    if region:
        query = query.where(Customer.region == region)
    if tag:  # the tag itself, as the stored array holds it: not every tag containing it (LIST-6)
        query = query.where(search.containing(cast(Customer.tags, String), db.json_text(tag), "tag"))
    column, key_name, descending = _order(sort)
    order = column.desc() if descending else column.asc()
    # ties broken by id in the sort's own direction: the (column, id) index then reads a page as
    # one range either way (a tie-break the other way sorted a whole status's customers: 722 ms)
    tie = Customer.id.desc() if descending else Customer.id.asc()
    query = query.order_by(order) if key_name in UNIQUE_SORTS else query.order_by(order, tie)
    if not (q and q.strip()):
        return query
    by_id = column is Customer.id
    found = search.match(session, q.strip(), pool, COUNT_CAP, by_id, name_order=key_name == "name")
    lateral = session.get_bind().dialect.name == "postgresql"
    return search.narrowed(query, found, window, descending if by_id else None, lateral=lateral)


def count_matches(session: Session, query: Select[Any]) -> tuple[int, bool]:
    """How many customers the list's query gives, up to COUNT_CAP, and whether there are more."""
    return count_capped(session, query.with_only_columns(Customer.id))


class Page(NamedTuple):
    """One page of the list: its customers (rows of `PAGE_COLUMNS`, for `output.customer_summary`),
    their owners by id (named in the page's own statement), the number of matches (capped) and
    whether the count is capped."""

    rows: list[Row[Any]]
    owners: dict[int, Person]
    total: int
    capped: bool


def _named(
    session: Session, page: Select[Any], params: dict[str, Any] | None = None
) -> tuple[list[Row[Any]], dict[int, Person]]:
    """The rows of a page (`PAGE_COLUMNS`) and their owners by id."""
    rows = list(session.execute(page, params))
    owners = {r.owner_id: Person(r.owner_id, r.owner_name) for r in rows if r.owner_name is not None}
    return rows, owners


def list_customers(
    session: Session, user: User, *, page: int = 1, page_size: int = 50, **filters: Any
) -> Page:
    """One page of the list with its owners' names, and the number of matches (capped). A first
    page that is not full is its own count. The count is the same in any order and taken in id
    order, where a search walks its postings and stops at the cap (in name order a scan for 北京
    passed every name sorting before it). A list holding the public pool says "1000+" by LIST-4
    when the public pool's part alone passes the cap."""
    asked = dict(filters)  # LIST-4 reads the search and filters before they are taken apart
    q, pool, sort = (
        (filters.pop("q", None) or "").strip(),
        filters.pop("pool", "all"),
        filters.pop("sort", None),
    )
    if q:
        built, found = _searched(session, user, pool, sort, filters, q)
        window = {"window": page * page_size, "offset": (page - 1) * page_size, "limit": page_size}
        rows, owners = _named(session, built.page, {**found.params, **window})
    else:
        window = {"offset": (page - 1) * page_size, "limit": page_size}
        rows, owners = _named(session, _plain(session, user, pool, sort, filters).page, window)
    shown = first_page_total(rows, page, page_size)
    if shown is not None:
        return Page(rows, owners, shown, False)
    if _public_matches_pass_the_cap(session, user, asked):
        return Page(rows, owners, COUNT_CAP, True)
    total, capped = _counted(session, user, pool, filters, q)
    return Page(rows, owners, total, capped)


def _counted(session: Session, user: User, pool: str, filters: dict[str, Any], q: str) -> tuple[int, bool]:
    """LIST-2: a list's matches counted up to COUNT_CAP, and whether there are more — in id order,
    where a search walks its postings and stops at the cap (the same matches in any order)."""
    if q:
        built, found = _searched(session, user, pool, None, filters, q)
        counted = session.scalar(built.capped_count, {**found.params, "window": COUNT_CAP + 1})
    else:
        counted = session.scalar(_plain(session, user, pool, None, filters).capped_count)
    return capped_total(int(counted or 0), COUNT_CAP)


def _public_matches_pass_the_cap(session: Session, user: User, filters: dict[str, Any]) -> bool:
    """LIST-4: whether a list's matches in the public pool alone (its search and filters kept) pass
    LIST-2's cap — then every list that holds the public pool ("all", "public"), whoever asks,
    passes it too and says "1000+" without counting. The public pool's part is the same for
    everyone, so it is counted at most once per `AGGREGATE_TTL_S` per process for a search and its
    filters (LIST-3's minute): under load, the capped count of a common term (北京, 电子) was most of
    a search list's time in the database, and the count of the whole list a fifth of the GM's list.
    A count under the cap is always taken live; with the TTL at 0 nothing is kept."""
    if db.AGGREGATE_TTL_S <= 0 or filters.get("pool", "all") not in ("all", "public"):
        return False
    rest = {k: v for k, v in filters.items() if k not in ("pool", "q", "sort")}
    q = (filters.get("q") or "").strip()
    return db.cached_aggregate(
        session,
        ("customers.public_matches_capped", q, tuple(sorted(rest.items()))),
        lambda: _counted(session, user, "public", rest, q)[1],
    )
