"""The list's search box (issue 22): what a term matches, read through the index the duplicate
check keeps (CUS-7 bigram postings) so that a search costs what its result costs.

A term matches a customer whose name contains it, whose normal form contains the term's
(`友好創達` finds `北京市友好创达科技有限公司`), whose code or contact is the term, whose pinyin
initials start with it, or, for a term of four digits or more, whose phone holds them.

The postings hold the bigrams of each live record's normal form: its name without the leading
places and the trailing legal forms. A name holding the term holds, inside its normal form, the
term's *core* — the term without the longest head that could end a place and the longest tail
that could begin a legal form (`京友好创达有限` → `友好创达`). So the customers holding the
core's rarest bigram, checked against the whole term, are every match. Beside them each record
keeps *edge postings* (`dedupe.edge_grams`): the bigrams of its whole name that its normal form
lacks — places, legal forms and the bigrams across their borders. A term whose core is shorter
than two characters (北京, 有限, 化工 — 工 may begin 工作室, 化 may end 怀化) reads a bigram's
normal-form and edge postings, which together hold every customer whose name holds that bigram.

A list in id order (the default) walks those postings in its own order up to the page's last row,
so a common term costs a page and a rare one its few postings. In another order every match must
be read to sort them, and the cheaper way is chosen per query:
- the postings: as many rows as that bigram has customers;
- a scan of the list in its order, stopping once the page and the capped count are found: about
  `count cap × customers / matches` rows — cheap for a common term, dear for a rare one;
a posting row costing about `POSTING_ROW_COST` scanned ones.
Tombstones are not in the postings, a short scope (my pool) is cheaper to scan, and a term of one
character (or four digits, a phone) has no bigram to read: those scan."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, any_, bindparam, func, or_, select, true, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from poolcrm import db
from poolcrm.customers import dedupe, names, phones
from poolcrm.customers.models import Customer, CustomerNameGram
from poolcrm.customers.regions import REGION_PREFIXES

# Scopes whose records are all in the postings and too many to scan cheaply.
INDEXED_SCOPES = frozenset({"all", "public", "bin", "private", "pending"})

_PLACES = frozenset((*REGION_PREFIXES, *names.DEV_ZONES))
_PLACE_ENDS = frozenset(w[i:] for w in _PLACES for i in range(len(w)))
_FORMS = frozenset((*names.LEGAL_SUFFIXES_DEFAULT, *names.BRANCH_WORDS))
_FORM_STARTS = frozenset(w[:i] for w in _FORMS for i in range(1, len(w) + 1))
_LONGEST = max(len(w) for w in (*_PLACES, *_FORMS))


@lru_cache(maxsize=4096)
def core(text: str) -> str:
    """The part of a normalised term any name holding the term holds inside its normal form: the
    term without its longest head made of the end of a place and whole places, and its longest
    tail made of whole legal forms and the start of one."""
    n = len(text)
    head = [False] * (n + 1)  # head[j]: text[:j] can end the places before a normal form
    for j in range(1, n + 1):
        head[j] = text[:j] in _PLACE_ENDS or any(
            head[k] and text[k:j] in _PLACES for k in range(max(1, j - _LONGEST), j)
        )
    tail = [False] * (n + 1)  # tail[j]: text[j:] can begin the legal forms after it
    for j in range(n - 1, -1, -1):
        tail[j] = text[j:] in _FORM_STARTS or any(
            tail[k] and text[j:k] in _FORMS for k in range(j + 1, min(n, j + _LONGEST) + 1)
        )
    start = max((j for j in range(n + 1) if head[j]), default=0)
    end = min((j for j in range(n + 1) if tail[j]), default=n)
    return text[start:end] if start < end else ""


def _starting_with(column: Any, prefix: str, name: str) -> ColumnElement[bool]:
    """`column` starting with `prefix` as a range an index serves (LIKE 'x%' is not, on SQLite) —
    exact where text sorts by code point (`db.sorts_by_code_point`). Its values are the parameters
    `name`_from and `name`_to (or `name`_like)."""
    if ord(prefix[-1]) == sys.maxunicode:  # no successor: the plain test (not an index range)
        return column.like(bindparam(f"{name}_like", _escaped(prefix) + "%"), escape=ESCAPE)  # type: ignore[no-any-return]
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (column >= bindparam(f"{name}_from", prefix)) & (column < bindparam(f"{name}_to", upper))  # type: ignore[no-any-return]


ESCAPE = "/"


def _escaped(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '/' (its wildcards and the escape itself)."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def containing(column: Any, text: str, name: str) -> ColumnElement[bool]:
    """`column` holding `text` anywhere, its pattern the parameter `name`."""
    return column.like(bindparam(name, f"%{_escaped(text)}%"), escape=ESCAPE)  # type: ignore[no-any-return]


# A row read from the postings (joined to its customer, checked, collected and sorted) costs about
# as much as this many rows scanned in the list's order (measured on both engines, 100,000 customers).
POSTING_ROW_COST = 10


@dataclass(frozen=True)
class Postings:
    """The postings holding every customer a term may match (`grams`; `counted`: how many
    customers they hold by the last count, None if not counted yet), and for a list sorted
    otherwise than by id, when the term opens the names of most of them (北京), the same split in
    two: the names beginning with the term (`lead`, read as a range of the name index) and the
    postings of those holding it elsewhere (`elsewhere`, `elsewhere_counted`)."""

    grams: tuple[str, ...]
    counted: int | None
    lead: str | None = None
    elsewhere: tuple[str, ...] = ()
    elsewhere_counted: int | None = None


def _counted(df: dict[str, int], grams: tuple[str, ...]) -> int | None:
    """How many customers `grams` (a bigram's postings) hold by the last count; None when the
    bigram itself was not counted yet. A marked posting the count does not know held none then."""
    return None if grams[0] not in df else sum(df.get(g, 0) for g in grams)


def _rarest_postings(
    session: Session, grams: list[str], edges: bool, text: str = "", lead: str | None = None
) -> Postings:
    """The postings to read for the bigram held by the fewest customers among `grams` — the
    bigram's normal-form postings, and with `edges` its edge and lead postings too. A lead posting
    (`dedupe.LEAD_MARK`) holds the bigram only where it opens the name, so it holds a match of the
    normalised term `text` only when the bigram opens `text` too, and then the match begins with
    the term: `lead`, the term as written when the names beginning with it are one range of the
    name index, stands for those postings in a list sorted otherwise than by id."""
    choices = [(g, dedupe.EDGE_MARK + g, dedupe.LEAD_MARK + g) if edges else (g,) for g in grams]
    df = dedupe.gram_df(session, [p for choice in choices for p in choice])
    best = min(choices, key=lambda choice: (sum(df.get(p, 0) for p in choice), choice))
    if len(best) == 1 or not text.startswith(best[0]):
        return Postings(best[:2], _counted(df, best[:2]))  # no match is held by a lead posting
    if lead is None:
        return Postings(best, _counted(df, best))
    return Postings(
        best, _counted(df, best), lead=lead, elsewhere=best[:2], elsewhere_counted=_counted(df, best[:2])
    )


def _postings_are_cheaper(
    session: Session, grams: tuple[str, ...], counted: int | None, count_cap: int
) -> bool:
    """Reading the postings beats scanning for `count_cap` matches among all customers when they
    hold fewer than sqrt(count_cap × customers / POSTING_ROW_COST) customers: by the last count
    of the postings, else counted now up to that bound."""
    customers = session.scalar(select(func.max(Customer.id))) or 0
    bound = max(1, int(math.sqrt(count_cap * customers / POSTING_ROW_COST)))
    if counted is None:
        held = select(CustomerNameGram.customer_id).where(CustomerNameGram.gram.in_(grams)).limit(bound + 1)
        counted = int(session.scalar(select(func.count()).select_from(held.subquery())) or 0)
    return counted <= bound


def _postings_of(session: Session, term: str, key: str) -> Postings | None:
    """The postings holding every customer whose name holds `term` or whose normal form holds the
    term's (`key`); None when no postings can tell.

    With a core of two characters or more (LIST-1), its rarest bigram's normal-form postings.
    Otherwise the term may sit across a place or a legal form (化工 in 怀化工业园区…, 北京, 有限):
    a bigram both of the term and of its normal form, read from the normal-form, edge and lead
    postings, which together hold every bigram of a name. A term written as it is stored (no
    Traditional, capitals or punctuation to normalise) may stand for the lead postings."""
    text = names.normalize_text(term)
    inner = core(text)
    if len(inner) >= 2:
        return _rarest_postings(session, dedupe.grams_of_key(inner), edges=False)
    grams = sorted(set(names.key_grams(text)) & set(names.key_grams(key)))
    if not grams or len(key) < 2 or len(text) < 2:
        return None
    lead = term if term == text and db.sorts_by_code_point(session) else None
    return _rarest_postings(session, grams, edges=True, text=text, lead=lead)


@dataclass(frozen=True)
class Match:
    """What a term matches: `scan`, one condition to filter the list with; or the union of the
    customers holding one of the postings `grams` whose name passes `named`, each of `exact`
    (indexed) and the names beginning with the term (`lead`, a range of the name index, read in the
    list's order). Every value of the term in them is a named parameter (`params`), so that a
    statement built for one term serves every term of its `shape` (`listing`)."""

    params: dict[str, Any]
    scan: ColumnElement[bool] | None = None
    grams: tuple[str, ...] = ()
    named: ColumnElement[bool] | None = None
    exact: tuple[ColumnElement[bool], ...] = ()
    lead: ColumnElement[bool] | None = None

    @property
    def shape(self) -> tuple[Any, ...]:
        """What the statements built from this match share with another term's: the same parts
        (which the parameters' names tell) read the same way."""
        return (self.scan is not None, tuple(sorted(self.params)))


def _params(*conds: ColumnElement[bool] | None) -> dict[str, Any]:
    """The named parameters in `conds`, with their values."""
    found: dict[str, Any] = {}
    for cond in conds:
        if cond is not None:
            for node in visitors.iterate(cond):
                if isinstance(node, BindParameter) and not node.unique:
                    found[node.key] = node.value
    return found


def match(
    session: Session, term: str, scope: str, count_cap: int, by_id: bool = True, name_order: bool = False
) -> Match:
    """What `term` matches. A list in id order reads each part in that order and stops at its
    window, so the postings serve a common term as cheaply as a rare one; in another order a part is
    read whole, and the postings serve only a term rarer than the cost bound. Decided once per
    session (a list asks for its page and then its count) and, by LIST-5, shared for LIST-3's minute
    by every search of the term in this process."""
    decided = session.info.setdefault("poolcrm.search", {})
    wanted = (term, scope, count_cap, by_id, name_order)
    found = decided.get(wanted)
    if found is None:
        found = decided[wanted] = db.cached_aggregate(
            session,
            ("customers.search_plan", wanted),
            lambda: _match(session, term, scope, count_cap, by_id, name_order),
        )
    return found  # type: ignore[no-any-return]


def _match(session: Session, term: str, scope: str, count_cap: int, by_id: bool, name_order: bool) -> Match:
    key = names.name_key(term)
    digits = "".join(ch for ch in term if ch.isdigit())
    by_name = [containing(Customer.name, term, "q_name")]
    if key:
        by_name.append(containing(Customer.name_key, key, "q_key"))
    exact = [
        Customer.code == bindparam("q_code", term.upper()),
        Customer.contact_name == bindparam("q_contact", term),
    ]
    if term.isascii() and term.isalpha():
        exact.append(_starting_with(Customer.name_initials, term.lower(), "q_initials"))
    postings = _postings_of(session, term, key) if len(digits) < 4 else None
    if postings is not None and scope in INDEXED_SCOPES:
        named = or_(*by_name)
        if by_id:
            return _posted(postings.grams, named, exact)
        if postings.lead is not None and name_order:
            # sorted by name: the names opening with the term are a range of the name index, read
            # in the list's order (a scan met 北京's 625,336 earlier names at 10,000,000 before its
            # first match); the rest by the cost rule. In another order that range would be read
            # whole and sorted: the cost rule below decides as before
            if _postings_are_cheaper(session, postings.elsewhere, postings.elsewhere_counted, count_cap):
                lead = _starting_with(Customer.name, postings.lead, "q_lead")
                return _posted(postings.elsewhere, named, exact, lead)
        elif _postings_are_cheaper(session, postings.grams, postings.counted, count_cap):
            return _posted(postings.grams, named, exact)
    conds = [*by_name, *exact]
    if len(digits) >= 4:
        conds += [
            containing(Customer.phone, digits, "q_digits"),
            containing(Customer.mobile, digits, "q_digits"),
        ]
        phone = phones.phone_key(term)
        if phone:
            conds += [
                Customer.phone == bindparam("q_phone", phone),
                Customer.mobile == bindparam("q_phone", phone),
            ]
    scan = or_(*conds)
    return Match(_params(scan), scan=scan)


def _posted(
    grams: tuple[str, ...],
    named: ColumnElement[bool],
    exact: list[ColumnElement[bool]],
    lead: ColumnElement[bool] | None = None,
) -> Match:
    params = {**_params(named, *exact, lead), **{f"q_gram{i}": gram for i, gram in enumerate(grams)}}
    return Match(params, grams=grams, named=named, exact=tuple(exact), lead=lead)


def narrowed(
    query: Select[Any],
    found: Match,
    window: int | ColumnElement[int] | None,
    descending: bool | None,
    *,
    lateral: bool = False,
) -> Select[Any]:
    """`query` (the scoped, filtered, ordered list) kept to what `found` matches. With a `window`
    (the last row the caller needs: a number, or a parameter), each part is read in the list's order
    up to it, so their union holds the list's first `window` rows; in id order (`descending` not
    None) the name part walks the postings in that order (a common term then costs a page, not its
    matches). The term's values are `found.params`, bound in: pass them again to run the statement
    for another term of the same shape.

    `lateral` (PostgreSQL, in id order): each posting is checked against its customer by a lateral
    lookup, so the walk is driven by the postings. Left to itself the planner joined them by
    scanning the customers backwards in parallel until enough matched (机械 at 1,000,000: 350 ms
    where the postings take a few)."""
    if found.scan is not None:
        return query.where(found.scan)
    ids = query.with_only_columns(Customer.id)
    posting = CustomerNameGram.customer_id
    named_as = found.named if found.named is not None else true()  # postings always come with it
    parts = []
    for i, gram in enumerate(found.grams):
        posted = CustomerNameGram.gram == bindparam(f"q_gram{i}", gram)
        if lateral and descending is not None:
            # LIMIT 1 keeps the planner from flattening the lookup into a join it may reorder
            check = ids.order_by(None).where(Customer.id == posting, named_as).limit(1).lateral()
            named = (
                select(posting.label("id"))
                .join(check, true())
                .where(posted)
                .order_by(posting.desc() if descending else posting.asc())
            )
        else:
            named = ids.join(CustomerNameGram, posting == Customer.id).where(posted, named_as)
            if descending is not None:
                named = named.order_by(None).order_by(posting.desc() if descending else posting.asc())
        parts.append(named)
    parts += [ids.where(cond) for cond in found.exact]
    if found.lead is not None:
        parts.append(ids.where(found.lead))
    limited = [
        select(part.limit(window).subquery().c.id) if window is not None else part.order_by(None)
        for part in parts
    ]
    if lateral:
        # `id = ANY(ARRAY(…))`: the union is read first, then each customer by its key. As `IN (…)`
        # the planner may guess the union large and hash it against a scan of every customer,
        # stopping early for a LIMIT (a capped count of 北京 at 1,000,000: 260 ms instead of 8)
        return query.where(Customer.id == any_(func.array(union(*limited).scalar_subquery())))
    return query.where(Customer.id.in_(union(*limited)))
