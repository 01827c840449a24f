"""Engine, sessions and transactions for SQLite (embedded) and PostgreSQL (scale-out)."""

from __future__ import annotations

import json
import os
import select as select_module
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, cast

from pydantic import Strict
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    TextClause,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, configure_mappers, sessionmaker
from sqlalchemy.pool import Pool, QueuePool
from sqlalchemy.types import TypeDecorator

from poolcrm.config import whole_number_setting
from poolcrm.domains import domain_modules
from poolcrm.errors import InvalidInput

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


MAX_ID = 2**31 - 1
Id = Annotated[int, Strict()]
"""A row id given in a request body: a JSON integer — `true`, `"1"` or `1.0` are refused (422 naming
the field), never read as row 1. SEC-1's guard refuses one past MAX_ID before it gets here."""
MAX_SELECTION = 200
"""The most rows one bulk action takes (an input bound, like a page size; not a SPEC number)."""


COUNT_CAP = 1_000
"""A list counts its matches up to this many ("1000+"; LIST-2): a count that reads at most this
many rows, however large the table grows (an output bound, like a page size; not a SPEC number)."""


def first_page_total(rows: Sequence[Any], page: int, page_size: int) -> int | None:
    """LIST-2: a first page that is not full is its own count — no counting statement; None when
    the matches must be counted."""
    return len(rows) if page == 1 and len(rows) < page_size else None


def count_capped(session: Session, query: Select[Any], cap: int | None = None) -> tuple[int, bool]:
    """How many rows `query` gives, up to `cap` (COUNT_CAP), and whether there are more (LIST-2).
    Give it the narrowest select of the list (its ids): the count reads at most cap + 1 of them."""
    cap = COUNT_CAP if cap is None else cap
    return capped_total(int(session.scalar(capped_count_query(query, cap)) or 0), cap)


def capped_count_query(query: Select[Any], cap: int) -> Select[Any]:
    """`count_capped`'s statement, for a caller that keeps it (built once, run with new values)."""
    return select(func.count()).select_from(query.order_by(None).limit(cap + 1).subquery())


def capped_total(counted: int, cap: int) -> tuple[int, bool]:
    return min(counted, cap), counted > cap


AGGREGATE_TTL_S = float(os.environ.get("POOLCRM_AGGREGATE_TTL_S", "60"))
"""How long a company-wide aggregate (LIST-3) is reused before it is counted again, in seconds (an
output bound, like COUNT_CAP; not a SPEC number). The test suite sets 0: every figure live."""


_AGGREGATES: weakref.WeakKeyDictionary[Pool, OrderedDict[Hashable, tuple[float, Any]]] = (
    weakref.WeakKeyDictionary()
)
AGGREGATES_KEPT = 4096
"""LIST-3/LIST-4 figures a process keeps per database (the least recently used go): a search's
figure is kept per search term, and terms are what anyone types."""
_AGGREGATES_LOCK = threading.Lock()
T = TypeVar("T")


def _aggregates_of(session: Session) -> OrderedDict[Hashable, tuple[float, Any]]:
    pool = session.get_bind().engine.pool  # an Engine, or the Connection a load is bound to
    with _AGGREGATES_LOCK:
        return _AGGREGATES.setdefault(pool, OrderedDict())


def forget_aggregates(engine: Engine) -> None:
    """Drop this process's LIST-3 figures for `engine`'s database (emptied under it: tests)."""
    with _AGGREGATES_LOCK:
        _AGGREGATES.pop(engine.pool, None)
        _REFERENCES.pop(engine.pool, None)


def cached_aggregate(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """LIST-3: a company-wide aggregate (customers per pool over millions of rows) counted at most
    once per AGGREGATE_TTL_S in this process; every write, this process's and others', shows within
    that time. Only for figures a person reads as an overview (a dashboard; LIST-4's "1000+" of a
    list) and for choices that cannot change an answer (LIST-5: how a search term is read), never
    for a rule's decision. (Counting again after each of this process's own writes
    was tried: under load some request writes every moment, and the GM's count ran 69 times in two
    minutes instead of twice.)"""
    values = _aggregates_of(session)
    now = time.monotonic()
    with _AGGREGATES_LOCK:
        found = values.get(key)
        if found is not None:
            values.move_to_end(key)
    if found is not None and now - found[0] < AGGREGATE_TTL_S:
        return found[1]  # type: ignore[no-any-return]
    value = compute()
    with _AGGREGATES_LOCK:
        values[key] = (now, value)
        values.move_to_end(key)
        while len(values) > AGGREGATES_KEPT:
            values.popitem(last=False)
    return value


def selection(ids: list[int], field: str, empty: str, rule: str) -> list[int]:
    """A bulk action's ticked ids, once each in the order given: none → 422 `empty` under `rule`;
    too many or an id out of range → 422 (SEC-1); both naming `field`."""
    chosen = list(dict.fromkeys(ids))
    if not chosen:
        raise InvalidInput({field: empty}, rule=rule)
    if len(chosen) > MAX_SELECTION:
        raise InvalidInput({field: "一次选择得太多"}, rule="SEC-1")
    if any(not 1 <= i <= MAX_ID for i in chosen):
        raise InvalidInput({field: "格式不正确"}, rule="SEC-1")
    return chosen


"""The largest id an INTEGER primary key holds on both engines: a bigger number (typed into a URL or
a form) can only find nothing — look it up and the database would refuse the parameter instead."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The `Table` of a mapped class. Every model here is declarative, so `__table__` is a `Table`;
    SQLAlchemy's stubs type it as a `FromClause` only because imperative mappings may map other
    selectables."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC — the same on SQLite and PostgreSQL (CAL-2)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


JSONType = JSON().with_variant(JSON(none_as_null=True), "postgresql")


def json_text(value: Any) -> str:
    """`value` as a JSON column stores it (the engines' serializer): a filter that reads the stored
    text (LIST-6's tag) encodes its value the same way."""
    return json.dumps(value, ensure_ascii=False, default=str)


# Every SQLite connection's journal and sync level (set on connect; `load_transaction` restores them)
SQLITE_JOURNAL = "wal"
SQLITE_SYNCHRONOUS = "NORMAL"


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


REQUEST_SLOTS = 6
"""Requests a process runs against PostgreSQL at once, by default (`POOLCRM_DB_REQUESTS`; the
rest wait their turn on the event loop, `web.deps.get_db`). A process runs Python on one core at a
time: a request spends about a quarter of its time waiting for the database, so a handful keep the
core busy. More only interleave under the GIL and keep more server backends busy: at 300 simulated
users, 25 (the earlier default) cost PostgreSQL 3.7–3.9 ms of CPU per request against 3.5–3.6 with
6 or 4, each connection's plan and catalog caches warm for fewer requests (issue 22)."""
CONNECTIONS_PER_PROCESS = 35
"""A process's connections at most (the request slots, then overflow for the in-process scheduler,
the notification sender and second sessions): `max_connections` is sized by it (docs/deploy.md)."""
MAX_REQUEST_SLOTS = 25
"""The most `POOLCRM_DB_REQUESTS` may ask for: at least 10 connections stay for the overflow."""


def request_slots_setting() -> int:
    """`POOLCRM_DB_REQUESTS` when it is a whole number from 1 to `MAX_REQUEST_SLOTS`, else
    `REQUEST_SLOTS` (with a warning in the log when it is set to something else)."""
    return whole_number_setting(
        "POOLCRM_DB_REQUESTS", 1, MAX_REQUEST_SLOTS, REQUEST_SLOTS, "requests at once"
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            json_serializer=json_text,
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Refused while a `load_transaction` writes under the rollback journal: this
            # connection then reads beside it (or waits for it, busy_timeout) and finds WAL again.
            _sqlite_journal(dbapi_conn, SQLITE_JOURNAL)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock up front (BEGIN IMMEDIATE) so that two concurrent
            # read-then-write transactions queue on busy_timeout instead of deadlocking.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # `pool_size` is also the number of requests a process runs against the database at once
    # (`Database.request_slots`; fewer than the 40 threads of the request thread pool); the overflow
    # serves the in-process scheduler, the notification sender and a request's second session.
    slots = request_slots_setting()
    kwargs.setdefault("pool_size", slots)
    kwargs.setdefault("max_overflow", CONNECTIONS_PER_PROCESS - slots)
    # psycopg prepares a statement run five times, and PostgreSQL then may plan it once for any
    # parameters: a search's LIKE and LIMIT got a plan reading every posting (37 ms where the plan
    # for the actual values takes 5 ms). Plans are made for the values at hand; parsing stays cached.
    # No JIT: a plan whose estimate passes `jit_above_cost` is compiled first, and the search's
    # capped count over a dense posting (北京 at 10,000,000 customers) spent 82 of its 86 ms
    # compiling 167 functions for a 4 ms walk. The app's statements read pages, not millions of rows.
    kwargs.setdefault("connect_args", {"options": "-c plan_cache_mode=force_custom_plan -c jit=off"})
    engine = create_engine(url, json_serializer=json_text, **kwargs)
    event.listen(engine, "checkout", _still_connected)
    return engine


def _still_connected(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection is handed out only while its server end is open, told without
    a round trip: an idle connection has nothing to read unless the server ended it (a restart, an
    administrator's `pg_terminate_backend`, an idle timeout: a last message, then end of file).
    Otherwise the pool opens a fresh one (`DisconnectionError`). Replaces `pool_pre_ping`, whose
    `SELECT 1` cost every request a round trip and a statement on the server."""
    if dbapi_conn.closed or dbapi_conn.broken:
        raise DisconnectionError("connection closed")
    poller = select_module.poll()  # not select(): a busy server's descriptors pass 1024
    try:
        poller.register(dbapi_conn.pgconn.socket, select_module.POLLIN)
        events = poller.poll(0)
    except (OSError, ValueError) as error:
        raise DisconnectionError("connection socket unusable") from error
    if events:
        raise DisconnectionError("the server ended the connection")


class Database:
    """One per process: the engine plus session factories for reads and writes; creating it
    imports every domain's models and configures their mappers (`import_all_models`)."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        pool = self.engine.pool
        # requests in a process that may hold a connection at once (`web.deps.db_slot`); the
        # pool's overflow is left for the in-process scheduler, the sender and second sessions
        self.request_slots = pool.size() if isinstance(pool, QueuePool) else DEFAULT_REQUEST_SLOTS
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        writer_bind = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.sqlite else self.engine
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False)
        import_all_models()

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self, *, write: bool = True) -> Session:
        return (self._writer if write else self._reader)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back everything on any error (GOV-2)."""
        with _unit_of_work(self.session(write=write)) as session:
            yield session

    @contextmanager
    def load_transaction(self) -> Iterator[Session]:
        """A write `transaction()` for a large load into a database this process alone has open
        (the demo company: `poolcrm demo --customers N`).

        On SQLite (a file) the unit of work runs under the rollback journal instead of WAL, with
        `synchronous=FULL`, and WAL again afterwards. Pages added to the file by the
        transaction need no journal entry, so a fresh database's pages are written once; under
        WAL each is written twice (to the WAL, then by the checkpoint): 1M demo customers
        1.11–1.25× faster (docs/benchmarks.md). A crash leaves a hot journal, and the next
        connection rolls the whole load back: nothing half-written, as under WAL. The price:
        once the load's pages spill into the file, readers wait for its commit, which is why
        only such loads use it. When the file is open elsewhere (a running server, another
        connection of this process) the journal cannot be switched and the load runs under WAL
        as usual."""
        if not self.sqlite or sqlite_file(self.url) is None:
            with self.transaction() as session:
                yield session
            return
        self.engine.dispose()  # this process's idle pooled connections keep the file open
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)  # the pysqlite driver
            rollback_journal = _sqlite_journal(raw, "delete")
            try:
                if rollback_journal:
                    raw.execute("PRAGMA synchronous=FULL")
                conn.execution_options(sqlite_begin="IMMEDIATE")
                with _unit_of_work(self._writer(bind=conn)) as session:
                    yield session
            finally:
                if rollback_journal and not _sqlite_restore(raw):
                    conn.invalidate()  # discarded: the next connection sets WAL and NORMAL itself

    def vacuum(self, *tables: Table) -> None:
        """PostgreSQL, after a bulk load has committed: VACUUM (ANALYZE) the tables it filled, so
        that index-only scans (the duplicate check's postings) need no heap visit from the start
        rather than once autovacuum has been through them (minutes at 10,000,000 customers: the
        duplicate check's brand names p95 179 → 24 ms)."""
        if self.sqlite:
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) " + ", ".join(t.name for t in tables)))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _unit_of_work(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for an in-memory database."""
    database = make_url(url).database or ":memory:"
    return None if database == ":memory:" or database.startswith("file::memory:") else database


def _sqlite_journal(raw: sqlite3.Connection, mode: str) -> bool:
    """Switch a SQLite connection's journal mode outside any transaction; False when SQLite
    refuses because another connection holds the file (leaving WAL needs the file open on this
    connection alone; entering it, no other connection writing)."""
    try:
        return bool(raw.execute(f"PRAGMA journal_mode={mode}").fetchone()[0] == mode)
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False


def _sqlite_restore(raw: sqlite3.Connection) -> bool:
    """WAL and `synchronous=NORMAL` again after a load; False when the connection cannot be
    restored (and must not be reused), without hiding the error the load may be raising."""
    try:
        raw.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        return _sqlite_journal(raw, SQLITE_JOURNAL)
    except sqlite3.Error:
        return False


def import_all_models() -> None:
    """Import every domain's models module so that Base.metadata knows every table, and configure
    their mappers now rather than inside the first unit of work (≈ 0.1 s; a mapping error then
    shows at start-up)."""

    domain_modules("models")
    configure_mappers()


def create_schema(engine: Engine) -> None:
    import_all_models()
    Base.metadata.create_all(engine)


def lock_rows_clause(engine_or_session: Engine | Session) -> bool:
    """Whether SELECT … FOR UPDATE means anything here (PostgreSQL yes; SQLite serialises writers)."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


_CODE_POINT_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8"})
_CODE_POINT_ORDER: weakref.WeakKeyDictionary[Pool, bool] = weakref.WeakKeyDictionary()


def sorts_by_code_point(session: Session) -> bool:
    """Whether text sorts character by character (SQLite's BINARY, PostgreSQL's C collations): then
    the names beginning with a term are one range of the name index, `[term, term's successor)`.
    Asked of the database once per process."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return True
    pool = bind.engine.pool
    with _AGGREGATES_LOCK:
        known = _CODE_POINT_ORDER.get(pool)
    if known is None:
        collation = session.scalar(
            text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        )
        known = str(collation or "").lower() in _CODE_POINT_COLLATIONS
        with _AGGREGATES_LOCK:
            _CODE_POINT_ORDER[pool] = known
    return known


def analyze(session: Session, *tables: Table) -> None:
    """PostgreSQL: refresh the planner's statistics of `tables` after a bulk load filled them, in
    the load's transaction (ANALYZE counts the transaction's own new rows). Until autovacuum gets to
    them the plans assume the tables as they were: a search sorted by name over 20,000 fresh demo
    customers took 400 ms instead of 20 (a nested loop sized for a handful of rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(t.name for t in tables)))


SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
DEFAULT_REQUEST_SLOTS = 10  # an engine whose pool has no size (SQLite in memory): as many as the default pool


def upsert_insert(session: Session) -> Any:
    """The engine's INSERT with ON CONFLICT (PostgreSQL's or SQLite's `insert`), for rollup rows
    that many writers add to at once (`… ON CONFLICT DO UPDATE SET x = x + excluded.x`)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def for_update(query: SelectT) -> SelectT:
    """The one row lock: SELECT … FOR NO KEY UPDATE re-reading the rows (populate_existing).
    PostgreSQL locks the rows until the transaction ends against every other locker, but not
    against the foreign-key checks of rows that only point at them (KEY SHARE): with a plain FOR
    UPDATE, a rep's pool being decided (the rep's user row locked, POOL-2) held up every insert
    naming that rep — an audit entry, a follow-up, a session — until it committed (seen in the
    issue-22 load run as `Lock:transactionid` waits on those inserts). Rows are never deleted nor
    their keys changed, which is all NO KEY leaves out. SQLite renders no clause — its writers are
    already serialised by BEGIN IMMEDIATE. Lock in a fixed order (customers, then users) to avoid
    deadlocks."""
    return query.with_for_update(key_share=True).execution_options(populate_existing=True)


def ids_select(session: Session, ids: Iterable[int]) -> Select[Any]:
    """A SELECT yielding `ids`, bound as ONE parameter whatever their number (an int array unnested
    on PostgreSQL, a JSON array through json_each on SQLite): `column.in_(ids_select(…))` matches a
    set the job decided once, without re-evaluating its condition or thousands of placeholders."""
    values = [int(i) for i in ids]
    if session.get_bind().dialect.name == "postgresql":
        return select(func.unnest(bindparam("ids", values, type_=ARRAY(Integer), unique=True)))
    return select(literal_column("value")).select_from(
        func.json_each(bindparam("ids", json.dumps(values), type_=String, unique=True))
    )


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


# -- reference data: read once per process while nobody changes it -----------------------------

REFERENCE_STAMP = Table(
    "reference_stamp",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
)
"""One row counting the changes to the reference tables (`reference_table`): a trigger on each
adds one in the changing transaction, on every engine, whoever writes — this process, another
one, the daily job, a script. No row yet counts as 0."""

_REFERENCE_TABLES: dict[str, tuple[str, ...]] = {}  # table name -> the updated columns that count
_REFERENCES: weakref.WeakKeyDictionary[Pool, dict[Hashable, tuple[int, Any]]] = weakref.WeakKeyDictionary()
_STAMP_KEY = "poolcrm.reference_stamp"
_WROTE_KEY = "poolcrm.reference_bypass"
_BUMP = (
    "INSERT INTO reference_stamp (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = reference_stamp.n + 1"
)


def reference_table(table: Table, *columns: str) -> None:
    """Declare `table` reference data: rarely written, read by many requests (the policy, the
    calendar, the deal stage table, who is a sales rep …). A change to it — an insert, a delete,
    an update (of `columns` only, when given) — counts in `reference_stamp`. Called beside the
    model; the triggers come with `create_schema` and the migrations (`install_reference_triggers`,
    which installs every table declared when it runs: a revision that declares a new reference
    table calls it again)."""
    _REFERENCE_TABLES[table.name] = columns


def _reference_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        out = [
            "CREATE OR REPLACE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        ]
        for name, columns in sorted(_REFERENCE_TABLES.items()):
            update = "UPDATE OF " + ", ".join(columns) if columns else "UPDATE"
            out += [
                f"DROP TRIGGER IF EXISTS reference_changed ON {name}",
                f"CREATE TRIGGER reference_changed AFTER INSERT OR DELETE OR TRUNCATE OR {update} "
                f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION reference_changed()",
            ]
        return out
    out = []
    for name, columns in sorted(_REFERENCE_TABLES.items()):
        update = "UPDATE OF " + ", ".join(columns) if columns else "UPDATE"
        for suffix, event_name in (("ins", "INSERT"), ("del", "DELETE"), ("upd", update)):
            out += [
                f"DROP TRIGGER IF EXISTS ref_{name}_{suffix}",
                f"CREATE TRIGGER ref_{name}_{suffix} AFTER {event_name} ON {name} BEGIN {_BUMP}; END",
            ]
    return out


def install_reference_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """The triggers of every reference table, for a database built by the migrations (`op.execute`
    in a revision); `create_schema` installs them itself. Safe to run again."""
    import_all_models()
    for stmt in _reference_ddl(dialect):
        execute(stmt)


@event.listens_for(Base.metadata, "after_create")
def _reference_triggers(_metadata: MetaData, connection: Any, **_: Any) -> None:
    for stmt in _reference_ddl(connection.dialect.name):
        connection.exec_driver_sql(stmt)


def reference_stamp_column() -> Any:
    """The stamp as a scalar subquery, to ride along in a statement a request runs anyway (the
    signed-in user's: `note_reference_stamp`)."""
    return select(func.coalesce(func.max(REFERENCE_STAMP.c.n), 0)).scalar_subquery()


def note_reference_stamp(session: Session, stamp: int) -> None:
    session.info.setdefault(_STAMP_KEY, int(stamp))


def _stamp(session: Session) -> int:
    stamp = session.info.get(_STAMP_KEY)
    if stamp is None:
        stamp = int(session.scalar(select(reference_stamp_column())) or 0)
        session.info[_STAMP_KEY] = stamp
    return int(stamp)


def reference(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """Reference data (`reference_table`) as `load()` gives it, read once per process while
    `reference_stamp` stays what this session read (at first use, or with the signed-in user): a
    change committed by anyone counts from the next session on. A session reads it once; a session
    that has written anything reads it from the database, not the process's copy (its own change
    is not in that copy until it commits). `load` returns a value nobody changes (a tuple, a
    frozenset, a frozen object): every thread of the process shares it."""
    entry = ("poolcrm.reference", key)
    found = session.info.get(entry, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    stamp = None if session.info.get(_WROTE_KEY) else _stamp(session)  # (may flush: then wrote)
    if stamp is None or session.info.get(_WROTE_KEY):
        value = load()
    else:
        pool = session.get_bind().engine.pool
        with _AGGREGATES_LOCK:
            cached = _REFERENCES.setdefault(pool, {}).get(key)
        if cached is not None and cached[0] == stamp:
            value = cached[1]
        else:
            value = load()
            if not session.info.get(_WROTE_KEY):  # its reads flushed nothing of this session's
                with _AGGREGATES_LOCK:
                    _REFERENCES.setdefault(pool, {})[key] = (stamp, value)
    session.info[entry] = value
    return value


_MISSING = object()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    changed = {
        t.name for obj in (*session.new, *session.dirty, *session.deleted) for t in inspect(obj).mapper.tables
    }
    _wrote(session, changed)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if not state.is_select and not _reads(state.statement):
        table = getattr(state.statement, "table", None)  # an INSERT/UPDATE/DELETE's; None for text
        _wrote(state.session, {table.name} if isinstance(table, Table) else None)


def _reads(statement: Any) -> bool:
    """A textual SELECT (a duplicate check's postings walk, an advisory lock): it reads, as a
    `select()` does — not an unknown write that makes the session forget the reference data it
    read (issue 22: a registration read the policy twice, once after each such statement)."""
    if not isinstance(statement, TextClause):
        return False
    words = statement.text.split(None, 1)
    return bool(words) and words[0].upper() == "SELECT"


def _wrote(session: Session, tables: set[str] | None) -> None:
    """A session that wrote reads reference data from the database from then on; when the write
    may have touched reference tables (`tables` among them, or unknown: None) it forgets what it
    had read of them too."""
    session.info[_WROTE_KEY] = True
    if tables is None or not tables.isdisjoint(_REFERENCE_TABLES):
        for k in [k for k in session.info if isinstance(k, tuple) and k[:1] == ("poolcrm.reference",)]:
            del session.info[k]
