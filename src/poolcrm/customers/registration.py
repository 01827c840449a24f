"""Registering a new customer (CUS-1..9, CUS-19): submit, CS review, approve into the private pool, reject."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import (
    KIND_NEW_CUSTOMER,
    STATUS_PENDING,
    STATUS_REJECTED,
    Application,
)
from poolcrm.applications.service import mark_approved, mark_rejected
from poolcrm.audit.service import record
from poolcrm.customers import dedupe, names, rules
from poolcrm.customers.access import lock_customer_row
from poolcrm.customers.checks import (
    REGISTRAR_ROLES,
    check_fields,
    confirmation_needed,
    duplicates,
    lock_identities,
    match_out,
    next_codes,
    provisional_code,
    refuse_exact_duplicate,
    warning_out,
)
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.models import (
    POOL_DELETED,
    POOL_PENDING,
    POOL_PRIVATE,
    POOL_PUBLIC,
    POOL_REJECTED,
    Customer,
)
from poolcrm.customers.schemas import CustomerIn
from poolcrm.errors import Conflict, NotFound, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, lock_users, notify_role, users_by_id
from poolcrm.ownership.moves import move_customer
from poolcrm.ownership.usage import limit_for, owned_count, usage_figures
from poolcrm.policy.service import company_today, get_policy
from poolcrm.pools.rules import is_active_member, pool_full_on_apply, pool_full_on_approve


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
        "needs": values.get("needs"),
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
    today = company_today(session)
    if not user.has_role(*REGISTRAR_ROLES) or is_active_member(member_until, today):
        return
    owned, pending, limit = usage_figures(session, user, today)
    refusal = pool_full_on_apply(owned, pending, limit)
    if refusal is not None:
        raise RuleViolation(
            refusal.rule,
            refusal.message,
            details={"owned": owned, "pending": pending, "limit": limit},
            **refusal.params,
        )


# CUS-19: what a resubmission never changes — the record's identity, place and history.
KEPT_ON_RESUBMIT = frozenset(
    {
        "code",
        "pool",
        "owner_id",
        "created_by",
        "created_at",
        "updated_at",
        "version",
        "status",
        "grade",
        "open_for_redevelopment",
    }
)


@dataclass(frozen=True)
class Vetted:
    """A registration's values after CUS-1..7 and POOL-2, with the matches the rep confirmed."""

    values: dict[str, Any]
    confirmed: list[dict[str, Any]]


def _vet(session: Session, user: User, data: CustomerIn, lang: str, own_id: int | None = None) -> Vetted:
    """CUS-1..7, CUS-16, POOL-2 for a registration (new, or resubmitted after a rejection: CUS-19)."""
    fields = data.model_dump(
        exclude={"confirm_warnings", "confirmed_matches", "confirm_duplicates", "application_remark"}
    )
    checked = check_fields(session, fields, lang=lang, registering=True)
    values = checked.values
    lock_users(session, [user.id])
    lock_identities(session, [(values["name"], (values.get("phone"), values.get("mobile")))])
    matches = [
        m
        for m in duplicates(session, values["name"], (values.get("phone"), values.get("mobile")), lang=lang)
        if m["customer_id"] != own_id
    ]
    refuse_exact_duplicate(matches)
    verdict = rules.duplicate_verdict(
        ((m["customer_id"], m["exact"]) for m in matches), data.confirmed_matches, data.confirm_duplicates
    )
    if verdict.to_confirm or (checked.warnings and not data.confirm_warnings):
        raise confirmation_needed(checked.warnings, matches, lang)
    if values.get("member_until") is not None:
        refusal = rules.reserved_change_problem(
            {"member_until": values["member_until"]}, user.roles, data.application_remark
        )
        if refusal:
            raise RuleViolation("CUS-16", refusal)
    _check_capacity_on_apply(session, user, values.get("member_until"))
    values["confirmed_warnings"] = [warning_out(w, "zh") for w in checked.warnings] or None
    confirmed = [
        {"customer_id": m["customer_id"], "code": m["code"], "name": m["name"], "score": m["score"]}
        for m in matches
        if m["customer_id"] in verdict.confirmed
    ]
    return Vetted(values, confirmed)


def _application(
    session: Session, user: User, customer: Customer, data: CustomerIn, vetted: Vetted, now: datetime
) -> Application:
    application = Application(
        kind=KIND_NEW_CUSTOMER,
        status=STATUS_PENDING,
        customer_id=customer.id,
        applicant_id=user.id,
        remark=data.application_remark,
        confirmed_matches=vetted.confirmed or None,
        created_at=now,
    )
    session.add(application)
    session.flush()
    return application


def register(
    session: Session, user: User, data: CustomerIn, *, lang: str = "zh"
) -> tuple[Application, Customer]:
    """CUS-1..9: check the fields, the duplicates and the pool (POOL-2); create the customer in
    the `pending` pool with a fresh code and a pending `new_customer` application — approved at
    once when the rep's department skips review."""
    vetted = _vet(session, user, data, lang)
    now = clock.now()
    customer = Customer(**new_customer_row(vetted.values, code=provisional_code(), actor_id=user.id, at=now))
    session.add(customer)
    session.flush()
    dedupe.index_customer(session, customer.id, customer.name)
    application = _application(session, user, customer, data, vetted, now)
    reviewed = _needs_review(session, user)
    if reviewed:
        _tell_reviewers(session, customer, user)
    # CUS-8: the code is taken last, so that its counter row (locked by the taking on PostgreSQL)
    # is held only until this transaction commits, not through the work above
    customer.code = next_codes(session)[0]
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
            "confirmed_matches": vetted.confirmed,
            "confirmed_warnings": vetted.values["confirmed_warnings"],
        },
        rule="CUS-9",
    )
    if not reviewed:
        _approve_at_once(session, application, user, now)
    session.flush()
    return application, customer


def resubmit(
    session: Session, user: User, customer_id: int, data: CustomerIn, *, lang: str = "zh"
) -> tuple[Application, Customer]:
    """CUS-19: the registrant fixes a rejected registration and submits it again — the same record,
    the same code, a new application; the checks run as for a new one."""
    customer = _own_rejected(session, user, customer_id)
    vetted = _vet(session, user, data, lang, own_id=customer.id)
    now = clock.now()
    row = new_customer_row(vetted.values, code=customer.code, actor_id=user.id, at=now)
    changed = {k: v for k, v in row.items() if k not in KEPT_ON_RESUBMIT and getattr(customer, k) != v}
    before = {k: getattr(customer, k) for k in changed}
    for key, value in changed.items():
        setattr(customer, key, value)
    customer.updated_at = now
    move_customer(
        session,
        customer,
        to_pool=POOL_PENDING,
        to_owner_id=None,
        rule="CUS-19",
        reason="修改后重新提交",
        actor_id=user.id,
    )
    dedupe.index_customer(session, customer.id, customer.name)
    application = _application(session, user, customer, data, vetted, now)
    record(
        session,
        actor_id=user.id,
        action="customer.resubmit",
        object_type="customer",
        object_id=customer.id,
        before={k: str(v) if v is not None else None for k, v in before.items()},
        after={
            "application_id": application.id,
            **{k: str(v) if v is not None else None for k, v in changed.items()},
        },
        rule="CUS-19",
    )
    _review_or_approve(session, application, customer, user, now)
    session.flush()
    return application, customer


def withdraw(session: Session, user: User, customer_id: int) -> Customer:
    """CUS-19: the registrant withdraws a rejected registration (kept as a tombstone, audited)."""
    customer = _own_rejected(session, user, customer_id)
    move_customer(
        session,
        customer,
        to_pool=POOL_DELETED,
        to_owner_id=None,
        rule="CUS-19",
        reason="登记人撤回",
        actor_id=user.id,
    )
    session.flush()
    return customer


def last_rejection(session: Session, customer_id: int) -> str | None:
    """CUS-19: why the registration was last rejected (shown to the registrant who fixes it)."""
    return session.scalar(
        select(Application.decision_reason)
        .where(Application.customer_id == customer_id, Application.status == STATUS_REJECTED)
        .order_by(Application.id.desc())
        .limit(1)
    )


def _own_rejected(session: Session, user: User, customer_id: int) -> Customer:
    """CUS-19: a rejected registration, for its registrant (anyone else: 404, as for an unknown id)."""
    customer = lock_customer_row(session, customer_id)
    if customer is None or customer.created_by != user.id:
        raise NotFound()
    if customer.pool != POOL_REJECTED:
        raise Conflict("只有被驳回的登记可以重新提交或撤回", rule="CUS-19", code="not_rejected")
    return customer


def _needs_review(session: Session, user: User) -> bool:
    """CUS-9: a registration waits for CS (or the department's reviewer) unless the rep's
    department skips review."""
    policy = get_policy(session)
    return user.has_role(*REGISTRAR_ROLES) and rules.needs_review(
        user.department_id, policy.review_skip_department_ids
    )


def _review_or_approve(
    session: Session, application: Application, customer: Customer, user: User, now: datetime
) -> None:
    """CUS-9: CS (or the department's reviewer) is told of a new registration — unless the rep's
    department skips review, when it is approved at once (POOL-2 checked then)."""
    if _needs_review(session, user):
        _tell_reviewers(session, customer, user)
    else:
        _approve_at_once(session, application, user, now)


def _approve_at_once(session: Session, application: Application, user: User, now: datetime) -> None:
    approve_new_customer(
        session, application, user, reason="免审核" if user.has_role(*REGISTRAR_ROLES) else None
    )
    application.decided_by = user.id
    application.decided_at = now


def _tell_reviewers(session: Session, customer: Customer, user: User) -> None:
    """CUS-9: every active CS user is told of the registration waiting for them."""
    notify_role(
        session,
        "cs",
        "application.waiting",
        "新客户待审核：{name}（{applicant}）",
        link="/applications",
        rule="CUS-9",
        name=customer.name,
        applicant=user.display_name,
    )


def approve_new_customer(
    session: Session, application: Application, actor: User, reason: str | None = None
) -> None:
    """CUS-9: CS approves — the duplicate check and POOL-2 run again inside this transaction
    (the applicant's row locked on PostgreSQL), then the customer enters the applicant's
    private pool (or the public pool when the applicant has no private pool)."""
    applicant = session.get(User, application.applicant_id)
    customer = lock_customer_row(session, application.customer_id)
    if applicant is None or customer is None:
        raise NotFound()
    lock_users(session, [applicant.id])
    if customer.pool != POOL_PENDING:
        raise Conflict(
            "该客户已不在待审核状态（{pool}）", rule="CUS-9", code="already_decided", pool=customer.pool
        )
    found = dedupe.find_duplicates(
        session,
        customer.name,
        (customer.phone, customer.mobile),
        exclude_ids={customer.id},
        min_score=get_policy(session).fuzzy_match_min_score,
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
    today = company_today(session)
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
    refresh_grades(session, [customer.id])  # CUS-11: the grade from the registered facts
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
    customer = lock_customer_row(session, application.customer_id)
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
        dedupe.unindex_customer(session, customer.id, customer.name, customer.name_key)
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
    if org_rules.sees_everyone(actor.roles):
        return True
    return actor.has_role("supervisor", "sales_manager") and is_supervisor_of(
        session, actor.id, application.applicant_id
    )


def pending_applications_for(session: Session, customer_ids: Sequence[int]) -> dict[int, Application]:
    if not customer_ids:
        return {}
    rows = session.scalars(
        select(Application).where(
            Application.customer_id.in_(customer_ids), Application.status == STATUS_PENDING
        )
    )
    return {a.customer_id: a for a in rows}
