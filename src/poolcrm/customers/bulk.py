"""Fast bulk creation of customers (demo data, benchmarks): the customers, their duplicate-index
grams and their POOL-12 events written straight through the driver, in batches — no ORM objects,
no per-row SQLAlchemy statement processing.

- rows are prepared as tuples in table-column order, with the name's normal form, grams and
  pinyin initials computed once per row (or taken from the record when the generator knows them);
- SQLite: `executemany` on the driver's cursor inside the session's transaction, grams sorted by
  gram so the postings index is filled in order, and a large page cache while loading;
- PostgreSQL: `COPY … FROM STDIN` through psycopg's `cursor.copy()`.
Each batch writes one audit entry naming the id range it created (GOV-1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from poolcrm.audit.models import AuditEntry
from poolcrm.customers import names, service
from poolcrm.customers.models import POOL_PENDING, POOL_PRIVATE, Customer, CustomerNameGram
from poolcrm.pools.models import OwnershipEvent

BATCH = 20_000
SQLITE_BULK_CACHE_KIB = 262_144  # page cache while loading (256 MiB), restored afterwards
# Fields of a record copied to the customer row as given (when present).
_OPTIONAL = ("status", "grade", "last_valid_followup_at", "member_until")


class _Writer:
    """Inserts tuples into a table through the DBAPI connection of the session's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.driver_connection

    def processors(self, table: Table, columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
        """(position, bind processor) of the columns whose values need converting."""
        out = []
        for i, name in enumerate(columns):
            proc = table.c[name].type._cached_bind_processor(self.dialect)
            if proc is not None:
                out.append((i, proc))
        return out

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        try:
            if self.pg:
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({marks})', rows
                )
        finally:
            cursor.close()


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


def _phone(value: Any) -> Any:
    """CUS-6: stored as E.164 when it is a number (E.164 passes straight through)."""
    if not value:
        return value
    return names.phone_key(value) or value


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
) -> list[int]:
    """Create customers from field dicts (name, address, contact_name, phone, … plus optional pool
    and owner_id; `name_key` and `name_initials` when the caller already has them). Each lands in
    its pool with its ownership event (POOL-12); each batch writes one audit entry naming the id
    range it created (GOV-1). Phones are stored as E.164 (CUS-6)."""
    conn = session.connection()
    writer = _Writer(conn)
    customers = Customer.__table__
    grams_table = CustomerNameGram.__table__
    events_table = OwnershipEvent.__table__
    columns = [c.name for c in customers.columns]
    as_tuple = itemgetter(*columns)
    procs = writer.processors(customers, columns)
    event_columns = [
        "customer_id",
        "at",
        "from_owner_id",
        "to_owner_id",
        "from_pool",
        "to_pool",
        "rule",
        "reason",
        "actor_id",
    ]
    event_procs = writer.processors(events_table, event_columns)
    next_id = (session.scalar(select(func.max(Customer.id))) or 0) + 1
    # Every column of a fresh row, with the defaults of `service.new_customer_row`.
    base = {c: None for c in columns}
    base.update(service.new_customer_row({"name": ""}, code="", actor_id=actor_id, at=at, initials=False))
    base["pool_entered_at"] = at
    ids: list[int] = []
    batch: list[Mapping[str, Any]] = []
    old_cache = None
    if not writer.pg:
        old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")

    def flush() -> None:
        nonlocal next_id
        if not batch:
            return
        codes = service.next_codes(session, len(batch))
        rows: list[list[Any]] = []
        grams: list[tuple[str, int]] = []
        events: list[list[Any]] = []
        for values, code in zip(batch, codes, strict=True):
            name = values["name"]
            key = values.get("name_key") or names.name_key(name)
            row = dict(base)
            for field, value in values.items():
                if field in row and value is not None:
                    row[field] = value
            pool = values.get("pool", "public")
            owner = values.get("owner_id") if pool == POOL_PRIVATE else None
            created = values.get("created_at") or at
            if initials:
                short = values.get("name_initials") or names.pinyin_initials(name)
                row["name_initials"] = short[:100] or None
            else:
                row["name_initials"] = None
            row.update(
                id=next_id,
                code=code,
                name_key=key,
                phone=_phone(values.get("phone")) or "",
                mobile=_phone(values.get("mobile")),
                pool=pool,
                owner_id=owner,
                protected_since=at if pool == POOL_PRIVATE else None,
                created_at=created,
                updated_at=created,
                confirmed_warnings=values.get("confirmed_warnings"),
                tags=values.get("tags") or [],
            )
            for field in _OPTIONAL:
                if values.get(field) is None:
                    row[field] = base[field]
            rows.append(list(as_tuple(row)))
            if len(key) < 2:
                if key:
                    grams.append((key, next_id))
            else:
                grams.extend((g, next_id) for g in {key[i : i + 2] for i in range(len(key) - 1)})
            events.append([next_id, at, None, owner, POOL_PENDING, pool, rule, reason, actor_id])
            ids.append(next_id)
            next_id += 1
        first, last = rows[0], rows[-1]
        id_at, code_at = columns.index("id"), columns.index("code")
        writer.insert(customers, columns, _convert(rows, procs))
        grams.sort()
        writer.insert(grams_table, ("gram", "customer_id"), grams)
        writer.insert(events_table, event_columns, _convert(events, event_procs))
        conn.execute(
            AuditEntry.__table__.insert(),
            [
                {
                    "at": at,
                    "actor_id": actor_id,
                    "action": "customer.bulk_create",
                    "object_type": "customer",
                    "object_id": f"{first[id_at]}-{last[id_at]}",
                    "before": None,
                    "after": {"count": len(rows), "first_code": first[code_at], "last_code": last[code_at]},
                    "rule": rule,
                    "reason": reason,
                }
            ],
        )
        batch.clear()
        if progress:
            progress(len(ids))

    try:
        for values in records:
            batch.append(values)
            if len(batch) >= BATCH:
                flush()
        flush()
    finally:
        if old_cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(old_cache)}")
    if writer.pg:
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                "(SELECT COALESCE(MAX(id), 1) FROM customers))"
            )
        )
    from poolcrm.customers import dedupe

    dedupe.refresh_gram_stats(session)
    return ids
