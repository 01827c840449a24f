"""Checking a customer's fields before any write (CUS-1..6) and the duplicate check (CUS-7), and the
codes (CUS-8)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.audit.service import record
from poolcrm.customers import dedupe, names, rules
from poolcrm.customers import phones as customers_phones
from poolcrm.customers.models import (
    CustomerCodeSequence,
)
from poolcrm.db import lock_rows_clause
from poolcrm.errors import InvalidInput, RuleViolation, TooManyRequests
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import Person, users_by_id
from poolcrm.policy.service import company_today, get_policy

REGISTRAR_ROLES = ("sales",)


TEXT_FIELDS = (
    "name",
    "address",
    "contact_name",
    "phone",
    "customer_type",
    "industry",
    "region",
    "postal_code",
    "source",
    "profile",
    "contact_position",
    "mobile",
    "email",
    "tier",
    "remark",
    "needs",
)


GRADE_FACTS = ("registered_project", "order_expected_this_year", "agency_agreement", "cooperated_before")
RECORD_FIELDS = (*TEXT_FIELDS, "tags", "member_until", "status", "grade", *GRADE_FACTS)


def lock_identities(session: Session, companies: Iterable[tuple[str | None, Iterable[str | None]]]) -> None:
    """CUS-7 (revised): the duplicate check and the insert are one atomic step on every engine. On
    PostgreSQL each company's normalised name (which sees through Traditional characters, place
    prefixes and legal-form suffixes) and each of its phone numbers is taken as a transaction-scoped
    advisory lock, in one sorted order, before the check: a parallel registration, claim correction,
    import or rename of the same company waits, then sees the first one's row. SQLite serialises
    writers already (BEGIN IMMEDIATE)."""
    if not lock_rows_clause(session):
        return
    keys: set[str] = set()
    for name, phones in companies:
        if name and (key := names.name_key(name)):
            keys.add(f"CUS-7:name:{key}")
        keys.update(f"CUS-7:phone:{k}" for k in dedupe.phone_keys(*phones))
    for key in sorted(keys):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def clean_value(value: Any) -> Any:
    """User text as stored: invisible characters gone (CUS-7 revised), runs of spaces folded."""
    if isinstance(value, str):
        value = " ".join(names.visible_text(value).split())
        return value or None
    if isinstance(value, list):
        return [v for v in dict.fromkeys(" ".join(names.visible_text(str(t)).split()) for t in value) if v]
    return value


def problem_message(problem: rules.Problem, lang: str) -> str:
    text = translate(problem.message, lang, **problem.params)
    return f"{problem.rule}: {text}" if not text.startswith(problem.rule) else text


def invalid_input(problems: Sequence[rules.Problem], lang: str) -> InvalidInput:
    fields: dict[str, str] = {}
    field_rules: dict[str, str] = {}
    for p in problems:
        fields.setdefault(p.field, problem_message(p, lang))
        field_rules.setdefault(p.field, p.rule)
    exc = InvalidInput(fields, rule=problems[0].rule)
    exc.details["rules"] = field_rules
    return exc


def owner_out(user: User | Person | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name}


@dataclass
class Checked:
    values: dict[str, Any]
    warnings: list[rules.Problem]


def normalise_phone(raw: str | None) -> tuple[str | None, str | None]:
    """CUS-6: (E.164, None) for a valid number, (None, problem) otherwise."""
    if raw is None or not str(raw).strip():
        return None, None
    result = customers_phones.validate_phone(str(raw))
    return _phone_result(result)


def _phone_result(result: Any) -> tuple[str | None, str | None]:
    if isinstance(result, tuple):
        e164, problem = result[0], result[1] if len(result) > 1 else None
        return (e164 or None), (problem or None)
    if hasattr(result, "e164"):
        return getattr(result, "e164", None), getattr(result, "problem", None) or getattr(
            result, "error", None
        )
    if isinstance(result, str):
        return (result, None) if result.startswith("+") else (None, result)
    return None, "电话号码格式不正确"


def check_fields(
    session: Session, values: Mapping[str, Any], *, lang: str = "zh", registering: bool = False
) -> Checked:
    """Normalise and check a customer's fields: errors raise 422 citing the rule; warnings
    (CUS-2 abbreviation, CUS-5 address format) are returned for the rep to confirm. A registration
    also needs the CUS-1 classification (industry, type)."""
    policy = get_policy(session)
    clean = {k: clean_value(v) for k, v in values.items()}
    phone_problems: dict[str, str] = {}
    for key in ("phone", "mobile"):
        if clean.get(key):
            e164, problem = normalise_phone(clean[key])
            if problem:
                phone_problems[key] = problem
            else:
                clean[key] = e164
    if (
        clean.get("mobile")
        and "mobile" not in phone_problems
        and not customers_phones.is_mobile(clean["mobile"])
    ):
        phone_problems["mobile"] = "手机号码应为中国大陆手机号"
    kind = rules.industry_kind(
        clean.get("industry"), policy.insurance_industries, policy.securities_industries
    )
    name = clean.get("name") or ""
    verdict = rules.registration_verdict(
        clean,
        kind=kind,
        insurance_problem=names.insurance_name_problem(name, clean.get("contact_name"))
        if kind == "insurance"
        else None,
        securities_problem=names.securities_name_problem(name) if kind == "securities" else None,
        phone_problems=phone_problems,
        abbreviation_warning=names.abbreviation_warning(name, policy.legal_suffixes) if name else None,
        address_warning=names.address_format_warning(clean["address"]) if clean.get("address") else None,
        profile_max_chars=policy.profile_max_chars,
        registering=registering,
    )
    if verdict.errors:
        raise invalid_input(verdict.errors, lang)
    return Checked(clean, list(verdict.warnings))


def warning_out(p: rules.Problem, lang: str) -> dict[str, Any]:
    return {"field": p.field, "rule": p.rule, "message": problem_message(p, lang)}


def match_out(found: dedupe.Found, owners: Mapping[int, User], lang: str) -> dict[str, Any]:
    """POOL-3: code, name, pool and owner only — never a private customer's details."""
    c = found.customer
    return {
        "customer_id": c.id,
        "code": c.code,
        "name": c.name,
        "pool": c.pool,
        "owner": owner_out(owners.get(c.owner_id)) if c.owner_id else None,
        "score": found.score,
        "exact": found.exact,
        "reasons": [dedupe.reason_text(r, lang) for r in found.reasons],
    }


def duplicates(
    session: Session,
    name: str,
    phones: Iterable[str | None] = (),
    *,
    exclude_ids: Iterable[int] = (),
    lang: str = "zh",
) -> list[dict[str, Any]]:
    """CUS-7 for the API and the live form check."""
    return duplicates_many(session, [(name, phones, exclude_ids)], lang=lang)[0]


def duplicates_many(
    session: Session,
    records: Sequence[tuple[str, Iterable[str | None], Iterable[int]]],
    *,
    lang: str = "zh",
) -> list[list[dict[str, Any]]]:
    """CUS-7 for several records at once — (name, phones, ids to leave out) each — in one batch of
    look-ups (the CS inbox's page: one statement for every posting list its rows need)."""
    queries = [
        dedupe.Query((name or "").strip(), dedupe.phone_keys(*phones), frozenset(exclude))
        for name, phones, exclude in records
    ]
    found = dedupe.find_duplicates_many(session, queries, min_score=get_policy(session).fuzzy_match_min_score)
    owners = users_by_id(session, (f.customer.owner_id for hits in found for f in hits))
    return [[match_out(f, owners, lang) for f in hits] for hits in found]


def lookup_duplicates(
    session: Session,
    user: User,
    name: str,
    phones: Iterable[str | None] = (),
    *,
    exclude_ids: Iterable[int] = (),
    lang: str = "zh",
) -> list[dict[str, Any]]:
    """CUS-7a, the duplicate check as a question anyone may ask: a query with real content (else
    422), at most `duplicate_checks_per_minute` per user (else 429 with Retry-After), at most
    `duplicate_max_matches` answers, each lookup audited (who asked for which company)."""
    policy = get_policy(session)
    full_phones = [p for p in phones if p and customers_phones.validate_phone(p)[0]]
    problem = rules.lookup_problem(
        names.name_key(name or ""), bool(full_phones), policy.duplicate_query_min_chars
    )
    if problem:
        raise InvalidInput(
            {"name": problem}, problem, rule="CUS-7a", min_chars=policy.duplicate_query_min_chars
        )
    _throttle_lookups(session, user, policy.duplicate_checks_per_minute)
    matches = duplicates(session, name, phones, exclude_ids=exclude_ids, lang=lang)[
        : policy.duplicate_max_matches
    ]
    record(
        session,
        actor_id=user.id,
        action=LOOKUP_ACTION,
        object_type="customer",
        after={"name": name, "phones": [p for p in phones if p], "matches": len(matches)},
        rule="CUS-7a",
    )
    return matches


LOOKUP_ACTION = "customer.duplicate_check"
LOOKUP_WINDOW = timedelta(minutes=1)


def recent_lookups(user_id: int, since: datetime) -> Select[int]:
    """CUS-7a: how many duplicate checks the user ran since `since` — read through the audit log's
    (actor, action, time) index, whatever the log's size."""
    return select(func.count()).where(
        AuditEntry.actor_id == user_id, AuditEntry.action == LOOKUP_ACTION, AuditEntry.at > since
    )


def _throttle_lookups(session: Session, user: User, per_minute: int) -> None:
    recent = session.scalar(recent_lookups(user.id, clock.now() - LOOKUP_WINDOW))
    if (recent or 0) >= per_minute:
        wait = int(LOOKUP_WINDOW.total_seconds())
        raise TooManyRequests(
            "查重过于频繁，请 {seconds} 秒后再试",
            rule="CUS-7a",
            seconds=wait,
            headers={"Retry-After": str(wait)},
            details={"retry_after": wait},
        )


def confirmation_needed(
    warnings: Sequence[rules.Problem], matches: Sequence[dict[str, Any]], lang: str
) -> RuleViolation:
    rule = "CUS-7" if matches else warnings[0].rule
    return RuleViolation(
        rule,
        "请确认以下提示后再提交",
        code="confirmation_required",
        details={"warnings": [warning_out(w, lang) for w in warnings], "matches": list(matches)},
    )


def refuse_exact_duplicate(matches: Sequence[dict[str, Any]]) -> None:
    exact = [m for m in matches if m["exact"]]
    if exact:
        raise RuleViolation(
            "CUS-7",
            "与已有客户重复：{dup_code} {dup_name}",
            code="duplicate",
            details={"matches": list(matches)},
            dup_code=exact[0]["code"],
            dup_name=exact[0]["name"],
        )


def provisional_code() -> str:
    """A unique stand-in for a new customer's code (CUS-8) until `next_codes` gives the real one
    in the same transaction; it never reaches the database's committed state."""
    return f"~{uuid.uuid4().hex}"[:32]


def next_codes(session: Session, n: int = 1) -> list[str]:
    """CUS-8: n fresh codes prefix+year+sequence, reserved with one atomic UPDATE … RETURNING
    (the row lock serialises concurrent registrations on PostgreSQL until they commit: take codes
    last). The year's counter row is made by the first taker (an INSERT that waits on a locked
    row as the UPDATE does, so it is not repeated each time)."""
    policy = get_policy(session)
    year = company_today(session).year
    key = f"{policy.customer_code_prefix}{year}"
    take = (
        update(CustomerCodeSequence)
        .where(CustomerCodeSequence.key == key)
        .values(value=CustomerCodeSequence.value + n)
        .returning(CustomerCodeSequence.value)
    )
    last = session.execute(take).scalar()
    if last is None:
        upsert = pg_insert if lock_rows_clause(session) else sqlite_insert
        session.execute(upsert(CustomerCodeSequence).values(key=key, value=0).on_conflict_do_nothing())
        last = session.execute(take).scalar_one()
    return [rules.customer_code(policy.customer_code_prefix, year, s) for s in range(last - n + 1, last + 1)]
