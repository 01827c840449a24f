"""What the deal use cases share: the company's day, field checks, history and audit rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import customer_for_read
from poolcrm.customers.models import Customer
from poolcrm.deals import rules
from poolcrm.deals.access import GONE_POOLS
from poolcrm.deals.models import (
    Deal,
    DealCategoryChange,
    DealCompetitor,
    DealProduct,
)
from poolcrm.deals.schemas import CompetitorIn, ProductIn
from poolcrm.deals.tables import category_rules
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.policy.rules import Policy


def product_lines(products: Sequence[ProductIn]) -> list[rules.ProductLine]:
    return [rules.ProductLine(p.name, p.quantity, p.unit_price, p.model) for p in products]


def details_of(deal: Deal) -> dict[str, str | None]:
    return {name: getattr(deal, name) for name in rules.DETAIL_FIELDS}


def fill(message: str, **params: Any) -> str:
    return message.format(**params) if params else message


def refuse_fields(rule: str, problems: dict[str, str]) -> None:
    if problems:
        raise InvalidInput(problems, rule=rule)


def check_stage(session: Session, category: str, stage: int, field: str = "stage") -> None:
    """DEAL-2/DEAL-3 → 422 citing DEAL-2."""
    table = category_rules(session)
    problem = rules.stage_problem(category, stage, table)
    if problem:
        rule = table.get(category, rules.CategoryRule(0, 10))
        params = {"min_stage": rule.min_stage, "max_stage": rule.max_stage}
        raise InvalidInput({field: fill(problem, **params)}, problem, rule="DEAL-2", **params)


def check_close_date(expected: date, created_on: date, today: date) -> None:
    problem = rules.close_date_problem(expected, created_on, today)
    if problem:
        raise InvalidInput({"expected_close_on": problem}, problem, rule="DEAL-5")


def check_horizon(category: str, expected: date, today: date, policy: Policy) -> None:
    """DEAL-2: the expected close date within the category's horizon → 422 naming expected_close_on."""
    horizons = {"short_months": policy.deal_short_months, "mid_months": policy.deal_mid_months}
    problem = rules.horizon_problem(category, expected, today, **horizons)
    if problem:
        months = rules.close_horizon_months(category, **horizons)
        raise InvalidInput(
            {"expected_close_on": fill(problem, months=months)}, problem, rule="DEAL-2", months=months
        )


def check_channel(session: Session, actor: User, channel_id: int | None) -> None:
    """DEAL-1: the associated channel is a distributor known to the CRM and visible to the actor
    (POOL-3/ORG-5: another rep's private customer answers 404, exactly like an unknown id)."""
    if channel_id is None:
        return
    channel = customer_for_read(session, actor, channel_id)
    if channel.pool in GONE_POOLS:
        raise NotFound()
    if channel.customer_type != "distributor":
        raise InvalidInput(
            {"channel_customer_id": "关联渠道须为分销商客户"}, "关联渠道须为分销商客户", rule="DEAL-1"
        )


def deal_warnings(deal: Deal, policy: Policy) -> list[dict[str, str]]:
    message = rules.horizon_warning(
        deal.category,
        deal.expected_close_on,
        clock.today(policy.timezone),
        short_months=policy.deal_short_months,
        mid_months=policy.deal_mid_months,
    )
    if not message:
        return []
    months = rules.close_horizon_months(
        deal.category, short_months=policy.deal_short_months, mid_months=policy.deal_mid_months
    )
    params = {"months": months if months is not None else policy.deal_mid_months}
    return [{"rule": "DEAL-2", "message": message, "params": params}]  # type: ignore[dict-item]


def next_number(session: Session, customer: Customer) -> tuple[int, str]:
    """DEAL-8: the customer's next deal sequence (its highest + 1) and the deal number it makes
    (customer code + `OP` + sequence) — for a new deal and for a deal a merge moves over (CUS-10).
    The caller holds the customer's row lock."""
    seq = (session.scalar(select(func.max(Deal.seq)).where(Deal.customer_id == customer.id)) or 0) + 1
    return seq, rules.deal_number(customer.code, seq)


def record_history(session: Session, deal: Deal, actor_id: int | None, at: datetime) -> None:
    session.add(
        DealCategoryChange(
            deal_id=deal.id,
            at=at,
            category=deal.category,
            stage=deal.stage,
            status=deal.status,
            actor_id=actor_id,
        )
    )


def audit_deal(
    session: Session,
    actor_id: int | None,
    action: str,
    deal: Deal,
    before: Any,
    after: Any,
    rule: str,
    reason: str | None = None,
) -> None:
    record(
        session,
        actor_id=actor_id,
        action=action,
        object_type="deal",
        object_id=deal.id,
        before=before,
        after=after,
        rule=rule,
        reason=reason,
    )


def set_products(deal: Deal, products: Sequence[ProductIn]) -> None:
    deal.products.clear()
    for p in products:
        deal.products.append(
            DealProduct(
                name=p.name.strip(),
                model=(p.model or "").strip() or None,
                quantity=p.quantity,
                unit_price=p.unit_price,
                line_total=rules.line_total(p.quantity, p.unit_price),
            )
        )
    deal.amount = rules.deal_amount(product_lines(products))


def check_market(
    source: str | None, evaluations: Sequence[CompetitorIn] | None, policy: Policy, today: date
) -> None:
    """DEAL-11 (source from the list) and DEAL-10 (competitor evaluations) → 422 naming the field."""
    if source is not None:
        problem = rules.source_problem(source, policy.deal_sources)
        refuse_fields("DEAL-11", {"source": problem} if problem else {})
    if evaluations:
        evals = [
            rules.CompetitorEval(e.competitor, e.strengths, e.weaknesses, e.evaluated_on) for e in evaluations
        ]
        refuse_fields("DEAL-10", rules.competitor_problems(evals, policy.deal_competitors, today))


def set_competitors(deal: Deal, evaluations: Sequence[CompetitorIn]) -> None:
    """DEAL-10: the deal's competitor evaluations, replaced as a whole."""
    deal.competitor_evaluations.clear()
    for e in evaluations:
        deal.competitor_evaluations.append(
            DealCompetitor(
                competitor=e.competitor,
                strengths=e.strengths.strip(),
                weaknesses=e.weaknesses.strip(),
                evaluated_on=e.evaluated_on,
            )
        )


def deal_state(deal: Deal) -> dict[str, Any]:
    return {
        "category": deal.category,
        "stage": deal.stage,
        "status": deal.status,
        "expected_close_on": deal.expected_close_on.isoformat(),
        "owner_id": deal.owner_id,
        "amount": str(deal.amount),
        "name": deal.name,
        "intention": deal.intention,
        "channel_customer_id": deal.channel_customer_id,
        "source": deal.source,
        "competitors": sorted(e.competitor for e in deal.competitor_evaluations),
    }
