"""Creating and changing deals (DEAL-1..5, DEAL-10, DEAL-11), and moving open deals with their
customer (POOL-15)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import lock_customer_row
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.deals import rules
from poolcrm.deals.access import GONE_POOLS, OPEN, lock_deal
from poolcrm.deals.common import (
    audit_deal,
    check_channel,
    check_close_date,
    check_horizon,
    check_market,
    check_stage,
    deal_state,
    details_of,
    next_number,
    product_lines,
    record_history,
    refuse_fields,
    set_competitors,
    set_products,
)
from poolcrm.deals.models import (
    Deal,
)
from poolcrm.deals.rollup import snapshot_month
from poolcrm.deals.schemas import DealIn, DealPatch, ProductIn
from poolcrm.errors import Conflict, InvalidInput, NotFound, RuleViolation
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, visible_owner_ids
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import get_policy
from poolcrm.pools.rules import is_active_member


def _customer_for_new_deal(session: Session, actor: User, customer_id: int) -> Customer:
    """DEAL-1 on a customer the actor may see (ORG-5), or open for redevelopment (MEM-1), locked."""
    customer = lock_customer_row(session, customer_id)
    if customer is None or customer.pool in GONE_POOLS:
        raise NotFound()
    scope = visible_owner_ids(session, actor)
    visible = (
        scope is None
        or customer.owner_id in scope
        or customer.open_for_redevelopment
        or customer.pool == "public"
    )
    if not visible:
        raise NotFound()
    if customer.customer_type != "direct":
        raise RuleViolation(
            "DEAL-1", "只能为直接客户建立跟单；分销商客户请作为关联渠道", details={"customer_id": customer.id}
        )
    return customer


def _new_deal_verdict(session: Session, actor: User, customer: Customer, today: date) -> rules.CreateVerdict:
    """DEAL-1/DSP-3: who holds a new deal on this customer, or why the actor may not open one."""
    return rules.who_owns_new_deal(
        actor_id=actor.id,
        actor_is_sales=actor.has_role("sales"),
        actor_manages_owner=customer.owner_id is not None
        and is_supervisor_of(session, actor.id, customer.owner_id),
        actor_sees_all=org_rules.sees_everyone(actor.roles) and org_rules.manages_everyone(actor.roles),
        customer_owner_id=customer.owner_id if customer.pool == POOL_PRIVATE else None,
        open_for_redevelopment=customer.open_for_redevelopment
        and is_active_member(customer.member_until, today),
    )


def may_open_deal(session: Session, actor: User, customer: Customer) -> bool:
    """DEAL-1/DSP-3: whether the actor may open a deal on this customer (the page's 新建跟单)."""
    if customer.pool in GONE_POOLS or customer.customer_type != "direct":
        return False
    return _new_deal_verdict(session, actor, customer, clock.today(get_policy(session).timezone)).allowed


def _new_deal_owner(session: Session, actor: User, customer: Customer, today: date) -> rules.CreateVerdict:
    verdict = _new_deal_verdict(session, actor, customer, today)
    if not verdict.allowed:
        raise RuleViolation(verdict.rule, verdict.message or "", details={"customer_id": customer.id})
    return verdict


def _first_deal_makes_intent(
    session: Session, customer: Customer, deal: Deal, actor: User, now: datetime
) -> None:
    """CUS-12: a potential customer with a deal becomes an intent customer (audited)."""
    if customer.status != "potential":
        return
    customer.status = "intent"
    customer.updated_at = now
    record(
        session,
        actor_id=actor.id,
        action="customer.status",
        object_type="customer",
        object_id=customer.id,
        before={"status": "potential"},
        after={"status": "intent"},
        rule="CUS-12",
        reason=f"跟单 {deal.number}",
    )


def create_deal(session: Session, actor: User, data: DealIn) -> Deal:
    policy = get_policy(session)
    today = clock.today(policy.timezone)
    customer = _customer_for_new_deal(session, actor, data.customer_id)
    verdict = _new_deal_owner(session, actor, customer, today)
    check_channel(session, actor, data.channel_customer_id)
    check_stage(session, data.category, data.stage)
    check_close_date(data.expected_close_on, today, today)
    check_horizon(data.category, data.expected_close_on, today, policy)
    details = data.details.model_dump()
    refuse_fields(
        "DEAL-4",
        rules.deal_content_problems(
            data.intention, policy.deal_product_categories, product_lines(data.products), details
        ),
    )

    source = (
        data.source if data.source is not None else rules.default_source(customer.source, policy.deal_sources)
    )
    check_market(source, data.competitor_evaluations, policy, today)

    seq, number = next_number(session, customer)
    now = clock.now()
    deal = Deal(
        number=number,
        seq=seq,
        customer_id=customer.id,
        channel_customer_id=data.channel_customer_id,
        owner_id=verdict.owner_id,
        created_by=actor.id,
        name=data.name.strip(),
        category=data.category,
        stage=data.stage,
        max_stage=data.stage,
        status=data.status,
        expected_close_on=data.expected_close_on,
        intention=data.intention or "",
        amount=Decimal("0"),
        dispute_needed=False,
        last_activity_at=now,
        created_at=now,
        updated_at=now,
        **{k: (v or "").strip() for k, v in details.items()},
    )
    deal.source = source
    set_products(deal, data.products)
    set_competitors(deal, data.competitor_evaluations)
    session.add(deal)
    session.flush()
    record_history(session, deal, actor.id, now)
    snapshot_month(session, deal, policy)
    refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
    audit_deal(session, actor.id, "deal.create", deal, None, deal_state(deal), verdict.rule)
    _first_deal_makes_intent(session, customer, deal, actor, now)
    session.flush()
    return deal


def update_deal(session: Session, actor: User, deal_id: int, patch: DealPatch) -> Deal:
    policy = get_policy(session)
    today = clock.today(policy.timezone)
    deal = lock_deal(session, actor, deal_id)
    if patch.version is not None and patch.version != deal.version:
        raise Conflict("该跟单已被他人修改，请刷新后重试", rule="GOV-2a", details={"version": deal.version})
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}），不能再修改", category=rules.CATEGORY_LABELS[deal.category]
        )
    given = patch.model_fields_set - {"version"}
    nulls = {f: "必填" for f in given if getattr(patch, f) is None and f != "channel_customer_id"}
    refuse_fields("DEAL-4" if nulls.keys() & {"intention", "products", "details"} else "DEAL-2", nulls)

    new_category = patch.category if "category" in given else deal.category
    if new_category in (rules.SIGNED, rules.WON, rules.LOST):
        raise RuleViolation("DEAL-8", "签约请登记合同（收款完毕即成交），丢单请使用“丢单”操作并写明原因")
    if new_category not in OPEN:
        raise InvalidInput({"category": "未知的跟单分类"}, rule="DEAL-2")
    missing = rules.category_change_missing(deal.category, new_category, given)
    if missing:
        raise InvalidInput(
            {f: "变更分类时须同时更新跟单阶段、跟单状态和预计成交日期" for f in missing},
            "变更分类时须同时更新跟单阶段、跟单状态和预计成交日期",
            rule="DEAL-2",
        )
    new_stage = patch.stage if patch.stage is not None else deal.stage
    if "stage" in given or new_category != deal.category:
        check_stage(session, new_category, new_stage)
    if patch.expected_close_on is not None:
        check_close_date(patch.expected_close_on, clock.local_date(deal.created_at, policy.timezone), today)
    if given & {"category", "expected_close_on"}:
        check_horizon(new_category, patch.expected_close_on or deal.expected_close_on, today, policy)
    if given & {"intention", "products", "details"}:
        _apply_content(deal, patch, given, policy)
    if "channel_customer_id" in given:
        check_channel(session, actor, patch.channel_customer_id)
        deal.channel_customer_id = patch.channel_customer_id
    check_market(patch.source, patch.competitor_evaluations, policy, today)

    before = deal_state(deal)
    if patch.source is not None:
        deal.source = patch.source
    if patch.competitor_evaluations is not None:
        set_competitors(deal, patch.competitor_evaluations)
    track_before = (deal.category, deal.stage, deal.status)
    if patch.name is not None:
        deal.name = patch.name.strip()
    deal.category, deal.stage = new_category, new_stage
    deal.max_stage = max(deal.max_stage, new_stage)
    if patch.status is not None:
        deal.status = patch.status
    if patch.expected_close_on is not None:
        deal.expected_close_on = patch.expected_close_on
    now = clock.now()
    deal.updated_at = now
    if (deal.category, deal.stage, deal.status) != track_before:
        record_history(session, deal, actor.id, now)
    after = deal_state(deal)
    changed = {k for k in after if after[k] != before[k]}
    session.flush()
    snapshot_month(session, deal, policy)
    refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
    if changed or given & {"products", "details", "competitor_evaluations"}:
        audit_deal(
            session,
            actor.id,
            "deal.update",
            deal,
            {k: before[k] for k in changed},
            {k: after[k] for k in changed},
            "DEAL-2" if "category" in changed else "DEAL-3",
        )
    session.flush()
    return deal


def _apply_content(deal: Deal, patch: DealPatch, given: set[str], policy: Policy) -> None:
    """DEAL-4: intention, products and details change together and must stay complete."""
    details = details_of(deal)
    if patch.details is not None:
        details.update(
            {k: v for k, v in patch.details.model_dump().items() if k in patch.details.model_fields_set}
        )
    products = (
        patch.products
        if patch.products is not None
        else [
            ProductIn(name=p.name, quantity=p.quantity, unit_price=p.unit_price, model=p.model)
            for p in deal.products
        ]
    )
    intention = patch.intention if "intention" in given else deal.intention
    refuse_fields(
        "DEAL-4",
        rules.deal_content_problems(
            intention, policy.deal_product_categories, product_lines(products), details
        ),
    )
    deal.intention = intention or ""
    for name, value in details.items():
        setattr(deal, name, (value or "").strip())
    if patch.products is not None:
        set_products(deal, patch.products)


def move_open_deals_with_customer(
    session: Session, customer: Customer, from_owner: int | None, to_owner: int | None, actor_id: int | None
) -> None:
    """POOL-15: the customer's open deals held by the former owner (or by nobody) follow it."""
    deals = session.scalars(
        select(Deal).where(
            Deal.customer_id == customer.id,
            Deal.category.in_(OPEN),
            or_(Deal.owner_id == from_owner, Deal.owner_id.is_(None))
            if from_owner is not None
            else Deal.owner_id.is_(None),
        )
    ).all()
    if not deals:
        return
    policy = get_policy(session)
    for deal in deals:
        before = deal.owner_id
        deal.owner_id = to_owner
        deal.updated_at = clock.now()
        session.flush()
        snapshot_month(session, deal, policy)
        refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
        audit_deal(
            session, actor_id, "deal.owner", deal, {"owner_id": before}, {"owner_id": to_owner}, "POOL-15"
        )
