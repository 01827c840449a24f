"""CUS-7 duplicate check against the database, fast at a million customers on both engines.

Three indexed look-ups, then scoring in Python:
1. the exact normalised key (`customers.name_key`, B-tree) — an exact hit blocks creation;
2. the same phone (`customers.phone` / `customers.mobile`, B-tree, E.164);
3. fuzzy candidates from the bigram postings table `customer_name_grams(gram, customer_id)`: the
   rarest grams of the query (document frequencies in `customer_gram_stats`) are read, each
   posting list capped, and the customers sharing the most grams are the candidates.
The few candidates are scored by `names.compare_names` (rapidfuzz). Tombstones never match."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CompoundSelect, delete, func, insert, select, text, union
from sqlalchemy.orm import Session

from poolcrm.customers import names
from poolcrm.customers import phones as customers_phones
from poolcrm.customers.models import TOMBSTONE_POOLS, Customer, CustomerGramStat, CustomerNameGram
from poolcrm.i18n import translate

CANDIDATES = 10  # customers scored per query at most
POSTINGS_CAP = 4000  # rows read per gram at most
POSTINGS_BUDGET = 12000  # rows read per query, summed over the grams chosen
MAX_MATCHES = 10
# Once two grams are picked, a gram this many times commoner than the rarest is not read.
STOP_RATIO = 10
STOP_MIN = 200


@dataclass(frozen=True)
class Found:
    customer: Customer
    score: int
    exact: bool
    reasons: tuple[str, ...]


def grams_of(name: str) -> list[str]:
    return grams_of_key(names.name_key(name))


def grams_of_key(key: str) -> list[str]:
    """The distinct grams of a stored normal form, sorted."""
    return sorted(set(names.key_grams(key or "")))


EDGE_MARK = "#"
"""LIST-1: the mark of an edge posting (a bigram of the name outside its normal form). Punctuation
never survives normalisation, so no normal form's gram starts with it: the duplicate check never
reads an edge posting."""


LEAD_MARK = "^"
"""LIST-1: the mark of a lead posting — an edge bigram that opens the name and holds nowhere else in
it (北京 in 北京华瑞科技有限公司). Kept apart from the other edge postings so that a list sorted by
name finds a term's holders as two cheap parts: the names *beginning* with it (a range of the name
index, in the list's order) and the postings of those holding it anywhere else."""


def edge_grams(name: str, key: str | None = None) -> list[str]:
    """LIST-1: the bigrams of the whole normalised name that its normal form (`key`) does not hold —
    the places, the legal forms and the bigrams across their borders — marked with `EDGE_MARK`, or
    with `LEAD_MARK` when the bigram is the name's first two characters as written and holds nowhere
    else in it. With the normal form's own grams they hold every bigram of the name, so a search
    term whose core is too short for the normal form's postings (化工, 北京, 有限) still reads
    postings."""
    text = names.normalize_text(name)
    inner = set(names.key_grams(names.name_key(name) if key is None else key))
    lead = text[:2] if name.startswith(text[:2]) and text.find(text[:2], 1) < 0 else None
    return sorted(
        (LEAD_MARK if g == lead else EDGE_MARK) + g for g in set(names.key_grams(text)) - inner if len(g) == 2
    )


def posting_grams(name: str, key: str | None = None) -> list[str]:
    """Every posting a live record keeps, sorted: its normal form's grams (CUS-7) and its edge
    grams (LIST-1)."""
    key = names.name_key(name) if key is None else key
    return sorted(grams_of_key(key) + edge_grams(name, key))


def _insert_postings(session: Session, customer_id: int, grams: Iterable[str]) -> None:
    rows = [{"gram": g, "customer_id": customer_id} for g in grams]
    if rows:
        session.execute(insert(CustomerNameGram), rows)


def index_customer(session: Session, customer_id: int, name: str) -> None:
    _insert_postings(session, customer_id, posting_grams(name))


def unindex_customer(session: Session, customer_id: int, name: str, name_key: str) -> None:
    """Remove a customer's postings, found through the primary key by the grams of its stored name
    and normal form (the table has no index on the customer alone: a delete by customer read all
    of it)."""
    grams = posting_grams(name, name_key)
    if grams:
        session.execute(
            delete(CustomerNameGram).where(
                CustomerNameGram.gram.in_(grams), CustomerNameGram.customer_id == customer_id
            )
        )


def reindex_customer(session: Session, customer_id: int, old_name: str, new_name: str) -> None:
    old, new = set(posting_grams(old_name)), set(posting_grams(new_name))
    if old - new:
        session.execute(
            delete(CustomerNameGram).where(
                CustomerNameGram.customer_id == customer_id, CustomerNameGram.gram.in_(sorted(old - new))
            )
        )
    _insert_postings(session, customer_id, sorted(new - old))


def refresh_gram_stats(session: Session) -> int:
    """Recount every gram's document frequency (bulk loads and the daily job call this)."""
    session.execute(delete(CustomerGramStat))
    session.execute(
        insert(CustomerGramStat).from_select(
            ["gram", "df"],
            select(CustomerNameGram.gram, func.count()).group_by(CustomerNameGram.gram),
        )
    )
    return session.scalar(select(func.count()).select_from(CustomerGramStat)) or 0


def gram_df(session: Session, grams: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(grams))
    out: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        out.update(
            session.execute(
                select(CustomerGramStat.gram, CustomerGramStat.df).where(CustomerGramStat.gram.in_(chunk))
            ).all()
        )
    return out


def pick_grams(grams: Sequence[str], df: Mapping[str, int]) -> list[str]:
    """The rarest grams first, until the posting budget is spent. Common grams (科技, 有限 …:
    more than `POSTINGS_CAP` customers, or `STOP_RATIO` times the rarest gram's count) are read
    only when fewer than two rarer ones exist: they cost time and hardly tell companies apart."""
    ordered = sorted(grams, key=lambda g: (df.get(g, 0), g))
    picked: list[str] = []
    spent = 0
    stop = POSTINGS_CAP
    for gram in ordered:
        freq = df.get(gram, 0)
        if len(picked) >= 2 and freq > stop:
            break
        if freq:
            stop = min(stop, max(STOP_MIN, STOP_RATIO * freq))
        cost = min(freq, POSTINGS_CAP)
        if len(picked) >= 2 and spent + cost > POSTINGS_BUDGET:
            break
        picked.append(gram)
        spent += cost
    return picked


_PG_CANDIDATES = text(
    "SELECT p.customer_id, COUNT(*) AS hits FROM unnest(CAST(:grams AS varchar[])) AS q(gram) "
    "CROSS JOIN LATERAL (SELECT customer_id FROM customer_name_grams g WHERE g.gram = q.gram LIMIT :cap) p "
    "GROUP BY p.customer_id ORDER BY hits DESC, p.customer_id LIMIT :k"
)


def candidate_ids(session: Session, picked: Sequence[str], limit: int = CANDIDATES) -> list[int]:
    """The customers sharing the most of the picked grams (each posting list capped)."""
    if not picked:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # One statement shape whatever the number of grams: psycopg prepares it once per connection.
        rows = session.execute(_PG_CANDIDATES, {"grams": list(picked), "cap": POSTINGS_CAP, "k": limit}).all()
        if not rows:
            return []
        floor = max(1, (rows[0][1] + 1) // 2)
        return [row[0] for row in rows if row[1] >= floor]
    parts = [
        f"SELECT customer_id FROM (SELECT customer_id FROM customer_name_grams "
        f"WHERE gram = :g{i} LIMIT :cap) s{i}"
        for i in range(len(picked))
    ]
    sql = (
        f"SELECT customer_id, COUNT(*) AS hits FROM ({' UNION ALL '.join(parts)}) u "
        "GROUP BY customer_id ORDER BY hits DESC, customer_id LIMIT :k"
    )
    params: dict[str, object] = {f"g{i}": g for i, g in enumerate(picked)}
    params.update(cap=POSTINGS_CAP, k=limit)
    rows = session.execute(text(sql), params).all()
    if not rows:
        return []
    # Score only the customers sharing at least half as many grams as the best candidate.
    floor = max(1, (rows[0][1] + 1) // 2)
    return [row[0] for row in rows if row[1] >= floor]


_PG_POSTINGS = text(
    "SELECT q.gram, ARRAY(SELECT customer_id FROM customer_name_grams g WHERE g.gram = q.gram LIMIT :cap) "
    "FROM unnest(CAST(:grams AS varchar[])) AS q(gram)"
)
_SQLITE_POSTINGS_CHUNK = 200  # grams per statement (SQLite allows 500 terms in a compound SELECT)


def postings(session: Session, grams: Iterable[str]) -> dict[str, list[int]]:
    """Each gram's posting list, capped at `POSTINGS_CAP` rows exactly as `candidate_ids` reads
    it (the same sub-query per gram), for many grams in one statement (a few on SQLite), one
    row per gram (the ids aggregated in SQL: no Python work per posting)."""
    wanted = sorted(set(grams))
    if not wanted:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_PG_POSTINGS, {"grams": wanted, "cap": POSTINGS_CAP})
        return {gram: list(ids) for gram, ids in rows}
    out: dict[str, list[int]] = {}
    raw = session.connection().connection.driver_connection
    assert raw is not None  # None only once the connection is closed or invalidated
    cursor = raw.cursor()
    try:
        for i in range(0, len(wanted), _SQLITE_POSTINGS_CHUNK):
            chunk = wanted[i : i + _SQLITE_POSTINGS_CHUNK]
            sql = " UNION ALL ".join(
                f"SELECT {j}, (SELECT group_concat(customer_id) FROM (SELECT customer_id "
                f"FROM customer_name_grams WHERE gram = ? LIMIT {POSTINGS_CAP}))"
                for j in range(len(chunk))
            )
            for j, ids in cursor.execute(sql, chunk):
                out[chunk[j]] = list(map(int, ids.split(","))) if ids else []
    finally:
        cursor.close()
    return out


def rank_candidates(
    picked: Sequence[str], lists: Mapping[str, Sequence[int]], limit: int = CANDIDATES
) -> list[int]:
    """`candidate_ids` on posting lists already read: the customers sharing the most of the
    picked grams (ties by id), keeping those with at least half the best count. (The ones at
    or above that floor are a prefix of the ranking, so filtering first gives the same list.)"""
    counts: Counter[int] = Counter()
    for gram in picked:
        counts.update(lists.get(gram, ()))
    if not counts:
        return []
    floor = max(1, (max(counts.values()) + 1) // 2)
    best = heapq.nsmallest(limit, [(-hits, cid) for cid, hits in counts.items() if hits >= floor])
    return [cid for _, cid in best]


def phone_keys(*phones: str | None) -> list[str]:
    keys = []
    for phone in phones:
        if phone:
            key = customers_phones.phone_key(phone)
            if key and key not in keys:
                keys.append(key)
    return keys


@dataclass
class Query:
    name: str
    phones: list[str] = field(default_factory=list)
    exclude_ids: frozenset[int] = frozenset()


def find_duplicates(
    session: Session,
    name: str,
    phones: Iterable[str | None] = (),
    *,
    exclude_ids: Iterable[int] = (),
    min_score: int = 75,
    limit: int = MAX_MATCHES,
) -> list[Found]:
    """CUS-7: the live customers that look like the same company, best first."""
    query = Query((name or "").strip(), phone_keys(*phones), frozenset(exclude_ids))
    return find_duplicates_many(session, [query], min_score=min_score, limit=limit)[0]


def find_duplicates_many(
    session: Session, queries: Sequence[Query], *, min_score: int = 75, limit: int = MAX_MATCHES
) -> list[list[Found]]:
    """CUS-7 for many names at once (the import checks a batch of rows with a handful of queries)."""
    keys = [names.name_key(q.name) if q.name else "" for q in queries]
    grams = [grams_of(q.name) if q.name else [] for q in queries]
    ids_per_query: list[set[int]] = [set() for _ in queries]
    wanted_keys = sorted({k for k in keys if k})
    by_key: dict[str, set[int]] = {}
    for i in range(0, len(wanted_keys), 500):
        for cid, key in session.execute(
            select(Customer.id, Customer.name_key).where(Customer.name_key.in_(wanted_keys[i : i + 500]))
        ):
            by_key.setdefault(key, set()).add(cid)
    wanted_phones = sorted({p for q in queries for p in q.phones})
    by_phone: dict[str, set[int]] = {}
    for i in range(0, len(wanted_phones), 500):
        chunk = wanted_phones[i : i + 500]
        # The mobile column is nullable, but a row matched by `in_(chunk)` holds one of the phones.
        stmt: CompoundSelect[int, str] = union(
            select(Customer.id, Customer.phone).where(Customer.phone.in_(chunk)),
            select(Customer.id, Customer.mobile).where(Customer.mobile.in_(chunk)),
        )
        for cid, phone in session.execute(stmt):
            by_phone.setdefault(phone, set()).add(cid)
    df = gram_df(session, (g for gs in grams for g in gs))
    picked = [pick_grams(gs, df) for gs in grams]
    # Many queries: every posting list the batch needs read once, in one or a few statements.
    lists = postings(session, (g for p in picked for g in p)) if len(queries) > 1 else None
    for idx, q in enumerate(queries):
        ids = ids_per_query[idx]
        ids.update(by_key.get(keys[idx], ()))
        for phone in q.phones:
            ids.update(by_phone.get(phone, ()))
        if lists is None:
            ids.update(candidate_ids(session, picked[idx]))
        else:
            ids.update(rank_candidates(picked[idx], lists))
        ids -= q.exclude_ids
    # Score on plain rows (id, name, key, phones); only the hits become Customer objects.
    all_ids = sorted(set().union(*ids_per_query))
    light: dict[int, Any] = {}
    for i in range(0, len(all_ids), 500):
        light.update(
            (row.id, row)
            for row in session.execute(
                select(Customer.id, Customer.name, Customer.name_key, Customer.phone, Customer.mobile).where(
                    Customer.id.in_(all_ids[i : i + 500]), Customer.pool.not_in(TOMBSTONE_POOLS)
                )
            )
        )
    hits: list[list[Found]] = []
    for idx, q in enumerate(queries):
        found: list[Found] = []
        for cid in ids_per_query[idx]:
            row = light.get(cid)
            if row is None:
                continue
            hit = score(q, keys[idx], row, min_score)
            if hit is not None:
                found.append(hit)
        found.sort(key=lambda f: (not f.exact, -f.score, f.customer.id))
        hits.append(found[:limit])
    wanted = sorted({f.customer.id for found in hits for f in found})
    customers: dict[int, Customer] = {}
    for i in range(0, len(wanted), 500):
        customers.update(
            (c.id, c) for c in session.scalars(select(Customer).where(Customer.id.in_(wanted[i : i + 500])))
        )
    return [
        [
            Found(customers[f.customer.id], f.score, f.exact, f.reasons)
            for f in found
            if f.customer.id in customers
        ]
        for found in hits
    ]


def score(q: Query, key: str, customer: Any, min_score: int) -> Found | None:
    """Score one candidate (a Customer or a row with id, name, name_key, phone, mobile)."""
    candidate_phones = tuple(p for p in (customer.phone, customer.mobile) if p)
    match = (
        names.compare_names(
            q.name,
            customer.name,
            query_phone=q.phones[0] if q.phones else None,
            candidate_phones=candidate_phones,
        )
        if q.name
        else None
    )
    phone_hit = bool(q.phones) and any(p in q.phones for p in candidate_phones)
    # CUS-7 (revised): exact is the same legal entity — equal normal forms in the same place.
    exact = match is not None and match.exact
    if match is None and not phone_hit:
        return None
    value = int(round(match.score)) if match is not None else 0
    reasons = tuple(match.reasons) if match is not None else ()
    if phone_hit and not any("phone" in r for r in reasons):
        reasons = (*reasons, "same_phone")
    if exact:
        value = 100
    elif not phone_hit and value < min_score:
        return None
    return Found(customer, value, exact, reasons)


def reason_text(reason: str, lang: str) -> str:
    """A human reason in the reader's language ("去掉'有限公司'后相同", "繁体写法", "电话相同")."""
    text_value = names.REASON_TEXT.get(reason, reason) if hasattr(names, "REASON_TEXT") else reason
    if isinstance(text_value, tuple | list):
        return str(text_value[1] if lang == "en" and len(text_value) > 1 else text_value[0])
    if isinstance(text_value, dict):
        return str(text_value.get(lang) or text_value.get("zh") or reason)
    return translate(str(text_value), lang)
