"""Customer use cases (CUS-*): registration through the duplicate check and CS approval, the
customer record and its change control, contacts, deletion and merge. One transaction each;
the services flush, the caller commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import (
    KIND_NEW_CUSTOMER,
    STATUS_CANCELLED,
    STATUS_PENDING,
    Application,
)
from poolcrm.applications.service import mark_approved, mark_rejected
from poolcrm.audit.service import record
from poolcrm.customers import dedupe, names, rules
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_DELETED,
    POOL_MERGED,
    POOL_PENDING,
    POOL_PRIVATE,
    POOL_PUBLIC,
    POOL_REJECTED,
    REQUEST_CHANGE,
    REQUEST_DELETE,
    TOMBSTONE_POOLS,
    Contact,
    Customer,
    CustomerChange,
    CustomerCodeSequence,
    CustomerRequest,
)
from poolcrm.customers.schemas import ContactIn, ContactPatch, CustomerIn, CustomerPatch
from poolcrm.customers.signals import customer_merged
from poolcrm.db import Base, lock_rows_clause
from poolcrm.deals.models import Deal
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.i18n import translate
from poolcrm.notify.service import notify
from poolcrm.org.models import Department, User
from poolcrm.org.service import is_supervisor_of, visible_owner_ids
from poolcrm.ownership import countdown
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.moves import move_customer
from poolcrm.ownership.usage import limit_for, owned_count, pending_count
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_date, company_today, get_policy
from poolcrm.pools.rules import add_months, is_active_member, pool_full_on_apply, pool_full_on_approve

SEE_ALL = ("admin", "gm", "cs")
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
)
RECORD_FIELDS = (*TEXT_FIELDS, "tags", "member_until", "status", "grade")
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


# --------------------------------------------------------------------------------------------
# small helpers


def _policy(session: Session) -> Policy:
    return get_policy(session)


def _today(session: Session) -> date:
    return clock.today(_policy(session).timezone)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    if isinstance(value, list):
        return [v for v in dict.fromkeys(" ".join(str(t).split()) for t in value) if v]
    return value


def _msg(problem: rules.Problem, lang: str) -> str:
    text = translate(problem.message, lang, **problem.params)
    return f"{problem.rule}: {text}" if not text.startswith(problem.rule) else text


def _invalid(problems: Sequence[rules.Problem], lang: str) -> InvalidInput:
    fields: dict[str, str] = {}
    field_rules: dict[str, str] = {}
    for p in problems:
        fields.setdefault(p.field, _msg(p, lang))
        field_rules.setdefault(p.field, p.rule)
    exc = InvalidInput(fields, rule=problems[0].rule)
    exc.details["rules"] = field_rules
    return exc


def is_pg(session: Session) -> bool:
    return lock_rows_clause(session)


def owner_out(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name}


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


# --------------------------------------------------------------------------------------------
# field checks shared by the form, the API, the import and PATCH (CUS-1..6)


@dataclass
class Checked:
    values: dict[str, Any]
    warnings: list[rules.Problem]


def normalise_phone(raw: str | None) -> tuple[str | None, str | None]:
    """CUS-6: (E.164, None) for a valid number, (None, problem) otherwise."""
    if raw is None or not str(raw).strip():
        return None, None
    result = names.validate_phone(str(raw))
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


def check_fields(session: Session, values: Mapping[str, Any], *, lang: str = "zh") -> Checked:
    """Normalise and check a customer's fields: errors raise 422 citing the rule; warnings
    (CUS-2 abbreviation, CUS-5 address format) are returned for the rep to confirm."""
    policy = _policy(session)
    clean = {k: _clean(v) for k, v in values.items()}
    phone_problems: dict[str, str] = {}
    for key in ("phone", "mobile"):
        if clean.get(key):
            e164, problem = normalise_phone(clean[key])
            if problem:
                phone_problems[key] = problem
            else:
                clean[key] = e164
    if clean.get("mobile") and "mobile" not in phone_problems and not names.is_mobile(clean["mobile"]):
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
    )
    if verdict.errors:
        raise _invalid(verdict.errors, lang)
    return Checked(clean, list(verdict.warnings))


def warning_out(p: rules.Problem, lang: str) -> dict[str, Any]:
    return {"field": p.field, "rule": p.rule, "message": _msg(p, lang)}


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
    found = dedupe.find_duplicates(
        session, name, phones, exclude_ids=exclude_ids, min_score=_policy(session).fuzzy_match_min_score
    )
    owners = users_by_id(session, (f.customer.owner_id for f in found))
    return [match_out(f, owners, lang) for f in found]


def _confirmation_needed(
    warnings: Sequence[rules.Problem], matches: Sequence[dict[str, Any]], lang: str
) -> RuleViolation:
    rule = "CUS-7" if matches else warnings[0].rule
    return RuleViolation(
        rule,
        "请确认以下提示后再提交",
        code="confirmation_required",
        details={"warnings": [warning_out(w, lang) for w in warnings], "matches": list(matches)},
    )


def _raise_exact(matches: Sequence[dict[str, Any]]) -> None:
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


# --------------------------------------------------------------------------------------------
# codes (CUS-8)


def next_codes(session: Session, n: int = 1) -> list[str]:
    """CUS-8: n fresh codes prefix+year+sequence, reserved with one atomic UPDATE … RETURNING
    (the row lock serialises concurrent registrations on PostgreSQL)."""
    policy = _policy(session)
    year = _today(session).year
    key = f"{policy.customer_code_prefix}{year}"
    if is_pg(session):
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    session.execute(upsert(CustomerCodeSequence).values(key=key, value=0).on_conflict_do_nothing())
    last = session.execute(
        update(CustomerCodeSequence)
        .where(CustomerCodeSequence.key == key)
        .values(value=CustomerCodeSequence.value + n)
        .returning(CustomerCodeSequence.value)
    ).scalar_one()
    return [rules.customer_code(policy.customer_code_prefix, year, s) for s in range(last - n + 1, last + 1)]


# --------------------------------------------------------------------------------------------
# visibility (ORG-5, POOL-3)


def can_see(session: Session, user: User, c: Customer) -> bool:
    scope = visible_owner_ids(session, user)
    if scope is None:
        return True
    if c.pool == POOL_PUBLIC:
        return True
    if c.pool == POOL_PRIVATE:
        return c.owner_id in scope
    if c.pool == POOL_PENDING:
        return c.created_by in scope
    return False


def can_edit(session: Session, user: User, c: Customer) -> bool:
    if c.pool in TOMBSTONE_POOLS:
        return False
    if user.has_role(*SEE_ALL):
        return True
    scope = visible_owner_ids(session, user) or frozenset()
    if c.pool == POOL_PRIVATE:
        return c.owner_id in scope
    if c.pool == POOL_PENDING:
        return c.created_by in scope
    return False


def get_visible(session: Session, user: User, customer_id: int) -> Customer:
    c = session.get(Customer, customer_id)
    if c is None or not can_see(session, user, c):
        raise NotFound()
    return c


def get_editable(session: Session, user: User, customer_id: int) -> Customer:
    c = get_visible(session, user, customer_id)
    if not can_edit(session, user, c):
        raise Forbidden()
    return c


def scoped_query(session: Session, user: User, pool: str = "all") -> Select[Any]:
    """ORG-5: a rep sees their own private pool, the public pool and their own registrations;
    supervisors their tree; admin, gm and cs everything. The bin is for GM, CS and admin."""
    scope = visible_owner_ids(session, user)
    q = select(Customer)
    if pool == "mine":
        return q.where(Customer.owner_id == user.id, Customer.pool == POOL_PRIVATE)
    if pool == "public":
        return q.where(Customer.pool == POOL_PUBLIC)
    if pool == "bin":
        if scope is not None:
            raise Forbidden()
        return q.where(Customer.pool == POOL_BIN)
    if pool in ("pending", "private", "deleted", "merged", "rejected"):
        if pool in TOMBSTONE_POOLS and scope is not None:
            raise Forbidden()
        q = q.where(Customer.pool == pool)
        if scope is not None:
            column = Customer.owner_id if pool == POOL_PRIVATE else Customer.created_by
            q = q.where(column.in_(scope))
        return q
    if pool != "all":
        raise InvalidInput({"pool": "取值应为 mine、public、bin、pending、private 或 all"})
    if scope is None:
        return q.where(Customer.pool.not_in(TOMBSTONE_POOLS))
    return q.where(
        or_(
            Customer.pool == POOL_PUBLIC,
            (Customer.pool == POOL_PRIVATE) & Customer.owner_id.in_(scope),
            (Customer.pool == POOL_PENDING) & Customer.created_by.in_(scope),
        )
    )


SORTS = {
    "created_at": Customer.created_at,
    "name": Customer.name,
    "code": Customer.code,
    "last_valid_followup_at": Customer.last_valid_followup_at,
    "updated_at": Customer.updated_at,
    "status": Customer.status,
    "grade": Customer.grade,
    "tier": Customer.tier,
    "id": Customer.id,
}


def list_query(
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
) -> Select[Any]:
    query = scoped_query(session, user, pool)
    if q and q.strip():
        term = q.strip()
        like = f"%{term}%"
        conds = [Customer.name.like(like), Customer.code == term.upper(), Customer.contact_name == term]
        key = names.name_key(term)
        if key:
            conds.append(Customer.name_key.like(f"%{key}%"))
        if term.isascii() and term.isalpha():
            conds.append(Customer.name_initials.like(f"{term.lower()}%"))
        digits = "".join(ch for ch in term if ch.isdigit())
        if len(digits) >= 4:
            phone = names.phone_key(term)
            conds += [Customer.phone.like(f"%{digits}%"), Customer.mobile.like(f"%{digits}%")]
            if phone:
                conds += [Customer.phone == phone, Customer.mobile == phone]
        query = query.where(or_(*conds))
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
    if tag:
        query = query.where(cast(Customer.tags, String).like(f"%{tag}%"))
    key_name = (sort or "-id").lstrip("-")
    column = SORTS.get(key_name)
    if column is None:
        raise InvalidInput({"sort": "不支持的排序字段"})
    order = column.desc() if (sort or "-id").startswith("-") else column.asc()
    return query.order_by(order, Customer.id.desc())


def list_customers(
    session: Session, user: User, *, page: int = 1, page_size: int = 50, **filters: Any
) -> tuple[list[Customer], int]:
    query = list_query(session, user, **filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.offset((page - 1) * page_size).limit(page_size)))
    return rows, total


# --------------------------------------------------------------------------------------------
# output


def recycle_due_on(session: Session, c: Customer) -> date | None:
    """POOL-16: the countdown by the daily job's own function (ownership layer)."""
    return countdown.recycle_due_on(session, c)


def contact_due_on(session: Session, c: Customer) -> date | None:
    policy = _policy(session)
    since = company_date(session, c.pool_entered_at or c.created_at)
    assert since is not None
    last = company_date(session, c.last_valid_followup_at)
    return rules.contact_due(c.tier, last, since, policy.tier_cadence_days)


def grade_verdict(session: Session, c: Customer) -> rules.GradeVerdict:
    """CUS-11: the grade the system would give. Deal facts are False until a deals domain exists."""
    policy = _policy(session)
    days = None
    if c.last_valid_followup_at is not None:
        days = (clock.now() - c.last_valid_followup_at).days
    facts = rules.GradeFacts(days_since_substantive_contact=days, **_deal_facts(session, c, policy))
    return rules.grade_verdict(_values(c), facts, policy.high_growth_contact_days)


def _deal_facts(session: Session, c: Customer, policy: Policy) -> dict[str, bool]:
    """CUS-11: the customer's deals as grade facts (deals' table is a leaf any layer may read)."""
    deals = session.execute(select(Deal.category, Deal.expected_close_on).where(Deal.customer_id == c.id))
    today = company_today(session)
    return rules.deal_grade_facts(list(deals), add_months(today, policy.core_deal_months))


def _values(c: Customer) -> dict[str, Any]:
    return {f: getattr(c, f) for f in RECORD_FIELDS}


def phone_display(value: str | None) -> str | None:
    return names.format_phone(value) if value else None


def customer_summary(c: Customer, owners: Mapping[int, User]) -> dict[str, Any]:
    return {
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "pool": c.pool,
        "owner": owner_out(owners.get(c.owner_id)) if c.owner_id else None,
        "status": c.status,
        "grade": c.grade,
        "tier": c.tier,
        "industry": c.industry,
        "region": c.region,
        "customer_type": c.customer_type,
        "contact_name": c.contact_name,
        "phone": phone_display(c.phone),
        "tags": c.tags or [],
        "member_until": c.member_until,
        "protected_since": c.protected_since,
        "last_valid_followup_at": c.last_valid_followup_at,
        "created_at": c.created_at,
    }


def customer_detail(session: Session, c: Customer) -> dict[str, Any]:
    owners = users_by_id(session, [c.owner_id, c.created_by])
    today = _today(session)
    verdict = grade_verdict(session, c)
    due = contact_due_on(session, c)
    out = customer_summary(c, owners)
    out.update(
        {
            "address": c.address,
            "postal_code": c.postal_code,
            "source": c.source,
            "profile": c.profile,
            "contact_position": c.contact_position,
            "phone_e164": c.phone,
            "mobile": phone_display(c.mobile),
            "mobile_e164": c.mobile,
            "email": c.email,
            "remark": c.remark,
            "membership": rules.membership(c.member_until, today),
            "suggested_grade": verdict.grade,
            "grade_missing": list(verdict.missing),
            "contact_due_on": due,
            "contact_overdue": rules.contact_overdue(due, today),
            "recycle_due_on": recycle_due_on(session, c),
            "pool_entered_at": c.pool_entered_at,
            "dormant_since": c.dormant_since,
            "merged_into_id": c.merged_into_id,
            "deleted_at": c.deleted_at,
            "created_by": owner_out(owners.get(c.created_by)) if c.created_by else None,
            "updated_at": c.updated_at,
            "version": c.version,
            "open_for_redevelopment": c.open_for_redevelopment,
            "locked_until": c.locked_until,
        }
    )
    return out


# --------------------------------------------------------------------------------------------
# registration (CUS-1..9)


def new_customer_row(
    values: Mapping[str, Any], *, code: str, actor_id: int | None, at: datetime, initials: bool = True
) -> dict[str, Any]:
    """The column values of a freshly registered customer (form, API, import, demo)."""
    name = values["name"]
    return {
        "code": code,
        "name": name,
        "name_key": names.name_key(name),
        "name_initials": (names.pinyin_initials(name) or "")[:100] or None if initials else None,
        "address": values.get("address") or "",
        "postal_code": values.get("postal_code"),
        "region": values.get("region"),
        "industry": values.get("industry"),
        "customer_type": values.get("customer_type") or "direct",
        "source": values.get("source"),
        "profile": values.get("profile"),
        "contact_name": values.get("contact_name") or "",
        "contact_position": values.get("contact_position"),
        "phone": values.get("phone") or "",
        "mobile": values.get("mobile"),
        "email": values.get("email"),
        "tier": values.get("tier"),
        "tags": values.get("tags") or [],
        "remark": values.get("remark"),
        "grade": None,
        "status": "potential",
        "member_until": values.get("member_until"),
        "open_for_redevelopment": False,
        "pool": POOL_PENDING,
        "owner_id": None,
        "created_by": actor_id,
        "created_at": at,
        "updated_at": at,
        "version": 1,
        "confirmed_warnings": values.get("confirmed_warnings"),
    }


def _check_capacity_on_apply(session: Session, user: User, member_until: date | None) -> None:
    today = _today(session)
    if not user.has_role(*REGISTRAR_ROLES) or is_active_member(member_until, today):
        return
    owned, pending, limit = (
        owned_count(session, user.id, today),
        pending_count(session, user.id),
        limit_for(session, user, today),
    )
    refusal = pool_full_on_apply(owned, pending, limit)
    if refusal is not None:
        raise RuleViolation(
            refusal.rule,
            refusal.message,
            details={"owned": owned, "pending": pending, "limit": limit},
            **refusal.params,
        )


def register(
    session: Session, user: User, data: CustomerIn, *, lang: str = "zh"
) -> tuple[Application, Customer]:
    """CUS-1..9: check the fields, the duplicates and the pool (POOL-2); create the customer in
    the `pending` pool with a fresh code and a pending `new_customer` application — approved at
    once when the rep's department skips review."""
    fields = data.model_dump(
        exclude={"confirm_warnings", "confirmed_matches", "confirm_duplicates", "application_remark"}
    )
    checked = check_fields(session, fields, lang=lang)
    values = checked.values
    if _lock_user(session, user.id) is None:
        raise NotFound()
    matches = duplicates(session, values["name"], (values.get("phone"), values.get("mobile")), lang=lang)
    _raise_exact(matches)
    verdict = rules.duplicate_verdict(
        ((m["customer_id"], m["exact"]) for m in matches), data.confirmed_matches, data.confirm_duplicates
    )
    if verdict.to_confirm or (checked.warnings and not data.confirm_warnings):
        raise _confirmation_needed(checked.warnings, matches, lang)
    _check_capacity_on_apply(session, user, values.get("member_until"))
    now = clock.now()
    values["confirmed_warnings"] = [warning_out(w, "zh") for w in checked.warnings] or None
    customer = Customer(**new_customer_row(values, code=next_codes(session)[0], actor_id=user.id, at=now))
    session.add(customer)
    session.flush()
    dedupe.index_customer(session, customer.id, customer.name)
    confirmed = [
        {"customer_id": m["customer_id"], "code": m["code"], "name": m["name"], "score": m["score"]}
        for m in matches
        if m["customer_id"] in verdict.confirmed
    ]
    application = Application(
        kind=KIND_NEW_CUSTOMER,
        status=STATUS_PENDING,
        customer_id=customer.id,
        applicant_id=user.id,
        remark=data.application_remark,
        confirmed_matches=confirmed or None,
        created_at=now,
    )
    session.add(application)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="customer.register",
        object_type="customer",
        object_id=customer.id,
        after={
            "code": customer.code,
            "name": customer.name,
            "application_id": application.id,
            "confirmed_matches": confirmed,
            "confirmed_warnings": values["confirmed_warnings"],
        },
        rule="CUS-9",
    )
    policy = _policy(session)
    if not user.has_role(*REGISTRAR_ROLES) or not rules.needs_review(
        user.department_id, policy.review_skip_department_ids
    ):
        approve_new_customer(
            session, application, user, reason="免审核" if user.has_role(*REGISTRAR_ROLES) else None
        )
        application.decided_by = user.id
        application.decided_at = now
    else:
        for cs_id in session.scalars(
            select(User.id).where(User.active.is_(True)).where(User.role_rows.any(role="cs"))
        ):
            notify(
                session,
                cs_id,
                "application.waiting",
                "新客户待审核：{name}（{applicant}）",
                link="/applications",
                rule="CUS-9",
                name=customer.name,
                applicant=user.display_name,
            )
    session.flush()
    return application, customer


def _lock_user(session: Session, user_id: int) -> int | None:
    """Serialise registrations and approvals per rep (POOL-2 counted atomically on PostgreSQL)."""
    q = select(User.id).where(User.id == user_id)
    if is_pg(session):
        q = q.with_for_update()
    return session.scalar(q)


def _lock_customer(session: Session, customer_id: int) -> Customer | None:
    q = select(Customer).where(Customer.id == customer_id)
    if is_pg(session):
        q = q.with_for_update()
    return session.scalar(q)


def approve_new_customer(
    session: Session, application: Application, actor: User, reason: str | None = None
) -> None:
    """CUS-9: CS approves — the duplicate check and POOL-2 run again inside this transaction
    (the applicant's row locked on PostgreSQL), then the customer enters the applicant's
    private pool (or the public pool when the applicant has no private pool)."""
    applicant = session.get(User, application.applicant_id)
    customer = _lock_customer(session, application.customer_id)
    if applicant is None or customer is None:
        raise NotFound()
    _lock_user(session, applicant.id)
    if customer.pool != POOL_PENDING:
        raise Conflict(
            "该客户已不在待审核状态（{pool}）", rule="CUS-9", code="already_decided", pool=customer.pool
        )
    found = dedupe.find_duplicates(
        session,
        customer.name,
        (customer.phone, customer.mobile),
        exclude_ids={customer.id},
        min_score=_policy(session).fuzzy_match_min_score,
    )
    blocking = [
        f for f in found if f.exact and not (f.customer.pool == POOL_PENDING and f.customer.id > customer.id)
    ]
    if blocking:
        owners = users_by_id(session, (f.customer.owner_id for f in blocking))
        first = blocking[0].customer
        raise RuleViolation(
            "CUS-7",
            "与已有客户重复：{dup_code} {dup_name}",
            code="duplicate",
            details={"matches": [match_out(f, owners, "zh") for f in blocking]},
            dup_code=first.code,
            dup_name=first.name,
        )
    today = _today(session)
    to_private = applicant.has_role(*REGISTRAR_ROLES) and applicant.active
    if to_private and not is_active_member(customer.member_until, today):
        owned, limit = owned_count(session, applicant.id, today), limit_for(session, applicant, today)
        refusal = pool_full_on_approve(owned, limit)
        if refusal is not None:
            raise RuleViolation(
                refusal.rule, refusal.message, details={"owned": owned, "limit": limit}, **refusal.params
            )
    move_customer(
        session,
        customer,
        to_pool=POOL_PRIVATE if to_private else POOL_PUBLIC,
        to_owner_id=applicant.id if to_private else None,
        rule="CUS-9",
        reason=reason or "新客户审核通过",
        actor_id=actor.id,
    )
    mark_approved(session, application, actor, "CUS-9", reason)
    if actor.id != applicant.id:
        notify(
            session,
            applicant.id,
            "application.approved",
            "新客户申请已通过：{name}（{code}）",
            link=f"/customers/{customer.id}",
            rule="CUS-9",
            name=customer.name,
            code=customer.code,
        )


def reject_new_customer(session: Session, application: Application, actor: User, reason: str) -> None:
    """CUS-9: CS rejects with a required reason (驳回理由); the rep is told why. The record stays
    (pool "rejected") and no longer matches in the duplicate check."""
    customer = _lock_customer(session, application.customer_id)
    if customer is None:
        raise NotFound()
    if customer.pool == POOL_PENDING:
        move_customer(
            session,
            customer,
            to_pool=POOL_REJECTED,
            to_owner_id=None,
            rule="CUS-9",
            reason=reason,
            actor_id=actor.id,
        )
        dedupe.unindex_customer(session, customer.id, customer.name_key)
    mark_rejected(session, application, actor, reason, "CUS-9")
    notify(
        session,
        application.applicant_id,
        "application.rejected",
        "新客户申请被驳回：{name}。理由：{reason}",
        link=f"/customers/{customer.id}",
        rule="CUS-9",
        name=customer.name,
        reason=reason,
    )


def may_decide_new_customer(session: Session, application: Application, actor: User) -> bool:
    """CUS-9: customer service (or admin/GM) reviews; a department that reviews its own
    registrations (003) does it through the applicant's supervisors."""
    if actor.has_role(*SEE_ALL):
        return True
    return actor.has_role("supervisor", "sales_manager") and is_supervisor_of(
        session, actor.id, application.applicant_id
    )


# --------------------------------------------------------------------------------------------
# change control (CUS-13)


def _changes_for(c: Customer, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for key, new in values.items():
        old = getattr(c, key)
        if key == "tags":
            old = old or []
            new = new or []
        if old != new:
            out[key] = (old, new)
    return out


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def apply_changes(
    session: Session,
    c: Customer,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    actor_id: int | None,
    reason: str | None,
    rule: str = "CUS-13",
    request_id: int | None = None,
) -> None:
    """Write the changes, one `customer_changes` row per field, and the audit entry (CUS-13)."""
    if not changes:
        return
    now = clock.now()
    old_name = c.name
    for key, (old, new) in changes.items():
        setattr(c, key, new)
        session.add(
            CustomerChange(
                customer_id=c.id,
                field=key,
                old_value=_jsonable(old),
                new_value=_jsonable(new),
                actor_id=actor_id,
                at=now,
                reason=reason,
                request_id=request_id,
            )
        )
    if "name" in changes:
        c.name_key = names.name_key(c.name)
        c.name_initials = (names.pinyin_initials(c.name) or "")[:100] or None
        dedupe.reindex_customer(session, c.id, old_name, c.name)
    if "status" in changes and c.status != "dormant":
        c.dormant_since = None
    c.updated_at = now
    record(
        session,
        actor_id=actor_id,
        action="customer.update",
        object_type="customer",
        object_id=c.id,
        before={k: _jsonable(v[0]) for k, v in changes.items()},
        after={k: _jsonable(v[1]) for k, v in changes.items()},
        rule=rule,
        reason=reason,
    )
    session.flush()


def _may_approve_change(session: Session, user: User, c: Customer) -> bool:
    if user.has_role("admin", "gm"):
        return True
    owner = c.owner_id or c.created_by
    return (
        owner is not None
        and user.has_role("supervisor", "sales_manager")
        and is_supervisor_of(session, user.id, owner)
    )


def _supervisor_of(session: Session, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.supervisor_id if user else None


def update_customer(
    session: Session, user: User, customer_id: int, patch: CustomerPatch, *, lang: str = "zh"
) -> tuple[Customer, CustomerRequest | None]:
    """PATCH with CUS-13 change control: every change recorded; key fields of a closed customer
    wait for the supervisor's approval (the other fields change at once)."""
    c = get_editable(session, user, customer_id)
    raw = patch.model_dump(exclude_unset=True, exclude={"reason", "confirm_warnings"})
    if not raw:
        return c, None
    merged = {**_values(c), **raw}
    checked = check_fields(session, {k: merged[k] for k in (*TEXT_FIELDS, "tags", "member_until")}, lang=lang)
    values = {k: checked.values.get(k) if k in checked.values else v for k, v in raw.items()}
    for key in ("address", "contact_name", "phone"):
        if key in values and values[key] is None:
            values[key] = ""
    warnings = [w for w in checked.warnings if w.field in raw]
    if warnings and not patch.confirm_warnings:
        raise _confirmation_needed(warnings, [], lang)
    if "name" in raw and values["name"] != c.name:
        _raise_exact(duplicates(session, values["name"], (), exclude_ids={c.id}, lang=lang))
    if values.get("grade"):
        missing = rules.missing_grade_fields({**_values(c), **values})
        if missing:
            raise InvalidInput(
                {"grade": translate("分级前需补全：{missing}", lang, missing="、".join(missing))},
                rule="CUS-11",
            )
    changes = _changes_for(c, values)
    needing = [] if _may_approve_change(session, user, c) else rules.change_needs_approval(c.status, changes)
    request = None
    if needing:
        held = {k: _jsonable(changes.pop(k)[1]) for k in needing}
        request = CustomerRequest(
            kind=REQUEST_CHANGE,
            customer_id=c.id,
            requested_by=user.id,
            status="pending",
            changes=held,
            reason=patch.reason,
            approvals=[],
            created_at=clock.now(),
        )
        session.add(request)
        session.flush()
        record(
            session,
            actor_id=user.id,
            action="customer.change_requested",
            object_type="customer",
            object_id=c.id,
            after=held,
            rule="CUS-13",
            reason=patch.reason,
        )
        approver = _supervisor_of(session, c.owner_id or user.id)
        if approver:
            notify(
                session,
                approver,
                "customer.change_request",
                "{who} 申请修改成交客户 {name} 的关键信息",
                link="/customers/requests",
                rule="CUS-13",
                who=user.display_name,
                name=c.name,
            )
    apply_changes(session, c, changes, actor_id=user.id, reason=patch.reason)
    return c, request


def _coerce(key: str, value: Any) -> Any:
    if key == "member_until" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def list_requests(
    session: Session, user: User, status: str | None = "pending", kind: str | None = None
) -> list[CustomerRequest]:
    q = select(CustomerRequest).order_by(CustomerRequest.id.desc()).limit(500)
    if status:
        q = q.where(CustomerRequest.status == status)
    if kind:
        q = q.where(CustomerRequest.kind == kind)
    out = []
    for r in session.scalars(q):
        c = session.get(Customer, r.customer_id)
        if c is not None and (
            r.requested_by == user.id
            or _request_role(session, user, r, c) is not None
            or user.has_role(*SEE_ALL)
        ):
            out.append(r)
    return out


def _request_role(session: Session, user: User, r: CustomerRequest, c: Customer) -> str | None:
    """Which approval `user` can give: CUS-13 change → "supervisor"; CUS-14 deletion →
    "department_head" (head of the owner's department, or a supervisor above the requester) then
    "admin". One person gives one approval."""
    given = {a["role"] for a in (r.approvals or [])}
    givers = {a["user_id"] for a in (r.approvals or [])}
    if user.id in givers:
        return None
    if r.kind == REQUEST_CHANGE:
        return "supervisor" if _may_approve_change(session, user, c) else None
    if "department_head" not in given and _is_department_head(session, user, r, c):
        return "department_head"
    if "admin" not in given and user.has_role("admin"):
        return "admin"
    return None


def _is_department_head(session: Session, user: User, r: CustomerRequest, c: Customer) -> bool:
    person = session.get(User, c.owner_id or r.requested_by)
    if person is not None and person.department_id is not None:
        dept = session.get(Department, person.department_id)
        if dept is not None and dept.head_user_id == user.id:
            return True
    return user.has_role("supervisor", "sales_manager", "gm") and is_supervisor_of(
        session, user.id, r.requested_by
    )


def _pending_request(session: Session, request_id: int) -> tuple[CustomerRequest, Customer]:
    q = select(CustomerRequest).where(CustomerRequest.id == request_id)
    if is_pg(session):
        q = q.with_for_update()
    r = session.scalar(q)
    if r is None:
        raise NotFound()
    c = session.get(Customer, r.customer_id)
    if c is None:
        raise NotFound()
    if r.status != "pending":
        raise Conflict("该申请已处理（{state}）", code="already_decided", state=r.status)
    return r, c


def approve_request(session: Session, user: User, request_id: int, *, lang: str = "zh") -> CustomerRequest:
    r, c = _pending_request(session, request_id)
    role = _request_role(session, user, r, c)
    if role is None:
        raise Forbidden()
    now = clock.now()
    r.approvals = [*(r.approvals or []), {"role": role, "user_id": user.id, "at": now.isoformat()}]
    if r.kind == REQUEST_CHANGE:
        values = {k: _coerce(k, v) for k, v in (r.changes or {}).items()}
        if "name" in values and values["name"] != c.name:
            _raise_exact(duplicates(session, values["name"], (), exclude_ids={c.id}, lang=lang))
        apply_changes(session, c, _changes_for(c, values), actor_id=user.id, reason=r.reason, request_id=r.id)
        _decide(r, user, "approved", None)
        notify(
            session,
            r.requested_by,
            "customer.change_approved",
            "关键信息修改已批准：{name}",
            link=f"/customers/{c.id}",
            rule="CUS-13",
            name=c.name,
        )
    elif rules.deletion_approved(a["role"] for a in r.approvals):
        tombstone(session, c, pool=POOL_DELETED, actor_id=user.id, rule="CUS-14", reason=r.reason)
        c.deleted_at = now
        _decide(r, user, "approved", None)
        notify(
            session, r.requested_by, "customer.deleted", "删除申请已批准：{name}", rule="CUS-14", name=c.name
        )
    record(
        session,
        actor_id=user.id,
        action=f"customer.{r.kind}_request.approve",
        object_type="customer",
        object_id=c.id,
        after={"request_id": r.id, "role": role, "status": r.status},
        rule="CUS-13" if r.kind == REQUEST_CHANGE else "CUS-14",
    )
    session.flush()
    return r


def reject_request(session: Session, user: User, request_id: int, reason: str) -> CustomerRequest:
    r, c = _pending_request(session, request_id)
    if _request_role(session, user, r, c) is None:
        raise Forbidden()
    _decide(r, user, "rejected", reason)
    rule = "CUS-13" if r.kind == REQUEST_CHANGE else "CUS-14"
    record(
        session,
        actor_id=user.id,
        action=f"customer.{r.kind}_request.reject",
        object_type="customer",
        object_id=c.id,
        after={"request_id": r.id},
        rule=rule,
        reason=reason,
    )
    notify(
        session,
        r.requested_by,
        "customer.request_rejected",
        "申请被驳回：{name}。理由：{reason}",
        link=f"/customers/{c.id}",
        rule=rule,
        name=c.name,
        reason=reason,
    )
    session.flush()
    return r


def _decide(r: CustomerRequest, user: User, status: str, reason: str | None) -> None:
    r.status = status
    r.decided_by = user.id
    r.decided_at = clock.now()
    r.decision_reason = reason


# --------------------------------------------------------------------------------------------
# deletion (CUS-14) and merge (CUS-10)


def request_deletion(session: Session, user: User, customer_id: int, reason: str) -> CustomerRequest:
    """CUS-14: deletion is a request approved by the department head and an admin."""
    c = get_editable(session, user, customer_id)
    if session.scalar(
        select(CustomerRequest.id).where(
            CustomerRequest.customer_id == c.id,
            CustomerRequest.kind == REQUEST_DELETE,
            CustomerRequest.status == "pending",
        )
    ):
        raise Conflict("该客户已有待处理的删除申请", rule="CUS-14", code="already_requested")
    r = CustomerRequest(
        kind=REQUEST_DELETE,
        customer_id=c.id,
        requested_by=user.id,
        status="pending",
        reason=reason,
        approvals=[],
        created_at=clock.now(),
    )
    session.add(r)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="customer.delete_requested",
        object_type="customer",
        object_id=c.id,
        after={"request_id": r.id},
        rule="CUS-14",
        reason=reason,
    )
    return r


def tombstone(
    session: Session, c: Customer, *, pool: str, actor_id: int | None, rule: str, reason: str | None
) -> None:
    """CUS-10/CUS-14: the record stays (never a hard delete) but leaves every pool and the
    duplicate index; its pending applications are cancelled."""
    for a in session.scalars(
        select(Application).where(Application.customer_id == c.id, Application.status == STATUS_PENDING)
    ):
        a.status = STATUS_CANCELLED
        a.decision_rule = rule
        a.decision_reason = reason
        a.decided_by = actor_id
        a.decided_at = clock.now()
    move_customer(session, c, to_pool=pool, to_owner_id=None, rule=rule, reason=reason, actor_id=actor_id)
    dedupe.unindex_customer(session, c.id, c.name_key)


def customer_fk_columns() -> list[tuple[str, str]]:
    """Every (table, column) referencing customers.id — found in the metadata, so that the
    tables of later domains (deals, tickets …) move along in a merge too."""
    out = []
    for table in Base.metadata.sorted_tables:
        if table.name in MERGE_KEEPS_HISTORY:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "customers" and fk.column.name == "id":
                out.append((table.name, fk.parent.name))
    return out


def merge_customers(session: Session, user: User, customer_ids: Sequence[int], reason: str) -> Customer:
    """CUS-10: keep the earliest-created record; move everything that refers to the others
    over (contacts, follow-ups, applications, deals … any table with a customer FK), keep the more
    complete value of each field (CUS-14), tombstone the others (pool "merged") and record a
    violation for their creators (VIO-1) — or tell the creator's supervisor."""
    if not user.has_role("admin", "gm", "cs"):
        raise Forbidden()
    ids = sorted(set(customer_ids))
    if len(ids) < 2:
        raise InvalidInput({"customer_ids": "至少需要两个客户"}, rule="CUS-10")
    q = select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)
    if is_pg(session):
        q = q.with_for_update()
    rows = list(session.scalars(q))
    if len(rows) != len(ids) or any(c.pool in TOMBSTONE_POOLS for c in rows):
        raise NotFound()
    keep_id = rules.survivor([(c.id, c.created_at) for c in rows])
    keep = next(c for c in rows if c.id == keep_id)
    from sqlalchemy import Table

    tables: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}
    for other in (c for c in rows if c.id != keep_id):
        values = rules.merged_values(_values(keep), _values(other), MERGE_FIELDS)
        apply_changes(
            session,
            keep,
            {k: (getattr(keep, k), v) for k, v in values.items()},
            actor_id=user.id,
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
        _cancel_pending(session, other, user, reason)
        moved: dict[str, int] = {}
        for table_name, column in customer_fk_columns():
            table = tables[table_name]
            result = session.execute(
                update(table).where(table.c[column] == other.id).values({column: keep.id})
            )
            if result.rowcount:  # type: ignore[attr-defined]
                moved[f"{table_name}.{column}"] = int(result.rowcount)  # type: ignore[attr-defined]
        _take_protection(session, keep, other, user)
        tombstone(session, other, pool=POOL_MERGED, actor_id=user.id, rule="CUS-10", reason=reason)
        other.merged_into_id = keep.id
        record(
            session,
            actor_id=user.id,
            action="customer.merge",
            object_type="customer",
            object_id=keep.id,
            before={"merged": other.id, "code": other.code},
            after={"kept": keep.id, "moved": moved},
            rule="CUS-10",
            reason=reason,
        )
        customer_merged.send(session, kept=keep, merged=other, actor_id=user.id, reason=reason)
    session.flush()
    session.expire_all()
    return session.get(Customer, keep_id)  # type: ignore[return-value]


def _cancel_pending(session: Session, c: Customer, user: User, reason: str) -> None:
    for r in session.scalars(
        select(CustomerRequest).where(
            CustomerRequest.customer_id == c.id, CustomerRequest.status == "pending"
        )
    ):
        _decide(r, user, "cancelled", f"CUS-10 {reason}")


def _take_protection(session: Session, keep: Customer, other: Customer, user: User) -> None:
    """A merged-away record protected by a rep hands its protection to the kept record when the
    kept one is unprotected, or protected later (DSP-2: the earlier protection start wins;
    MEM-2: a member's record stays with its owner)."""
    if other.pool != POOL_PRIVATE or other.owner_id is None:
        return
    keep_member = is_active_member(keep.member_until, _today(session))
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
        actor_id=user.id,
    )
    keep.protected_since = other.protected_since or keep.protected_since


# --------------------------------------------------------------------------------------------
# contacts (CUS-17)


def contact_out(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "customer_id": c.customer_id,
        "name": c.name,
        "department": c.department,
        "position": c.position,
        "phone": phone_display(c.phone),
        "mobile": phone_display(c.mobile),
        "email": c.email,
        "is_key_decision_maker": c.is_key_decision_maker,
        "active": c.active,
    }


def list_contacts(
    session: Session, user: User, customer_id: int, *, include_inactive: bool = False
) -> list[Contact]:
    c = get_visible(session, user, customer_id)
    q = (
        select(Contact)
        .where(Contact.customer_id == c.id)
        .order_by(Contact.is_key_decision_maker.desc(), Contact.id)
    )
    if not include_inactive:
        q = q.where(Contact.active.is_(True))
    return list(session.scalars(q))


def _contact_phones(values: dict[str, Any], lang: str) -> dict[str, Any]:
    problems = []
    for key in ("phone", "mobile"):
        if values.get(key):
            e164, problem = normalise_phone(values[key])
            if problem:
                problems.append(rules.Problem(key, "CUS-6", problem))
            else:
                values[key] = e164
    if problems:
        raise _invalid(problems, lang)
    return values


def add_contact(
    session: Session, user: User, customer_id: int, data: ContactIn, *, lang: str = "zh"
) -> Contact:
    """CUS-17: many contacts per customer, with department and position as written."""
    c = get_editable(session, user, customer_id)
    values = _contact_phones({k: _clean(v) for k, v in data.model_dump().items()}, lang)
    if not values.get("name"):
        raise InvalidInput({"name": translate("必填", lang)}, rule="CUS-17")
    contact = Contact(customer_id=c.id, active=True, created_at=clock.now(), **values)
    session.add(contact)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="contact.create",
        object_type="contact",
        object_id=contact.id,
        after=contact_out(contact),
        rule="CUS-17",
    )
    return contact


def update_contact(
    session: Session, user: User, customer_id: int, contact_id: int, patch: ContactPatch, *, lang: str = "zh"
) -> Contact:
    c = get_editable(session, user, customer_id)
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != c.id:
        raise NotFound()
    before = contact_out(contact)
    changes = _contact_phones({k: _clean(v) for k, v in patch.model_dump(exclude_unset=True).items()}, lang)
    if "name" in changes and not changes["name"]:
        raise InvalidInput({"name": translate("必填", lang)}, rule="CUS-17")
    for key, value in changes.items():
        setattr(contact, key, value)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="contact.update",
        object_type="contact",
        object_id=contact.id,
        before=before,
        after=contact_out(contact),
        rule="CUS-17",
    )
    return contact


# --------------------------------------------------------------------------------------------
# history


def ownership_history(session: Session, user: User, customer_id: int) -> list[dict[str, Any]]:
    """POOL-12: the customer's ownership events, oldest first."""
    c = get_visible(session, user, customer_id)
    events = list(
        session.scalars(
            select(OwnershipEvent)
            .where(OwnershipEvent.customer_id == c.id)
            .order_by(OwnershipEvent.at, OwnershipEvent.id)
        )
    )
    people = users_by_id(session, [i for e in events for i in (e.from_owner_id, e.to_owner_id, e.actor_id)])
    return [
        {
            "at": e.at,
            "from_owner": owner_out(people.get(e.from_owner_id)) if e.from_owner_id else None,
            "to_owner": owner_out(people.get(e.to_owner_id)) if e.to_owner_id else None,
            "from_pool": e.from_pool,
            "to_pool": e.to_pool,
            "rule": e.rule,
            "reason": e.reason,
            "actor": owner_out(people.get(e.actor_id)) if e.actor_id else None,
        }
        for e in events
    ]


def change_history(session: Session, user: User, customer_id: int) -> list[dict[str, Any]]:
    """CUS-13: who changed which field when, old and new value."""
    c = get_visible(session, user, customer_id)
    rows = list(
        session.scalars(
            select(CustomerChange)
            .where(CustomerChange.customer_id == c.id)
            .order_by(CustomerChange.at.desc(), CustomerChange.id.desc())
            .limit(500)
        )
    )
    people = users_by_id(session, (r.actor_id for r in rows))
    return [
        {
            "at": r.at,
            "field": r.field,
            "old_value": r.old_value,
            "new_value": r.new_value,
            "actor": owner_out(people.get(r.actor_id)) if r.actor_id else None,
            "reason": r.reason,
        }
        for r in rows
    ]


def pending_applications_for(session: Session, customer_ids: Sequence[int]) -> dict[int, Application]:
    if not customer_ids:
        return {}
    rows = session.scalars(
        select(Application).where(
            Application.customer_id.in_(customer_ids), Application.status == STATUS_PENDING
        )
    )
    return {a.customer_id: a for a in rows}
