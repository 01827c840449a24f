"""Merging forced duplicates (CUS-10, MEM-2): the earliest record is kept, nothing is lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Index,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    and_,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers import names, rules
from poolcrm.customers.access import lock_customers
from poolcrm.customers.changes import apply_changes
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_MERGED,
    POOL_PRIVATE,
    POOL_PUBLIC,
    TOMBSTONE_POOLS,
    Contact,
    Customer,
    CustomerRequest,
    active_member,
)
from poolcrm.customers.output import record_values
from poolcrm.customers.requests import decide_request, tombstone
from poolcrm.customers.signals import customer_merged, customer_merging
from poolcrm.db import Base
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.ownership.moves import move_customer
from poolcrm.policy.service import company_today
from poolcrm.pools.rules import is_active_member

MERGE_FIELDS = (
    "address",
    "postal_code",
    "region",
    "industry",
    "source",
    "profile",
    "contact_name",
    "contact_position",
    "phone",
    "mobile",
    "email",
    "tier",
    "tags",
    "remark",
    "member_until",
)


# Tables that keep the merged-away customer's id on purpose: history is never rewritten (POOL-12,
# CUS-13), and the candidate index is rebuilt for the survivor.
MERGE_KEEPS_HISTORY = frozenset({"customers", "ownership_events", "customer_changes", "customer_requests"})


# CUS-10: the unique keys with a customer id among the tables a merge repoints — two records of one
# company can each hold a row of the same key, so a plain repoint would break the key. Each is
# settled by the domain that owns the table, listening to `customer_merging` (the module named
# here), before the rest moves; `tests/customers/test_cus10_merge_unique_keys.py` holds this list
# to the metadata, so a new such key cannot be forgotten.
MERGE_UNIQUE_KEYS: dict[str, str] = {
    # DEAL-8: deal number = customer code + OP + the customer's sequence — the moved deals take the
    # kept customer's next numbers (the old number stays in the audit)
    "uq_deals_customer_seq": "poolcrm.deals.listeners",
    # GOV-4: one flag per check and customer, a cache rebuilt whole by each daily run — the
    # merged-away record's flags go (it leaves the private pool), the kept record's stay
    "ix_quality_flags_check_customer": "poolcrm.quality.listeners",
}


def _references_customers(table: Table) -> list[str]:
    """The columns of `table` referencing customers.id."""
    return sorted(
        fk.parent.name
        for fk in table.foreign_keys
        if fk.column.table.name == "customers" and fk.column.name == "id"
    )


def customer_fk_columns() -> list[tuple[str, str]]:
    """Every (table, column) referencing customers.id — found in the metadata, so that the
    tables of later domains (deals, tickets …) move along in a merge too."""
    return [
        (table.name, column)
        for table in Base.metadata.sorted_tables
        if table.name not in MERGE_KEEPS_HISTORY
        for column in _references_customers(table)
    ]


def customer_unique_keys() -> dict[str, tuple[str, tuple[str, ...]]]:
    """CUS-10: every unique constraint or unique index (name → table, columns) that includes a
    column referencing customers.id, in the tables a merge repoints — found in the metadata."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        fk_columns = _references_customers(table)
        if table.name in MERGE_KEEPS_HISTORY or not fk_columns:
            continue
        keys: list[Index | PrimaryKeyConstraint | UniqueConstraint] = [table.primary_key]
        keys += [c for c in table.constraints if isinstance(c, UniqueConstraint)]  # `unique=True` too
        keys += [i for i in table.indexes if i.unique]
        for key in keys:
            columns = tuple(c.name for c in key.columns)
            if set(columns) & set(fk_columns):
                out[str(key.name or f"{table.name}({', '.join(columns)})")] = (table.name, columns)
    return out


def merge_customers(session: Session, user: User, customer_ids: Sequence[int], reason: str) -> Customer:
    """CUS-10: CS, the GM or admin merge records of one company (see `merge_records`)."""
    if not org_rules.sees_everyone(user.roles):
        raise Forbidden()
    return merge_records(session, user.id, customer_ids, reason)


def merge_records(
    session: Session,
    actor_id: int | None,
    customer_ids: Sequence[int],
    reason: str,
    keep_id: int | None = None,
) -> Customer:
    """CUS-10: keep the earliest-created record (or `keep_id`: MEM-2 keeps the member's); move
    everything that refers to the others over (contacts, follow-ups, applications, deals … any table
    with a customer FK), keep the more complete value of each field (CUS-14), tombstone the others
    (pool "merged") and record a violation for their creators (VIO-1) — or tell the creator's
    supervisor. `actor_id` None: the daily job."""
    ids = sorted(set(customer_ids))
    if len(ids) < 2:
        raise InvalidInput({"customer_ids": "至少需要两个客户"}, rule="CUS-10")
    rows = list(lock_customers(session, ids).values())
    if len(rows) != len(ids) or any(c.pool in TOMBSTONE_POOLS for c in rows):
        raise NotFound()
    if keep_id is None or keep_id not in ids:
        keep_id = rules.survivor([(c.id, c.created_at) for c in rows])
    keep = next(c for c in rows if c.id == keep_id)

    tables: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}
    for other in (c for c in rows if c.id != keep_id):
        values = rules.merged_values(record_values(keep), record_values(other), MERGE_FIELDS)
        apply_changes(
            session,
            keep,
            {k: (getattr(keep, k), v) for k, v in values.items()},
            actor_id=actor_id,
            reason=f"CUS-10 合并自 {other.code}",
            rule="CUS-10",
        )
        if other.contact_name and (other.contact_name, other.phone) != (keep.contact_name, keep.phone):
            session.add(
                Contact(
                    customer_id=keep.id,
                    name=other.contact_name,
                    position=other.contact_position,
                    phone=other.phone or None,
                    mobile=other.mobile,
                    email=other.email,
                    is_key_decision_maker=False,
                    active=True,
                    created_at=clock.now(),
                )
            )
        _cancel_pending(session, other, actor_id, reason)
        moved: dict[str, int] = {}
        # the owners of MERGE_UNIQUE_KEYS settle those rows first; all in this one transaction
        customer_merging.send(session, kept=keep, merged=other, actor_id=actor_id, reason=reason, moved=moved)
        for table_name, column in customer_fk_columns():
            table = tables[table_name]
            result = session.execute(
                update(table).where(table.c[column] == other.id).values({column: keep.id})
            )
            if result.rowcount:  # type: ignore[attr-defined]
                key = f"{table_name}.{column}"
                moved[key] = moved.get(key, 0) + int(result.rowcount)  # type: ignore[attr-defined]
        _take_protection(session, keep, other, actor_id)
        tombstone(session, other, pool=POOL_MERGED, actor_id=actor_id, rule="CUS-10", reason=reason)
        other.merged_into_id = keep.id
        record(
            session,
            actor_id=actor_id,
            action="customer.merge",
            object_type="customer",
            object_id=keep.id,
            before={"merged": other.id, "code": other.code},
            after={"kept": keep.id, "moved": moved},
            rule="CUS-10",
            reason=reason,
        )
        customer_merged.send(session, kept=keep, merged=other, actor_id=actor_id, reason=reason)
    refresh_grades(session, [keep_id])  # CUS-11: the moved deals are the kept record's grade facts now
    session.expire_all()
    return session.get(Customer, keep_id)  # type: ignore[return-value]


def _cancel_pending(session: Session, c: Customer, actor_id: int | None, reason: str) -> None:
    for r in session.scalars(
        select(CustomerRequest).where(
            CustomerRequest.customer_id == c.id, CustomerRequest.status == "pending"
        )
    ):
        decide_request(r, actor_id, "cancelled", f"CUS-10 {reason}")


def _take_protection(session: Session, keep: Customer, other: Customer, actor_id: int | None) -> None:
    """A merged-away record protected by a rep hands its protection to the kept record when the
    kept one is unprotected, or protected later (DSP-2: the earlier protection start wins;
    MEM-2: a member's record stays with its owner)."""
    if other.pool != POOL_PRIVATE or other.owner_id is None:
        return
    keep_member = is_active_member(keep.member_until, company_today(session))
    if keep.pool == POOL_PRIVATE and (
        keep_member
        or (keep.protected_since and other.protected_since and keep.protected_since <= other.protected_since)
    ):
        return
    move_customer(
        session,
        keep,
        to_pool=POOL_PRIVATE,
        to_owner_id=other.owner_id,
        rule="CUS-10",
        reason=f"合并：保留 {other.code} 的保护",
        actor_id=actor_id,
    )
    keep.protected_since = other.protected_since or keep.protected_since


def member_duplicates(session: Session, since: datetime, until: datetime) -> list[tuple[int, int]]:
    """MEM-2: (member's record, duplicate) for each customer that entered the public pool or the
    allocation bin in [since, until) and is, by CUS-7's exact keys (normal form of the name, or a
    phone), the same company as an active member customer in a private pool.

    Set-based: the active members (a few hundred) are read once, and the day's entries that share
    a key with one of them in one query — not a query per entry (an import of a million leads into
    the public pool made the night's step a million queries: more than ten minutes at 1,000,000)."""
    today = company_today(session)
    active = and_(Customer.pool == POOL_PRIVATE, active_member(today))
    members = session.execute(
        select(Customer.id, Customer.name, Customer.name_key, Customer.phone, Customer.mobile)
        .where(active)
        .order_by(Customer.id)
    ).all()
    by_key: dict[str, list[Any]] = {}
    by_phone: dict[str, list[Any]] = {}
    for m in members:  # active by `active_member`, CUS-16's rule as SQL
        if m.name_key:
            by_key.setdefault(m.name_key, []).append(m)
        for p in {m.phone, m.mobile} - {None, ""}:
            by_phone.setdefault(p, []).append(m)
    if not by_key and not by_phone:
        return []
    member_keys = select(Customer.name_key).where(active, Customer.name_key != "")
    member_phones: CompoundSelect[str] = union(  # the NULLs left out: only numbers
        select(Customer.phone).where(active, Customer.phone.is_not(None)),
        select(Customer.mobile).where(active, Customer.mobile.is_not(None)),
    )
    moved = session.execute(
        select(Customer.id, Customer.name, Customer.name_key, Customer.phone, Customer.mobile).where(
            Customer.pool.in_((POOL_PUBLIC, POOL_BIN)),
            Customer.pool_entered_at >= since,
            Customer.pool_entered_at < until,
            or_(
                Customer.name_key.in_(member_keys),
                Customer.phone.in_(member_phones),
                Customer.mobile.in_(member_phones),
            ),
        )
    ).all()
    pairs: list[tuple[int, int]] = []
    for cid, name, name_key, phone, mobile in moved:
        phones = [p for p in (phone, mobile) if p]
        candidates = {m.id: m for m in by_key.get(name_key, []) if name_key}
        for p in phones:
            candidates.update((m.id, m) for m in by_phone.get(p, []))
        member = next(
            (
                mid
                for mid, m in sorted(candidates.items())
                if mid != cid
                and (names.same_place(name, m.name) or any(p in phones for p in (m.phone, m.mobile) if p))
            ),
            None,
        )  # CUS-7 (revised): the same name in another city is another company
        if member is not None:
            pairs.append((member, cid))
    return pairs


def merge_member_duplicates(session: Session, since: datetime, until: datetime) -> list[int]:
    """MEM-2 (000 §6.4): each such duplicate is invalid — merged into the member's record, which
    stays with its owner (the daily job; audited as CUS-10 merges by no one)."""
    merged: list[int] = []
    for member_id, duplicate_id in member_duplicates(session, since, until):
        live = lock_customers(session, [member_id, duplicate_id])
        if len(live) == 2 and all(c.pool not in TOMBSTONE_POOLS for c in live.values()):
            merge_records(
                session, None, [member_id, duplicate_id], "MEM-2 会员客户的重复记录", keep_id=member_id
            )
            merged.append(duplicate_id)
    return merged
