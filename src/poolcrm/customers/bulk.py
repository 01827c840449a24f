"""Fast bulk creation of customers (demo data, benchmarks): plain executemany INSERTs of the
customers, their duplicate-index grams and their POOL-12 events, in batches — no ORM objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from poolcrm.audit.models import AuditEntry
from poolcrm.customers import dedupe, service
from poolcrm.customers.models import POOL_PENDING, POOL_PRIVATE, Customer, CustomerNameGram
from poolcrm.pools.models import OwnershipEvent

BATCH = 10_000


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
    and owner_id). Each lands in its pool with its ownership event (POOL-12); each batch writes one
    audit entry naming the id range it created (GOV-1)."""
    next_id = (session.scalar(select(func.max(Customer.id))) or 0) + 1
    ids: list[int] = []
    batch: list[Mapping[str, Any]] = []

    def flush() -> None:
        nonlocal next_id
        if not batch:
            return
        codes = service.next_codes(session, len(batch))
        rows, grams, events = [], [], []
        for values, code in zip(batch, codes, strict=True):
            row = service.new_customer_row(
                values, code=code, actor_id=actor_id, at=values.get("created_at") or at, initials=initials
            )
            pool = values.get("pool", "public")
            owner = values.get("owner_id") if pool == POOL_PRIVATE else None
            row.update(
                id=next_id,
                pool=pool,
                owner_id=owner,
                pool_entered_at=at,
                protected_since=at if pool == POOL_PRIVATE else None,
            )
            for key in ("status", "grade", "last_valid_followup_at", "member_until"):
                if values.get(key) is not None:
                    row[key] = values[key]
            rows.append(row)
            grams.extend({"gram": g, "customer_id": next_id} for g in dedupe.grams_of(row["name"]))
            events.append(
                {
                    "customer_id": next_id,
                    "at": at,
                    "from_owner_id": None,
                    "to_owner_id": owner,
                    "from_pool": POOL_PENDING,
                    "to_pool": pool,
                    "rule": rule,
                    "reason": reason,
                    "actor_id": actor_id,
                }
            )
            ids.append(next_id)
            next_id += 1
        conn = session.connection()
        conn.execute(Customer.__table__.insert(), rows)
        conn.execute(CustomerNameGram.__table__.insert(), grams)
        conn.execute(OwnershipEvent.__table__.insert(), events)
        conn.execute(
            AuditEntry.__table__.insert(),
            [
                {
                    "at": at,
                    "actor_id": actor_id,
                    "action": "customer.bulk_create",
                    "object_type": "customer",
                    "object_id": f"{rows[0]['id']}-{rows[-1]['id']}",
                    "before": None,
                    "after": {
                        "count": len(rows),
                        "first_code": rows[0]["code"],
                        "last_code": rows[-1]["code"],
                    },
                    "rule": rule,
                    "reason": reason,
                }
            ],
        )
        batch.clear()
        if progress:
            progress(len(ids))

    for values in records:
        batch.append(values)
        if len(batch) >= BATCH:
            flush()
    flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                "(SELECT COALESCE(MAX(id), 1) FROM customers))"
            )
        )
    dedupe.refresh_gram_stats(session)
    return ids
