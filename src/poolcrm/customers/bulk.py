"""Fast bulk creation of customers (demo data, benchmarks): the customers, their duplicate-index
grams and their POOL-12 events written straight through the driver, in batches — no ORM objects,
no per-row SQLAlchemy statement processing.

- records come as dicts (`bulk_create`) or as batches of columns (`bulk_create_columns`, which a
  producer in another process sends for a fraction of the cost); either way a batch is prepared
  column by column: a pre-converted template row for the defaults, each field the records set
  taken as a whole column, the name's normal form and pinyin initials computed once per row (or
  taken from the records when the generator knows them);
- SQLite: `executemany` on the driver's cursor inside the session's transaction, the columns that
  hold one value in every row of a batch written as literals (binding them cost more than the
  insert); grams (`substr` over a number series) and events derived by `INSERT … SELECT` from the
  batch's rows, on a thread while the next batch is generated (the LIST-1 edge grams, which need
  the whole normalised name, from Python); for a large load into a smaller
  table the secondary indexes are dropped and rebuilt afterwards in the same transaction; a large
  page cache while loading;
- PostgreSQL: `COPY … FROM STDIN` through psycopg's `cursor.copy()`, grams (CUS-7 and LIST-1's
  edge grams) and events from Python.
Each batch writes one audit entry naming the id range it created (GOV-1)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Sized
from datetime import datetime
from itertools import chain, islice, repeat
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from poolcrm import db
from poolcrm.audit.models import AuditEntry
from poolcrm.customers import checks, dedupe, names, phones, registration
from poolcrm.customers.models import POOL_PENDING, POOL_PRIVATE, Customer, CustomerGramStat, CustomerNameGram
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.moves import EVENT_COLUMNS

BATCH = 10_000
LARGE_LOAD = 50_000  # SQLite: from this many rows, indexes are built after the load
SQLITE_BULK_CACHE_KIB = 262_144  # page cache while loading (256 MiB), restored afterwards


class _Writer:
    """Inserts tuples into a table through the DBAPI connection of the session's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.pg = conn.dialect.name == "postgresql"
        raw = conn.connection.driver_connection
        assert raw is not None  # None only once the connection is closed or invalidated
        self.raw = raw

    def processors(self, table: Table, columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
        """(position, bind processor) of the columns whose values need converting."""
        out: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(columns):
            proc = table.c[name].type._cached_bind_processor(self.dialect)
            if proc is not None:
                out.append((i, proc))
        return out

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        maybe_varying: Collection[int] | None = None,
    ) -> None:
        """`maybe_varying`: the positions that can differ between rows (SQLite folds the others
        into the statement without looking at every row); default: any."""
        if rows:
            values, varying = _columns_of(rows, maybe_varying)
            self.insert_columns(table, columns, values, varying, len(rows))

    def insert_columns(
        self, table: Table, columns: Sequence[str], values: Sequence[Any], varying: Collection[int], n: int
    ) -> None:
        """Insert `n` rows given by column: `values[i]` is a list of the `n` values of column `i`
        when `i` is in `varying`, otherwise the one value of every row."""
        if not n:
            return
        cursor = self.raw.cursor()
        try:
            if self.pg:
                quoted = ", ".join(f'"{c}"' for c in columns)
                full = [v if i in varying else repeat(v, n) for i, v in enumerate(values)]
                with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in zip(*full, strict=True):
                        copy.write_row(row)
            else:
                marks, rows = _fold_columns(values, varying, n)
                cursor.executemany(
                    f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join(marks)})', rows
                )
        finally:
            cursor.close()


FILLED_TABLES: tuple[Table, ...] = (
    db.table_of(Customer),
    db.table_of(CustomerNameGram),
    db.table_of(CustomerGramStat),
    db.table_of(OwnershipEvent),
    db.table_of(AuditEntry),
)
"""What a bulk load fills (customers, their postings and gram counts, POOL-12 events, the audit):
ANALYZEd in the load's transaction, VACUUMed by the demo after it."""


def _literal(value: Any) -> str | None:
    """`value` as an SQLite literal, when it can be written as one exactly (NULL, integers, text)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _columns_of(
    rows: Sequence[Sequence[Any]], maybe_varying: Collection[int] | None = None
) -> tuple[list[Any], Collection[int]]:
    """Rows as columns for `insert_columns`: the `maybe_varying` positions (default: all) as
    lists, the others as the first row's value."""
    if maybe_varying is None:
        return [list(column) for column in zip(*rows, strict=True)], range(len(rows[0]))
    first = rows[0]
    values = [[row[i] for row in rows] if i in maybe_varying else first[i] for i in range(len(first))]
    return values, maybe_varying


def _fold_columns(values: Sequence[Any], varying: Collection[int], n: int) -> tuple[list[str], Iterable[Any]]:
    """SQLite: the columns holding one value in every row are written into the statement as
    literals and only the others bound per row (binding is most of an `executemany`'s cost on a
    wide table whose rows are mostly defaults). Only the `varying` columns are looked at value by
    value. Returns the VALUES items and the rows to bind."""
    marks: list[str] = []
    bound: list[Any] = []
    for i, value in enumerate(values):
        if i in varying:
            # the last value differing from the first (most columns that vary): not one value
            literal = None if value[-1] != value[0] else _literal(value[0])
            if literal is not None:
                try:
                    if len(set(value)) != 1:
                        literal = None
                except TypeError:  # unhashable
                    literal = None
            column = value
        else:
            literal = _literal(value)
            column = repeat(value, n)
        if literal is None:
            marks.append("?")
            bound.append(column)
        else:
            marks.append(literal)
    return marks, zip(*bound, strict=True) if bound else [()] * n


def _convert(
    rows: list[list[Any]], procs: Sequence[tuple[int, Callable[[Any], Any]]]
) -> list[tuple[Any, ...]]:
    """Apply the bind processors (JSON, dates, UTC datetimes, booleans) with a memo per column:
    a batch holds few distinct values in those columns."""
    memos: list[dict[Any, Any]] = [{} for _ in procs]
    for row in rows:
        for (i, proc), memo in zip(procs, memos, strict=True):
            value = row[i]
            if value is None:
                continue
            try:
                row[i] = memo[value]
            except KeyError:
                row[i] = memo[value] = proc(value)
            except TypeError:  # unhashable (a list of tags)
                row[i] = proc(value)
    return [tuple(row) for row in rows]


def _drop_indexes(conn: Connection, tables: Sequence[str]) -> list[str]:
    """Drop the secondary indexes of `tables` (SQLite); returns the statements recreating them."""
    marks = ", ".join("?" for _ in tables)
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        tuple(tables),
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _sqlite_derived(raw: Any, first: int, last: int, longest: int, event: Sequence[Any]) -> None:
    """SQLite: the duplicate-index grams (the distinct bigrams of each name's normal form, or the
    whole normal form when it is one character; CUS-7) and the POOL-12 events of the customers
    `first`..`last`, derived set-based from their rows; the grams go in sorted, into their places
    in the (gram, customer) key (at a million customers 10 → 7.6 s against customer order).
    `longest`: the longest of their normal forms, in characters. `event`: the events' at, rule,
    reason, actor_id, converted."""
    cursor = raw.cursor()
    try:
        cursor.execute(
            "INSERT OR IGNORE INTO customer_name_grams (gram, customer_id) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "SELECT substr(c.name_key, n.i, 2) AS gram, c.id FROM customers AS c "
            "JOIN n ON n.i < length(c.name_key) WHERE c.id BETWEEN ? AND ? "
            "UNION ALL SELECT c.name_key, c.id FROM customers AS c "
            "WHERE c.id BETWEEN ? AND ? AND length(c.name_key) = 1 ORDER BY 1, 2",
            (max(longest, 1), first, last, first, last),
        )
        at, rule, reason, actor_id = event
        cursor.execute(
            "INSERT INTO ownership_events "
            "(customer_id, at, from_owner_id, to_owner_id, from_pool, to_pool, rule, reason, actor_id) "
            "SELECT id, ?, NULL, owner_id, ?, pool, ?, ?, ? FROM customers WHERE id BETWEEN ? AND ? "
            "ORDER BY id",
            (at, POOL_PENDING, rule, reason, actor_id, first, last),
        )
    finally:
        cursor.close()


class _Background:
    """One statement at a time run on a thread (the driver releases the GIL while SQLite works),
    so that the next batch is generated meanwhile; `wait()` before the connection is used again."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def run(self, fn: Callable[..., None], *args: Any) -> None:
        self.wait()

        def target() -> None:
            try:
                fn(*args)
            except BaseException as exc:  # re-raised by wait(), in the caller's thread
                self.error = exc

        self.thread = threading.Thread(target=target, name="bulk-derived", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _phone(value: Any) -> Any:
    """CUS-6: stored as E.164 when it is a number (E.164 passes straight through)."""
    if not value:
        return value
    return phones.phone_key(value) or value


def bulk_create(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    *,
    at: datetime,
    actor_id: int | None = None,
    rule: str = "CUS-18",
    reason: str = "批量导入",
    initials: bool = True,
    progress: Callable[[int], None] | None = None,
    expected: int | None = None,
) -> list[int]:
    """Create customers from field dicts (name, address, contact_name, phone, … plus optional pool
    and owner_id; `name_key` and `name_initials` when the caller already has them). Each lands in
    its pool with its ownership event (POOL-12); each batch writes one audit entry naming the id
    range it created (GOV-1). Phones are stored as E.164 (CUS-6).

    `expected`: how many records come, when the caller knows (or `records` has a length);
    otherwise the first `LARGE_LOAD` are read ahead to decide whether the indexes are rebuilt."""
    if expected is None and isinstance(records, Sized):
        expected = len(records)
    return bulk_create_columns(
        session,
        _column_batches(records),
        at=at,
        actor_id=actor_id,
        rule=rule,
        reason=reason,
        initials=initials,
        progress=progress,
        expected=expected,
    )


def _column_batches(records: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, list[Any]]]:
    """Field dicts as batches of `BATCH` given field by field (a field a record lacks is None)."""
    source = iter(records)
    while batch := list(islice(source, BATCH)):
        fields: set[str] = set().union(*batch)
        yield {field: [record.get(field) for record in batch] for field in fields}


def bulk_create_columns(
    session: Session,
    batches: Iterable[Mapping[str, Sequence[Any]]],
    *,
    at: datetime,
    actor_id: int | None = None,
    rule: str = "CUS-18",
    reason: str = "批量导入",
    initials: bool = True,
    progress: Callable[[int], None] | None = None,
    expected: int | None = None,
) -> list[int]:
    """`bulk_create` for records given as batches field by field: `{"name": [...], "phone":
    [...], …}`, every list of a batch as long as its `name` list, None where a record has no
    value. A producer in another process sends a batch of columns at a fraction of the cost of
    as many dicts, and the columns are written as they come. A batch longer than `BATCH` is
    written in parts.

    `expected`: how many records come, when the caller knows; otherwise batches are read ahead
    until `LARGE_LOAD` records are seen, to decide whether the indexes are rebuilt."""
    # Long by design: a set-based SQL builder for the 1M-row demo and import path. The per-load
    # state (converted template row, memos, positions) is bound once as locals and closed over by
    # `flush`, which runs per batch of 5,000 rows; splitting it into methods put attribute lookups
    # back into the per-value comprehensions (docs/benchmarks.md, demo generation).
    conn = session.connection()
    writer = _Writer(conn)
    customers = db.table_of(Customer)
    grams_table = db.table_of(CustomerNameGram)
    events_table = db.table_of(OwnershipEvent)
    columns = [c.name for c in customers.columns]
    procs = writer.processors(customers, columns)
    event_columns = list(EVENT_COLUMNS)
    event_procs = writer.processors(events_table, event_columns)
    next_id = (session.scalar(select(func.max(Customer.id))) or 0) + 1
    # Every column of a fresh row, with the defaults of `registration.new_customer_row`.
    base: dict[str, Any] = {c: None for c in columns}
    base.update(
        registration.new_customer_row({"name": ""}, code="", actor_id=actor_id, at=at, initials=False)
    )
    base["pool_entered_at"] = at
    ids: list[int] = []
    old_cache = None
    if not writer.pg:
        old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")

    # Work column by column on plain lists: a template row (the defaults, already converted for
    # the driver); a column the records set is read from every record at once and converted only
    # where the column needs it (JSON, dates, UTC datetimes, booleans), with a memo per column.
    pos = {c: i for i, c in enumerate(columns)}
    conv_of = dict(procs)
    memos: dict[int, dict[Any, Any]] = {i: {} for i, _ in procs}

    def convert(i: int, value: Any) -> Any:
        if value is None:
            return None
        proc = conv_of.get(i)
        if proc is None:
            return value
        memo = memos[i]
        try:
            return memo[value]
        except KeyError:
            memo[value] = out = proc(value)
            return out
        except TypeError:  # unhashable (a list of tags)
            return proc(value)

    template = [convert(i, base[c]) for i, c in enumerate(columns)]
    at_value = convert(pos["created_at"], at)
    protected_value = convert(pos["protected_since"], at)
    no_tags = convert(pos["tags"], [])
    i_id, i_code, i_key, i_initials = pos["id"], pos["code"], pos["name_key"], pos["name_initials"]
    i_phone, i_mobile, i_pool, i_owner = pos["phone"], pos["mobile"], pos["pool"], pos["owner_id"]
    i_protected, i_created, i_updated = pos["protected_since"], pos["created_at"], pos["updated_at"]
    i_warnings, i_tags = pos["confirmed_warnings"], pos["tags"]
    # the positions every row writes; the rest of a row is the template unless a record sets it
    always_set = {i_id, i_code, i_key, i_initials, i_phone, i_mobile, i_pool, i_owner}
    always_set |= {i_protected, i_created, i_updated, i_warnings, i_tags}
    key_of, initials_of, edge_of = names.name_key, names.pinyin_initials, dedupe.edge_grams
    sqlite_sql = not writer.pg  # grams and events derived in SQL from the rows (SQLite)
    background = _Background()
    # the events' at, rule, reason, actor_id as the driver takes them
    event_values = _convert([[None, at, None, None, None, None, rule, reason, actor_id]], event_procs)[0]
    event_fixed = (event_values[1], event_values[6], event_values[7], event_values[8])

    def flush(batch: Mapping[str, Sequence[Any]], n: int) -> None:
        # set-based SQL builder: one batch's columns → one multi-row INSERT per table (see above)
        nonlocal next_id
        background.wait()
        codes = checks.next_codes(session, n)
        batch_ids = list(range(next_id, next_id + n))

        def field(name: str) -> Iterable[Any]:
            column = batch.get(name)
            return repeat(None, n) if column is None else column

        # column by column: `values[i]` is the template's value, or a list (one per row) at the
        # `varying` positions
        values: list[Any] = list(template)
        varying: set[int] = set()

        def put(i: int, column: list[Any]) -> None:
            values[i] = column
            varying.add(i)

        for name, given in batch.items():
            i = pos.get(name)
            if i is None or i in always_set:
                continue
            default = template[i]
            if i in conv_of:
                column = [default if v is None else convert(i, v) for v in given]
            elif default is not None:
                column = [default if v is None else v for v in given]
            else:
                column = list(given)
            put(i, column)
        names_given = batch["name"]
        keys = [k or key_of(name) for k, name in zip(field("name_key"), names_given, strict=False)]
        put(i_key, keys)
        if initials:
            put(
                i_initials,
                [
                    (k or initials_of(name))[:100] or None
                    for k, name in zip(field("name_initials"), names_given, strict=False)
                ],
            )
        else:
            values[i_initials] = None
        put(i_id, batch_ids)
        put(i_code, codes)
        put(i_phone, [_phone(p) or "" for p in field("phone")])
        put(i_mobile, [_phone(p) for p in field("mobile")])
        pools: list[Any] | None = None
        owners: list[Any] | None = None
        if "pool" in batch:
            pools = [p or "public" for p in batch["pool"]]
            owners = [
                o if p == POOL_PRIVATE else None for o, p in zip(field("owner_id"), pools, strict=False)
            ]
            put(i_pool, pools)
            put(i_owner, owners)
            put(i_protected, [protected_value if p == POOL_PRIVATE else None for p in pools])
        else:
            values[i_pool], values[i_owner], values[i_protected] = "public", None, None
        if "created_at" in batch:
            created = [convert(i_created, c) if c else at_value for c in batch["created_at"]]
            put(i_created, created)
            put(i_updated, created)
        else:
            values[i_created] = values[i_updated] = at_value
        if "confirmed_warnings" in batch:
            put(i_warnings, [convert(i_warnings, w) for w in batch["confirmed_warnings"]])
        else:
            values[i_warnings] = None
        if "tags" in batch:
            put(i_tags, [convert(i_tags, t) if t else no_tags for t in batch["tags"]])
        else:
            values[i_tags] = no_tags
        writer.insert_columns(customers, columns, values, varying, n)
        edges = [
            (g, cid)
            for name, key, cid in zip(names_given, keys, batch_ids, strict=True)
            for g in edge_of(name, key)
        ]
        if sqlite_sql:
            edges.sort()
            writer.insert(grams_table, ("gram", "customer_id"), edges)
        else:
            grams: list[tuple[str, int]] = edges
            for key, cid in zip(keys, batch_ids, strict=True):
                if len(key) < 2:
                    if key:
                        grams.append((key, cid))
                else:
                    grams.extend((g, cid) for g in {key[i : i + 2] for i in range(len(key) - 1)})
            grams.sort()
            writer.insert(grams_table, ("gram", "customer_id"), grams)
            events = [
                [cid, at, None, owner, POOL_PENDING, pool, rule, reason, actor_id]
                for cid, owner, pool in zip(
                    batch_ids, owners or repeat(None, n), pools or repeat("public", n), strict=True
                )
            ]
            writer.insert(events_table, event_columns, _convert(events, event_procs))
        conn.execute(
            db.table_of(AuditEntry).insert(),
            [
                {
                    "at": at,
                    "actor_id": actor_id,
                    "action": "customer.bulk_create",
                    "object_type": "customer",
                    "object_id": f"{batch_ids[0]}-{batch_ids[-1]}",
                    "before": None,
                    "after": {"count": n, "first_code": codes[0], "last_code": codes[-1]},
                    "rule": rule,
                    "reason": reason,
                }
            ],
        )
        if sqlite_sql:
            longest = max(map(len, keys))
            background.run(_sqlite_derived, writer.raw, batch_ids[0], batch_ids[-1], longest, event_fixed)
        ids.extend(batch_ids)
        next_id += n
        if progress:
            progress(len(ids))

    rebuild: list[str] = []
    try:
        source = iter(batches)
        if sqlite_sql:
            # A large load into a (comparatively) small table: drop the secondary indexes and
            # build them once afterwards, inside this transaction (SQLite DDL is transactional).
            if expected is None:
                ahead: list[Mapping[str, Sequence[Any]]] = []
                expected = 0
                while expected < LARGE_LOAD and (more := next(source, None)) is not None:
                    ahead.append(more)
                    expected += len(more["name"])
                source = chain(ahead, source)
            if expected >= LARGE_LOAD and next_id - 1 <= expected:
                rebuild = _drop_indexes(conn, (customers.name, events_table.name))
        for batch in source:
            n = len(batch["name"])
            if any(len(column) != n for column in batch.values()):
                raise ValueError("bulk_create_columns: the columns of a batch differ in length")
            for first in range(0, n, BATCH):
                part = batch if n <= BATCH else {k: v[first : first + BATCH] for k, v in batch.items()}
                flush(part, min(BATCH, n - first))
        background.wait()
        for sql in rebuild:
            conn.exec_driver_sql(sql)
    finally:
        if background.thread is not None:  # failing: let the statement finish before rolling back
            background.thread.join()
        if old_cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(old_cache)}")
    if writer.pg:
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                "(SELECT COALESCE(MAX(id), 1) FROM customers))"
            )
        )

    dedupe.refresh_gram_stats(session)
    db.analyze(session, *FILLED_TABLES)
    return ids
