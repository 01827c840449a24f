"""Inbound use cases (IN-1, IN-2): CS records a call or trial request; the duplicate check (CUS-7)
decides at once — owner notified, public customer moved into the duty rep's private pool, or an
unknown company handed to the duty rep to register (CUS-9). Every item is logged and audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import KIND_NEW_CUSTOMER, STATUS_PENDING, Application
from poolcrm.audit.service import record
from poolcrm.customers import checks, dedupe
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import POOL_PRIVATE, TOMBSTONE_POOLS, Customer
from poolcrm.duty import service as duty
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.i18n import TERMS, translate
from poolcrm.inbound import rules
from poolcrm.inbound.models import OUTCOME_DUTY, OUTCOME_NEW, OUTCOME_OWNER, InboundItem
from poolcrm.inbound.schemas import InboundIn
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.ownership.moves import move_customer
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_today, get_policy

KIND_NAMES = {"call": "来电", "trial": "试用申请"}
POOL_NAMES = {"public": "公海", "bin": "待分配"}


def _brief(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name}


def _registrant(session: Session, customer_id: int) -> int | None:
    return session.scalar(
        select(Application.applicant_id).where(
            Application.customer_id == customer_id,
            Application.kind == KIND_NEW_CUSTOMER,
            Application.status == STATUS_PENDING,
        )
    )


def _match_rows(session: Session, found: list[dedupe.Found], lang: str) -> list[dict[str, Any]]:
    owners = users_by_id(session, (f.customer.owner_id for f in found))
    return [checks.match_out(f, owners, lang) for f in found]


def register_link(item_id: int) -> str:
    """IN-2: the registration (CUS-9) the duty rep opens for an unknown company. The link names the
    stored item and the form is prefilled from it (`registration_prefill`): a link never carries
    the caller's text, which may be far longer than a notification's link (SEC-1)."""
    return f"/customers/new?inbound={item_id}"


def registration_prefill(session: Session, user: User, item_id: int) -> dict[str, str]:
    """IN-2: the registration form's values (name, phone, remark) from an inbound item the user
    may read — CS and the duty rep it went to; anyone else gets 404."""
    item = get_item(session, user, item_id)
    kind = KIND_NAMES.get(item.kind, item.kind)
    remark = f"{kind}：{item.need}" if item.need else kind
    values = {"name": item.company, "phone": item.phone or "", "remark": remark}
    return {k: v for k, v in values.items() if v}


@dataclass
class _Routed:
    """Who takes an inbound item and what CS is told (IN-1/IN-2)."""

    assigned: User
    explanation: str
    params: dict[str, Any]
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _identify(
    session: Session, data: InboundIn, found: list[Any], phone: str | None, policy: Policy
) -> Customer | None:
    """IN-1a: the caller's customer — named by CS, or the duplicate check's match — locked and
    re-read (None for an unknown company)."""
    if data.customer_id is not None:
        chosen_id: int | None = data.customer_id
    else:
        phones = set(dedupe.phone_keys(phone))
        candidate = rules.identify_caller(
            (
                rules.Candidate(
                    f.customer.id, f.score, f.exact, bool(phones & {f.customer.phone, f.customer.mobile})
                )
                for f in found
            ),
            policy.inbound_match_min_score,
        )
        chosen_id = candidate.customer_id if candidate else None
    if chosen_id is None:
        return None
    customer = lock_customers(session, [chosen_id]).get(chosen_id)
    if customer is None or customer.pool in TOMBSTONE_POOLS:
        if data.customer_id is not None:
            raise NotFound()
        return None
    return customer


def _tell(
    session: Session, user_id: int, message: str, link: str, rule: str, data: InboundIn, **params: Any
) -> None:
    notify(
        session,
        user_id,
        "inbound",
        message,
        link=link,
        rule=rule,
        what=KIND_NAMES[data.kind],
        _terms=["what"],
        need=data.need or "-",
        **params,
    )


def _to_owner(session: Session, customer: Customer, registrant: int | None, data: InboundIn) -> _Routed:
    """IN-1 (IN-1b, IN-2a): the owner — or the registrant of a pending registration, or a departed
    owner's supervisor — is told to call back."""
    owner_id = customer.owner_id if customer.pool == POOL_PRIVATE else registrant
    owner = session.get(User, owner_id)
    assert owner is not None
    params: dict[str, Any] = {"customer": customer.name, "code": customer.code, "owner": owner.display_name}
    explanation = (
        "{customer}（{code}）在 {owner} 的私海中，已通知 {owner} 联系"
        if customer.pool == POOL_PRIVATE
        else "{customer}（{code}）已由 {owner} 登记、等待审核，已通知 {owner} 联系"
    )
    assigned = owner
    if rules.who_answers_for(owner.active, owner.supervisor_id) == "supervisor":
        supervisor = session.get(User, owner.supervisor_id)
        assert supervisor is not None
        assigned = supervisor
        params["supervisor"] = assigned.display_name
        explanation = "{customer}（{code}）的负责人 {owner} 已离职，已通知其主管 {supervisor} 安排联系"
    _tell(
        session,
        assigned.id,
        "客户 {customer} {what}，请尽快联系（需求：{need}）",
        f"/customers/{customer.id}",
        "IN-1",
        data,
        customer=customer.name,
    )
    return _Routed(assigned, explanation, params)


def _to_duty(
    session: Session, actor: User, customer: Customer, data: InboundIn, day: date, now: datetime
) -> _Routed:
    """IN-2: a public (or binned) customer moves into the duty rep's private pool."""
    pick = duty.pick_duty_rep(session, day)
    params = {
        "customer": customer.name,
        "code": customer.code,
        "rep": pick.user.display_name,
        "pool": POOL_NAMES.get(customer.pool, customer.pool),
    }
    move_customer(
        session,
        customer,
        to_pool=POOL_PRIVATE,
        to_owner_id=pick.user.id,
        rule="IN-2",
        reason=f"{KIND_NAMES[data.kind]}分配给值班销售",
        actor_id=actor.id,
        at=now,
    )
    _tell(
        session,
        pick.user.id,
        "{what}客户 {customer} 已划入你的私海，请尽快联系（需求：{need}）",
        f"/customers/{customer.id}",
        "IN-2",
        data,
        customer=customer.name,
    )
    explanation = "{customer}（{code}）在{pool}，已划入值班销售 {rep} 的私海并通知联系"
    return _Routed(pick.user, explanation, params, pick.skipped)


def _to_duty_for_registration(session: Session, company: str, day: date) -> _Routed:
    """IN-2: an unknown company goes to the duty rep, who registers it (CUS-9); they are told
    once the item is stored (`_tell_registration`), so the link can name it."""
    pick = duty.pick_duty_rep(session, day)
    explanation = "系统中没有 {company}，已通知值班销售 {rep} 登记新客户，审核进入私海后联系"
    params = {"company": company, "rep": pick.user.display_name}
    return _Routed(pick.user, explanation, params, pick.skipped)


def _tell_registration(session: Session, item: InboundItem, data: InboundIn) -> None:
    """IN-2: the duty rep is told to register the new company from the prefilled form."""
    assert item.assigned_to is not None
    _tell(
        session,
        item.assigned_to,
        "新单位 {company} {what}，请登记新客户后联系（需求：{need}）",
        register_link(item.id),
        "IN-2",
        data,
        company=item.company,
    )


def record_inbound(session: Session, actor: User, data: InboundIn, *, lang: str = "zh") -> InboundItem:
    """IN-1/IN-2 in one transaction. The matched customer's row is locked and re-read before the
    decision, so two CS handling the same public customer at once give it exactly one owner: the
    second sees it private and notifies the owner the first one chose."""
    if not rules.records_inbound(actor.roles):
        raise Forbidden("只有客服可以登记来电和试用申请", rule="IN-1")
    policy = get_policy(session)
    company = data.company.strip()
    if not company:
        raise InvalidInput({"company": "必填"}, rule="IN-1")
    phone, problem = checks.normalise_phone(data.phone)
    if problem:
        raise InvalidInput({"phone": problem}, rule="CUS-6")
    stored_phone = phone or (data.phone or "").strip() or None
    found = dedupe.find_duplicates(session, company, [phone], min_score=policy.fuzzy_match_min_score)
    matches = _match_rows(session, found, "zh")
    customer = _identify(session, data, found, phone, policy)
    registrant = _registrant(session, customer.id) if customer and customer.pool == "pending" else None
    route = rules.route_inbound(
        customer.pool if customer else None, customer.owner_id if customer else None, registrant
    )
    day = company_today(session)
    now = clock.now()
    if route.outcome == OUTCOME_OWNER:
        assert customer is not None
        routed = _to_owner(session, customer, registrant, data)
    elif route.outcome == OUTCOME_DUTY:
        assert customer is not None
        routed = _to_duty(session, actor, customer, data, day, now)
    else:
        routed = _to_duty_for_registration(session, company, day)
    params = {"kind": KIND_NAMES[data.kind], **routed.params}
    item = InboundItem(
        kind=data.kind,
        company=company,
        phone=stored_phone,
        need=(data.need or "").strip() or None,
        outcome=route.outcome,
        customer_id=customer.id if customer else None,
        assigned_to=routed.assigned.id,
        rule=route.rule,
        explanation=routed.explanation,
        params=params,
        matches=matches or None,
        skipped=routed.skipped or None,
        recorded_by=actor.id,
        created_at=now,
    )
    session.add(item)
    session.flush()
    if route.outcome == OUTCOME_NEW:
        _tell_registration(session, item, data)
    record(
        session,
        actor_id=actor.id,
        action="inbound.record",
        object_type="inbound_item",
        object_id=item.id,
        after={
            "kind": item.kind,
            "company": company,
            "outcome": item.outcome,
            "customer_id": item.customer_id,
            "assigned_to": item.assigned_to,
            "skipped": [s["id"] for s in routed.skipped],
        },
        rule=route.rule,
        reason=translate(routed.explanation, "zh", **params),
    )
    return item


def item_out(session: Session, item: InboundItem, lang: str = "zh") -> dict[str, Any]:
    customer = session.get(Customer, item.customer_id) if item.customer_id else None
    text = translate(item.explanation, lang, **{TERMS: ["kind", "pool"], **(item.params or {})})
    return {
        "id": item.id,
        "kind": item.kind,
        "company": item.company,
        "phone": item.phone,
        "need": item.need,
        "outcome": item.outcome,
        "customer_id": item.customer_id,
        "customer": None
        if customer is None
        else {"id": customer.id, "code": customer.code, "name": customer.name, "pool": customer.pool},
        "assigned_to": _brief(session.get(User, item.assigned_to) if item.assigned_to else None),
        "rule": item.rule,
        "explanation": f"{item.rule}: {text}",
        "skipped": item.skipped or [],
        "matches": item.matches or [],
        "register_link": register_link(item.id) if item.outcome == OUTCOME_NEW else None,
        "recorded_by": _brief(session.get(User, item.recorded_by)),
        "created_at": item.created_at,
    }


def list_items(session: Session, user: User, *, limit: int = 50, offset: int = 0) -> list[InboundItem]:
    """IN-1: the inbound log — CS, admin and the GM see every item; a rep sees the items that came
    to them."""
    q = select(InboundItem).order_by(InboundItem.id.desc()).limit(limit).offset(offset)
    if not rules.reads_whole_log(user.roles):
        q = q.where(InboundItem.assigned_to == user.id)
    return list(session.scalars(q))


def console_items(session: Session, user: User, limit: int = 30) -> list[InboundItem]:
    """IN-1: the CS console — the latest items, for those who read the whole log."""
    if not rules.reads_whole_log(user.roles):
        raise Forbidden(rule="IN-1")
    return list_items(session, user, limit=limit)


def get_item(session: Session, user: User, item_id: int) -> InboundItem:
    item = session.get(InboundItem, item_id)
    if item is None or (not rules.reads_whole_log(user.roles) and item.assigned_to != user.id):
        raise NotFound()
    return item


OUTCOME_NAMES = {
    OUTCOME_OWNER: "已通知负责人",
    OUTCOME_DUTY: "已分配给值班销售",
    OUTCOME_NEW: "新单位，待值班销售登记",
}
