"""Deal use cases (DEAL-1..10, DSP-3, WORK-4, CUS-12, POOL-15, VIO-4): load, ask `deals.rules`,
write, audit. Services flush, never commit."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, func, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.models import POOL_DELETED, POOL_MERGED, POOL_PRIVATE, POOL_REJECTED, Customer
from poolcrm.deals import rules
from poolcrm.deals.models import (
    Deal,
    DealCategoryChange,
    DealCategoryRule,
    DealMonth,
    DealMonthTotal,
    DealProduct,
    DealProgress,
    DealRollupState,
    DealStage,
)
from poolcrm.deals.schemas import DealIn, DealPatch, LoseIn, ProductIn, ProgressIn, WinIn
from poolcrm.deals.signals import deal_won
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import Department, User
from poolcrm.org.service import is_supervisor_of, visible_owner_ids
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import get_policy
from poolcrm.pools.rules import is_active_member

GONE_POOLS = (POOL_MERGED, POOL_DELETED, POOL_REJECTED)
OPEN = rules.OPEN_CATEGORIES


# ---------------------------------------------------------------- tables an admin edits (DEAL-2/3)


def stage_table(session: Session) -> list[rules.StageDef]:
    """DEAL-3: the stage table in force — stored rows over the seed's defaults."""
    stored = {row.stage: row for row in session.scalars(select(DealStage))}
    out = []
    for default in rules.DEFAULT_STAGES:
        row = stored.get(default.stage)
        out.append(
            rules.StageDef(row.stage, row.probability, row.customer_desc, row.agent_desc) if row else default
        )
    return out


def probabilities(session: Session) -> dict[int, int]:
    return {s.stage: s.probability for s in stage_table(session)}


def category_rules(session: Session) -> dict[str, rules.CategoryRule]:
    """DEAL-2: the category floors/ceilings in force — stored rows over the defaults."""
    merged = dict(rules.DEFAULT_CATEGORY_RULES)
    for row in session.scalars(select(DealCategoryRule)):
        merged[row.category] = rules.CategoryRule(row.min_stage, row.max_stage)
    return merged


def set_stage(
    session: Session, actor: User, stage: int, probability: int, customer_desc: str, agent_desc: str
) -> rules.StageDef:
    """DEAL-3: an admin edits one row of the stage table (audited)."""
    current = stage_table(session)
    if not rules.MIN_STAGE <= stage <= rules.MAX_STAGE:
        raise NotFound()
    new = rules.StageDef(stage, probability, customer_desc.strip(), agent_desc.strip())
    table = [new if s.stage == stage else s for s in current]
    problem = rules.stage_table_problem(table)
    if problem:
        raise InvalidInput({"probability": problem}, problem, rule="DEAL-3")
    row = session.get(DealStage, stage)
    before = current[stage].__dict__.copy()
    if row is None:
        row = DealStage(stage=stage)
        session.add(row)
    row.probability, row.customer_desc, row.agent_desc = new.probability, new.customer_desc, new.agent_desc
    row.updated_at, row.updated_by = clock.now(), actor.id
    record(
        session,
        actor_id=actor.id,
        action="deal_stage.update",
        object_type="deal_stage",
        object_id=stage,
        before=before,
        after=new.__dict__.copy(),
        rule="DEAL-3",
    )
    session.flush()
    return new


def set_category_rule(
    session: Session, actor: User, category: str, min_stage: int, max_stage: int
) -> rules.CategoryRule:
    """DEAL-2: an admin edits a category's stage floor and ceiling (audited)."""
    if category not in rules.CATEGORIES:
        raise NotFound()
    current = category_rules(session)
    new = rules.CategoryRule(min_stage, max_stage)
    problem = rules.category_rules_problem({**current, category: new})
    if problem:
        raise InvalidInput({"min_stage": problem}, problem, rule="DEAL-2")
    row = session.get(DealCategoryRule, category)
    if row is None:
        row = DealCategoryRule(category=category)
        session.add(row)
    row.min_stage, row.max_stage = min_stage, max_stage
    row.updated_at, row.updated_by = clock.now(), actor.id
    record(
        session,
        actor_id=actor.id,
        action="deal_category.update",
        object_type="deal_category",
        object_id=category,
        before=current[category].__dict__.copy(),
        after=new.__dict__.copy(),
        rule="DEAL-2",
    )
    session.flush()
    return new


# ---------------------------------------------------------------- access (ORG-5)


def _may_see(session: Session, user: User, deal: Deal) -> bool:
    scope = visible_owner_ids(session, user)
    if scope is None or deal.owner_id in scope:
        return True
    owner = session.scalar(select(Customer.owner_id).where(Customer.id == deal.customer_id))
    return owner in scope


def _may_act(session: Session, user: User, deal: Deal) -> bool:
    """ORG-5: the deal's owner, the owner's supervisors, admin and GM may change a deal."""
    if user.has_role("admin", "gm"):
        return True
    if deal.owner_id is None:
        return False
    return deal.owner_id == user.id or is_supervisor_of(session, user.id, deal.owner_id)


def may_act(session: Session, user: User, deal: Deal) -> bool:
    return deal.category in OPEN and _may_act(session, user, deal)


def followup_subjects() -> tuple[str, ...]:
    """FU-2 subjects offered for the follow-up a progress record creates (DEAL-6)."""
    from poolcrm.followups.rules import SUBJECTS

    return SUBJECTS


def category_history(session: Session, deal: Deal) -> list[dict[str, Any]]:
    """DEAL-7: every category / stage / status the deal took."""
    rows = session.scalars(
        select(DealCategoryChange)
        .where(DealCategoryChange.deal_id == deal.id)
        .order_by(DealCategoryChange.at, DealCategoryChange.id)
    )
    return [
        {
            "at": r.at.isoformat(),
            "category": r.category,
            "stage": r.stage,
            "status": r.status,
            "actor_id": r.actor_id,
        }
        for r in rows
    ]


def get_deal(session: Session, user: User, deal_id: int, *, act: bool = False) -> Deal:
    """404 when not visible, 403 when visible but not the user's to change (ORG-5)."""
    deal = session.get(Deal, deal_id)
    if deal is None or not _may_see(session, user, deal):
        raise NotFound()
    if act and not _may_act(session, user, deal):
        raise Forbidden()
    return deal


def _lock_deal(session: Session, user: User, deal_id: int) -> Deal:
    deal = get_deal(session, user, deal_id, act=True)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Deal.id).where(Deal.id == deal_id).with_for_update())
        session.refresh(deal)
    return deal


def _lock_customer(session: Session, customer_id: int) -> Customer | None:
    q = select(Customer).where(Customer.id == customer_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return session.scalars(q).one_or_none()


# ---------------------------------------------------------------- helpers


def _today(policy: Policy) -> date:
    return clock.today(policy.timezone)


def _local_day(moment: datetime, policy: Policy) -> date:
    return clock.local(moment, policy.timezone).date()


def _lines(products: Sequence[ProductIn]) -> list[rules.ProductLine]:
    return [rules.ProductLine(p.name, p.quantity, p.unit_price, p.model) for p in products]


def _details_of(deal: Deal) -> dict[str, str | None]:
    return {name: getattr(deal, name) for name in rules.DETAIL_FIELDS}


def _fmt(message: str, **params: Any) -> str:
    return message.format(**params) if params else message


def _refuse_fields(rule: str, problems: dict[str, str]) -> None:
    if problems:
        raise InvalidInput(problems, rule=rule)


def _check_stage(session: Session, category: str, stage: int, field: str = "stage") -> None:
    """DEAL-2/DEAL-3 → 422 citing DEAL-2."""
    table = category_rules(session)
    problem = rules.stage_problem(category, stage, table)
    if problem:
        rule = table.get(category, rules.CategoryRule(0, 10))
        params = {"min_stage": rule.min_stage, "max_stage": rule.max_stage}
        raise InvalidInput({field: _fmt(problem, **params)}, problem, rule="DEAL-2", **params)


def _check_close_date(expected: date, created_on: date, today: date) -> None:
    problem = rules.close_date_problem(expected, created_on, today)
    if problem:
        raise InvalidInput({"expected_close_on": problem}, problem, rule="DEAL-5")


def _check_channel(session: Session, channel_id: int | None) -> None:
    """DEAL-1: the associated channel is a distributor known to the CRM."""
    if channel_id is None:
        return
    channel = session.get(Customer, channel_id)
    if channel is None or channel.pool in GONE_POOLS:
        raise InvalidInput({"channel_customer_id": "找不到该渠道客户"}, "找不到该渠道客户", rule="DEAL-1")
    if channel.customer_type != "distributor":
        raise InvalidInput(
            {"channel_customer_id": "关联渠道须为分销商客户"}, "关联渠道须为分销商客户", rule="DEAL-1"
        )


def _warnings(deal: Deal, policy: Policy) -> list[dict[str, str]]:
    message = rules.horizon_warning(
        deal.category,
        deal.expected_close_on,
        _today(policy),
        short_months=policy.deal_short_months,
        mid_months=policy.deal_mid_months,
    )
    if not message:
        return []
    months = policy.deal_short_months if deal.category == rules.SHORT else policy.deal_mid_months
    return [{"rule": "DEAL-2", "message": message, "params": {"months": months}}]  # type: ignore[dict-item]


def _history(session: Session, deal: Deal, actor_id: int | None, at: datetime) -> None:
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


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _cycle_days(deal: Deal, policy: Policy) -> int | None:
    if deal.category != rules.WON or deal.closed_at is None:
        return None
    return (_local_day(deal.closed_at, policy) - _local_day(deal.created_at, policy)).days


def _carried(session: Session, yyyymm: int) -> bool:
    state = session.get(DealRollupState, yyyymm)
    return state is not None and state.carried_at is not None


def ensure_month(session: Session, yyyymm: int) -> bool:
    """DEAL-7: carry every open deal into month `yyyymm` (one set-based INSERT … SELECT, idempotent).
    Runs on the first deal write of a month and in the daily job. Returns True if it ran now."""
    cache = session.info.setdefault("poolcrm.deals.months", set())
    if yyyymm in cache:
        return False
    if _carried(session, yyyymm):
        cache.add(yyyymm)
        return False
    insert = _insert(session)
    rows = select(
        Deal.id, literal(yyyymm), Deal.owner_id, Deal.category, Deal.stage, Deal.max_stage, Deal.amount
    ).where(Deal.category.in_(OPEN))
    stmt = (
        insert(DealMonth)
        .from_select(["deal_id", "yyyymm", "owner_id", "category", "stage", "max_stage", "amount"], rows)
        .on_conflict_do_nothing()
    )
    session.execute(stmt)
    now = clock.now()
    session.execute(
        insert(DealRollupState)
        .values(yyyymm=yyyymm, carried_at=now)
        .on_conflict_do_update(index_elements=["yyyymm"], set_={"carried_at": now})
    )
    cache.add(yyyymm)
    return True


def freeze_past_months(session: Session, current: int) -> list[int]:
    """DEAL-9: sum every finished month not yet frozen into deal_month_totals (set-based, once)."""
    frozen = set(
        session.scalars(select(DealRollupState.yyyymm).where(DealRollupState.totals_at.is_not(None)))
    )
    months = [
        m for m in session.scalars(select(DealMonth.yyyymm).distinct()) if m < current and m not in frozen
    ]
    insert = _insert(session)
    now = clock.now()
    for yyyymm in sorted(months):
        session.execute(delete(DealMonthTotal).where(DealMonthTotal.yyyymm == yyyymm))
        summed = (
            select(
                DealMonth.yyyymm,
                DealMonth.owner_id,
                DealMonth.category,
                DealMonth.stage,
                func.count(),
                func.coalesce(func.sum(DealMonth.amount), 0),
                func.coalesce(func.sum(DealMonth.cycle_days), 0),
                func.count(DealMonth.cycle_days),
            )
            .where(DealMonth.yyyymm == yyyymm)
            .group_by(DealMonth.yyyymm, DealMonth.owner_id, DealMonth.category, DealMonth.stage)
        )
        session.execute(
            insert(DealMonthTotal).from_select(
                ["yyyymm", "owner_id", "category", "stage", "deals", "amount", "cycle_sum", "cycle_n"], summed
            )
        )
        session.execute(
            insert(DealRollupState)
            .values(yyyymm=yyyymm, totals_at=now)
            .on_conflict_do_update(index_elements=["yyyymm"], set_={"totals_at": now})
        )
    return sorted(months)


def _snapshot_month(session: Session, deal: Deal, policy: Policy) -> None:
    """DEAL-7: the deal's row for this month holds its latest state (upsert)."""
    yyyymm = rules.month_key(_today(policy))
    ensure_month(session, yyyymm)
    amount = (
        deal.actual_amount if deal.category == rules.WON and deal.actual_amount is not None else deal.amount
    )
    values = {
        "owner_id": deal.owner_id,
        "category": deal.category,
        "stage": deal.stage,
        "max_stage": deal.max_stage,
        "amount": amount,
        "cycle_days": _cycle_days(deal, policy),
    }
    stmt = _insert(session)(DealMonth).values(deal_id=deal.id, yyyymm=yyyymm, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["deal_id", "yyyymm"], set_=values))


def _audit_deal(
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


def _set_products(deal: Deal, products: Sequence[ProductIn]) -> None:
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
    deal.amount = rules.deal_amount(_lines(products))


def _state(deal: Deal) -> dict[str, Any]:
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
    }


# ---------------------------------------------------------------- create / change (DEAL-1..5, DEAL-8 number)


def create_deal(session: Session, actor: User, data: DealIn) -> Deal:
    policy = get_policy(session)
    today = _today(policy)
    customer = _lock_customer(session, data.customer_id)
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
    verdict = rules.who_owns_new_deal(
        actor_id=actor.id,
        actor_is_sales=actor.has_role("sales"),
        actor_manages_owner=customer.owner_id is not None
        and is_supervisor_of(session, actor.id, customer.owner_id),
        actor_sees_all=org_rules.sees_everyone(actor.roles) and actor.has_role("admin", "gm"),
        customer_owner_id=customer.owner_id if customer.pool == POOL_PRIVATE else None,
        open_for_redevelopment=customer.open_for_redevelopment
        and is_active_member(customer.member_until, today),
    )
    if not verdict.allowed:
        raise RuleViolation(verdict.rule, verdict.message or "", details={"customer_id": customer.id})
    _check_channel(session, data.channel_customer_id)
    _check_stage(session, data.category, data.stage)
    _check_close_date(data.expected_close_on, today, today)
    details = data.details.model_dump()
    _refuse_fields(
        "DEAL-4",
        rules.deal_content_problems(
            data.intention, policy.deal_product_categories, _lines(data.products), details
        ),
    )

    seq = (session.scalar(select(func.max(Deal.seq)).where(Deal.customer_id == customer.id)) or 0) + 1
    now = clock.now()
    deal = Deal(
        number=rules.deal_number(customer.code, seq),
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
    _set_products(deal, data.products)
    session.add(deal)
    session.flush()
    _history(session, deal, actor.id, now)
    _snapshot_month(session, deal, policy)
    _audit_deal(session, actor.id, "deal.create", deal, None, _state(deal), verdict.rule)
    if customer.status == "potential":
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
    session.flush()
    return deal


def update_deal(session: Session, actor: User, deal_id: int, patch: DealPatch) -> Deal:
    policy = get_policy(session)
    today = _today(policy)
    deal = _lock_deal(session, actor, deal_id)
    if patch.version is not None and patch.version != deal.version:
        raise Conflict("该跟单已被他人修改，请刷新后重试", details={"version": deal.version})
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}），不能再修改", category=rules.CATEGORY_LABELS[deal.category]
        )
    given = patch.model_fields_set - {"version"}
    nulls = {f: "必填" for f in given if getattr(patch, f) is None and f != "channel_customer_id"}
    _refuse_fields("DEAL-4" if nulls.keys() & {"intention", "products", "details"} else "DEAL-2", nulls)

    new_category = patch.category if "category" in given else deal.category
    if new_category in (rules.WON, rules.LOST):
        raise RuleViolation("DEAL-8", "成交或丢单请使用“赢单”“丢单”操作（需成交金额与合同号，或原因）")
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
        _check_stage(session, new_category, new_stage)
    if patch.expected_close_on is not None:
        _check_close_date(patch.expected_close_on, _local_day(deal.created_at, policy), today)
    if given & {"intention", "products", "details"}:
        details = _details_of(deal)
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
        _refuse_fields(
            "DEAL-4",
            rules.deal_content_problems(intention, policy.deal_product_categories, _lines(products), details),
        )
        deal.intention = intention or ""
        for name, value in details.items():
            setattr(deal, name, (value or "").strip())
        if patch.products is not None:
            _set_products(deal, patch.products)
    if "channel_customer_id" in given:
        _check_channel(session, patch.channel_customer_id)
        deal.channel_customer_id = patch.channel_customer_id

    before = _state(deal)
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
        _history(session, deal, actor.id, now)
    after = _state(deal)
    changed = {k for k in after if after[k] != before[k]}
    session.flush()
    _snapshot_month(session, deal, policy)
    if changed or given & {"products", "details"}:
        _audit_deal(
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


# ---------------------------------------------------------------- progress (DEAL-6)


def _substance_reasons(session: Session, details: str, next_plan: str) -> list[dict[str, Any]]:
    """DEAL-6: details and next plan are required, and the details pass FU-1(d) — no non-contact
    notes such as 电话未接通 (the follow-ups domain's rule, reused)."""
    from poolcrm.customers.names import to_simplified
    from poolcrm.followups.rules import followup_validity

    policy = get_policy(session)
    reasons: list[dict[str, Any]] = []
    if not details.strip():
        reasons.append({"rule": "DEAL-6", "clause": "details", "message": "请填写进展详情", "params": {}})
    if not next_plan.strip():
        reasons.append({"rule": "DEAL-6", "clause": "next_plan", "message": "请填写下一步计划", "params": {}})
    fu = followup_validity(
        subject=None,
        content=details,
        min_chars=policy.followup_min_chars,
        noncontact_phrases=policy.followup_noncontact_phrases,
        duplicate=False,
        simplify=to_simplified,
    )
    reasons.extend(
        {"rule": r.rule, "clause": r.clause, "message": r.message, "params": r.params}
        for r in fu
        if r.clause == "d"
    )
    return reasons


def add_progress(session: Session, actor: User, deal_id: int, data: ProgressIn) -> DealProgress:
    """DEAL-6: record where the deal stands and what comes next; with `counts_as_contact` (default)
    it is also a follow-up of the customer (FU-1 decides whether that follow-up protects, POOL-6)."""
    deal = _lock_deal(session, actor, deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8",
            "跟单已结束（{category}），不能再添加进展",
            category=rules.CATEGORY_LABELS[deal.category],
        )
    now = clock.now()
    reasons = _substance_reasons(session, data.details, data.next_plan)
    progress = DealProgress(
        deal_id=deal.id,
        author_id=actor.id,
        details=data.details.strip(),
        next_plan=data.next_plan.strip(),
        stage=deal.stage,
        counts_as_contact=data.counts_as_contact,
        valid=not reasons,
        invalid_reasons=reasons,
        created_at=now,
    )
    session.add(progress)
    session.flush()
    if data.counts_as_contact:
        from poolcrm.followups.service import record_followup

        followup = record_followup(
            session,
            customer_id=deal.customer_id,
            author_id=actor.id,
            subject=data.subject,
            content=progress.details,
            contact_at=now,
            source="deal_progress",
            source_id=progress.id,
        )
        progress.followup_id = followup.id
    if progress.valid:
        deal.last_activity_at = now
        deal.updated_at = now
    _audit_deal(
        session,
        actor.id,
        "deal.progress",
        deal,
        None,
        {"progress_id": progress.id, "valid": progress.valid, "followup_id": progress.followup_id},
        "DEAL-6",
    )
    session.flush()
    return progress


def list_progress(session: Session, user: User, deal_id: int) -> list[DealProgress]:
    deal = get_deal(session, user, deal_id)
    return list(
        session.scalars(
            select(DealProgress)
            .where(DealProgress.deal_id == deal.id)
            .order_by(DealProgress.created_at.desc(), DealProgress.id.desc())
        )
    )


# ---------------------------------------------------------------- win / lose (DEAL-8, CUS-12, WORK-4, DSP-3)


def win_deal(session: Session, actor: User, deal_id: int, data: WinIn) -> Deal:
    policy = get_policy(session)
    deal = _lock_deal(session, actor, deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}）", category=rules.CATEGORY_LABELS[deal.category]
        )
    _refuse_fields("DEAL-8", rules.win_problems(data.actual_amount, data.contract_no))
    assert data.actual_amount is not None and data.contract_no is not None
    contract_no = data.contract_no.strip()
    customer = _lock_customer(session, deal.customer_id)
    if customer is None or customer.pool in GONE_POOLS:
        raise RuleViolation("WORK-4", "合同只能登记在 CRM 中存在的客户名下")
    taken = session.scalar(select(Deal.number).where(Deal.contract_no == contract_no, Deal.id != deal.id))
    if taken:
        raise Conflict(
            "合同编号 {contract_no} 已登记在跟单 {number}",
            rule="WORK-4",
            details={"contract_no": contract_no, "number": taken},
            contract_no=contract_no,
            number=taken,
        )
    today = _today(policy)
    credit = rules.credit_for_win(
        winner_id=deal.owner_id if deal.owner_id is not None else actor.id,
        customer_owner_id=customer.owner_id if customer.pool == POOL_PRIVATE else None,
        member_active=is_active_member(customer.member_until, today),
        open_for_redevelopment=customer.open_for_redevelopment,
    )
    before = _state(deal)
    now = clock.now()
    deal.category, deal.status = rules.WON, rules.WON
    deal.stage = max(category_rules(session)[rules.WON].min_stage, deal.stage)
    deal.max_stage = max(deal.max_stage, deal.stage)
    deal.actual_amount, deal.contract_no = data.actual_amount, contract_no
    deal.closed_at = deal.updated_at = deal.last_activity_at = now
    deal.credited_to, deal.credit_rule, deal.dispute_needed = (
        credit.credited_to,
        credit.rule,
        credit.dispute_needed,
    )
    _history(session, deal, actor.id, now)
    session.flush()
    _snapshot_month(session, deal, policy)
    _audit_deal(
        session,
        actor.id,
        "deal.win",
        deal,
        before,
        {
            **_state(deal),
            "actual_amount": str(deal.actual_amount),
            "contract_no": contract_no,
            "credited_to": deal.credited_to,
            "dispute_needed": deal.dispute_needed,
        },
        credit.rule,
    )
    if customer.status != "closed":
        record(
            session,
            actor_id=actor.id,
            action="customer.status",
            object_type="customer",
            object_id=customer.id,
            before={"status": customer.status},
            after={"status": "closed"},
            rule="CUS-12",
            reason=f"跟单 {deal.number} 成交（DEAL-8）",
        )
        customer.status = "closed"
    customer.last_business_at = now
    customer.updated_at = now
    if credit.dispute_needed and customer.owner_id is not None:
        notify(
            session,
            customer.owner_id,
            "deal_won_by_other",
            "您的客户 {customer} 由 {winner} 签单（跟单 {number}），需裁定业绩归属",
            link=f"/deals/{deal.id}",
            rule="DSP-1",
            dedupe_key=f"deal-won-other:{deal.id}",
            customer=customer.name,
            winner=actor.display_name,
            number=deal.number,
        )
    session.flush()
    deal_won.send(session, deal=deal, actor=actor)
    return deal


def lose_deal(session: Session, actor: User, deal_id: int, data: LoseIn) -> Deal:
    policy = get_policy(session)
    deal = _lock_deal(session, actor, deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}）", category=rules.CATEGORY_LABELS[deal.category]
        )
    _refuse_fields("DEAL-8", rules.lose_problems(data.reason))
    assert data.reason is not None
    before = _state(deal)
    now = clock.now()
    deal.category, deal.status = rules.LOST, rules.LOST
    deal.stage = category_rules(session)[rules.LOST].max_stage
    deal.lost_reason = data.reason.strip()
    deal.closed_at = deal.updated_at = now
    _history(session, deal, actor.id, now)
    # Seed 001 §4.1.3 D: the reason is also written in the progress records.
    session.add(
        DealProgress(
            deal_id=deal.id,
            author_id=actor.id,
            details=deal.lost_reason,
            next_plan="放弃跟单",
            stage=deal.stage,
            counts_as_contact=False,
            valid=True,
            invalid_reasons=[],
            created_at=now,
        )
    )
    session.flush()
    _snapshot_month(session, deal, policy)
    _audit_deal(session, actor.id, "deal.lose", deal, before, _state(deal), "DEAL-8", reason=deal.lost_reason)
    session.flush()
    return deal


# ---------------------------------------------------------------- POOL-15


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
        _snapshot_month(session, deal, policy)
        _audit_deal(
            session, actor_id, "deal.owner", deal, {"owner_id": before}, {"owner_id": to_owner}, "POOL-15"
        )


# ---------------------------------------------------------------- reading


@dataclass
class DealFilter:
    owner: int | None = None
    category: str | None = None
    stage: int | None = None
    customer_id: int | None = None
    state: str | None = None  # open | closed
    overdue: bool | None = None
    q: str | None = None


def _filtered(session: Session, user: User, f: DealFilter, policy: Policy) -> Select[tuple[Deal]]:
    q = select(Deal.id)
    if f.owner is not None:
        q = q.where(Deal.owner_id == f.owner)
    if f.category:
        q = q.where(Deal.category == f.category)
    if f.stage is not None:
        q = q.where(Deal.stage == f.stage)
    if f.customer_id is not None:
        q = q.where(Deal.customer_id == f.customer_id)
    if f.state == "open":
        q = q.where(Deal.category.in_(OPEN))
    elif f.state == "closed":
        q = q.where(Deal.category.in_((rules.WON, rules.LOST)))
    if f.q:
        like = f"%{f.q.strip()}%"
        q = q.where(
            or_(
                Deal.name.like(like),
                Deal.number.like(like),
                Deal.customer_id.in_(select(Customer.id).where(Customer.name.like(like))),
            )
        )
    if f.overdue is not None:
        today = _today(policy)
        due = []
        for category in OPEN:
            cutoff = rules.reminder_cutoff(today, category, policy.deal_reminder_days)
            if cutoff is not None:
                # overdue = due before today: last activity day < cutoff
                boundary = clock.start_of_local_day(cutoff, policy.timezone)
                due.append(and_(Deal.category == category, Deal.last_activity_at < boundary))
        clause = or_(*due) if due else literal(False)
        q = q.where(clause if f.overdue else ~clause)
    scope = visible_owner_ids(session, user)
    if scope is None:
        return select(Deal).where(q.whereclause) if q.whereclause is not None else select(Deal)
    # ORG-5: deals owned inside the user's tree, and deals on customers owned inside it (MEM-1
    # redevelopment deals by others) — two indexed branches, each already filtered, then their union.
    by_owner = q.where(Deal.owner_id.in_(scope))
    by_customer = q.join(Customer, Customer.id == Deal.customer_id).where(Customer.owner_id.in_(scope))
    return select(Deal).where(Deal.id.in_(by_owner.union(by_customer)))


def list_deals(
    session: Session, user: User, f: DealFilter, *, page: int = 1, page_size: int = 50
) -> tuple[list[Deal], int]:
    policy = get_policy(session)
    q = _filtered(session, user, f, policy)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = session.scalars(
        q.order_by(Deal.updated_at.desc(), Deal.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(items), total


@dataclass
class Lookups:
    """Names for a page of deals, loaded in three queries."""

    users: dict[int, User] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    probabilities: dict[int, int] = field(default_factory=dict)


def lookups(session: Session, deals: Iterable[Deal]) -> Lookups:
    deals = list(deals)
    user_ids = {d.owner_id for d in deals} | {d.credited_to for d in deals}
    customer_ids = {d.customer_id for d in deals} | {d.channel_customer_id for d in deals}
    user_ids.discard(None)
    customer_ids.discard(None)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
        if customer_ids
        else {}
    )
    return Lookups(users, customers, probabilities(session))


def due_on(deal: Deal, policy: Policy) -> date | None:
    return rules.reminder_due_on(
        _local_day(deal.last_activity_at, policy), deal.category, policy.deal_reminder_days
    )


def deal_out(
    session: Session,
    deal: Deal,
    lk: Lookups | None = None,
    *,
    policy: Policy | None = None,
    warnings: bool = False,
) -> dict[str, Any]:
    policy = policy or get_policy(session)
    lk = lk or lookups(session, [deal])
    due = due_on(deal, policy)
    customer = lk.customers.get(deal.customer_id)
    channel = lk.customers.get(deal.channel_customer_id) if deal.channel_customer_id else None
    owner = lk.users.get(deal.owner_id) if deal.owner_id else None
    credited = lk.users.get(deal.credited_to) if deal.credited_to else None
    probability = lk.probabilities.get(deal.stage, 0)
    amount = (
        deal.actual_amount if deal.category == rules.WON and deal.actual_amount is not None else deal.amount
    )
    return {
        "id": deal.id,
        "number": deal.number,
        "name": deal.name,
        "customer_id": deal.customer_id,
        "customer": {
            "id": customer.id,
            "code": customer.code,
            "name": customer.name,
            "status": customer.status,
        }
        if customer
        else None,
        "channel_customer_id": deal.channel_customer_id,
        "channel_customer": {"id": channel.id, "code": channel.code, "name": channel.name}
        if channel
        else None,
        "owner": {"id": owner.id, "display_name": owner.display_name} if owner else None,
        "category": deal.category,
        "stage": deal.stage,
        "max_stage": deal.max_stage,
        "probability": probability,
        "status": deal.status,
        "expected_close_on": deal.expected_close_on.isoformat(),
        "intention": deal.intention,
        "products": [
            {
                "name": p.name,
                "model": p.model,
                "quantity": float(p.quantity),
                "unit_price": float(p.unit_price),
                "line_total": float(p.line_total),
            }
            for p in deal.products
        ],
        "amount": float(deal.amount),
        "weighted_amount": float(rules.weighted(amount, probability)),
        "details": {name: getattr(deal, name) for name in rules.DETAIL_FIELDS},
        "actual_amount": float(deal.actual_amount) if deal.actual_amount is not None else None,
        "contract_no": deal.contract_no,
        "lost_reason": deal.lost_reason,
        "closed_at": deal.closed_at.isoformat() if deal.closed_at else None,
        "credited_to": {"id": credited.id, "display_name": credited.display_name} if credited else None,
        "credit_rule": deal.credit_rule,
        "dispute_needed": deal.dispute_needed,
        "last_activity_at": deal.last_activity_at.isoformat(),
        "due_on": due.isoformat() if due else None,
        "overdue": rules.is_overdue(due, _today(policy)),
        "created_at": deal.created_at.isoformat(),
        "updated_at": deal.updated_at.isoformat(),
        "version": deal.version,
        **({"warnings": _warnings(deal, policy)} if warnings else {}),
    }


def progress_out(p: DealProgress, users: dict[int, User] | None = None, lang: str = "zh") -> dict[str, Any]:
    from poolcrm.i18n import translate

    author = (users or {}).get(p.author_id)
    reasons = [
        {
            "rule": r["rule"],
            "clause": r.get("clause", ""),
            "message": translate(r["message"], lang, **(r.get("params") or {})),
        }
        for r in p.invalid_reasons or []
    ]
    return {
        "id": p.id,
        "valid": p.valid,
        "invalid_reasons": reasons,
        "counts_as_contact": p.counts_as_contact,
        "followup_id": p.followup_id,
        "details": p.details,
        "next_plan": p.next_plan,
        "stage": p.stage,
        "author": {"id": author.id, "display_name": author.display_name} if author else {"id": p.author_id},
        "created_at": p.created_at.isoformat(),
    }


# ---------------------------------------------------------------- analytics (DEAL-7, DEAL-9)


def _chart_owners(session: Session, user: User, owner: int | None, team: int | None) -> set[int] | None:
    """ORG-5 scope of a chart, narrowed to one owner or one team; None = everyone."""
    scope = visible_owner_ids(session, user)
    owners: set[int] | None = None if scope is None else set(scope)
    if owner is not None:
        owners = {owner} if owners is None or owner in owners else set()
    if team is not None:
        members = set(session.scalars(select(User.id).where(User.department_id == team)))
        owners = members if owners is None else owners & members
    return owners


def _month_rows(session: Session, user: User, yyyymm: int, owner: int | None, team: int | None) -> Any:
    """The DEAL-7 rows of a month as a subquery (owner_id, category, stage, max_stage, amount, cycle_days),
    scoped by ORG-5. Before the month has been carried forward, open deals without a row count with
    their current state (only for the current month: nothing else could have changed them)."""
    policy = get_policy(session)
    owners = _chart_owners(session, user, owner, team)

    def scoped(q: Any, column: Any) -> Any:
        return q if owners is None else q.where(column.in_(owners))

    stored = scoped(
        select(
            DealMonth.owner_id,
            DealMonth.category,
            DealMonth.stage,
            DealMonth.max_stage,
            DealMonth.amount,
            DealMonth.cycle_days,
        ).where(DealMonth.yyyymm == yyyymm),
        DealMonth.owner_id,
    )
    current = rules.month_key(_today(policy))
    if yyyymm != current or _carried(session, yyyymm):
        return stored.subquery()
    missing = scoped(
        select(
            Deal.owner_id,
            Deal.category,
            Deal.stage,
            Deal.max_stage,
            Deal.amount,
            literal(None).label("cycle_days"),
        ).where(
            Deal.category.in_(OPEN),
            ~select(DealMonth.deal_id)
            .where(DealMonth.deal_id == Deal.id, DealMonth.yyyymm == yyyymm)
            .exists(),
        ),
        Deal.owner_id,
    )
    return union_all(stored, missing).subquery()


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


def _period(period: str | None, policy: Policy) -> int:
    if not period:
        return rules.month_key(_today(policy))
    yyyymm = rules.parse_period(period)
    if yyyymm is None:
        raise InvalidInput({"period": "格式应为 YYYY-MM"})
    return yyyymm


def period_label(yyyymm: int) -> str:
    return f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"


BY_KEYS = ("stage", "owner", "category", "team")


def analytics(
    session: Session,
    user: User,
    *,
    period: str | None,
    by: str = "stage",
    owner: int | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    """DEAL-9 for one month (DEAL-7 counting): rows per stage / owner / category / team with count,
    amount and weighted amount; conversion between stages; win rate and cycle time."""
    if by not in BY_KEYS:
        raise InvalidInput({"by": "取值须为 stage/owner/category/team"})
    policy = get_policy(session)
    yyyymm = _period(period, policy)
    probs = probabilities(session)
    rows = _month_rows(session, user, yyyymm, owner, team)
    group = {
        "stage": rows.c.stage,
        "owner": rows.c.owner_id,
        "category": rows.c.category,
        "team": rows.c.owner_id,
    }[by]
    cols = [group] if by == "stage" else [group, rows.c.stage]
    data = session.execute(select(*cols, func.count(), func.sum(rows.c.amount)).group_by(*cols)).all()
    agg: dict[Any, list[Any]] = {}
    dept_of: dict[int, int | None] = {}
    if by in ("owner", "team"):
        dept_of = dict(session.execute(select(User.id, User.department_id)).all())
    for row in data:
        key, stage = row[0], (row[0] if by == "stage" else row[1])
        count, amount = int(row[-2]), _dec(row[-1])
        if by == "team":
            key = dept_of.get(key) if key is not None else None
        slot = agg.setdefault(key, [0, Decimal("0"), Decimal("0")])
        slot[0] += count
        slot[1] += amount
        slot[2] += rules.weighted(amount, probs.get(int(stage), 0))
    labels = _labels(session, by, agg.keys())
    keys = (
        sorted(agg, key=lambda k: (k is None, k)) if by == "stage" else sorted(agg, key=lambda k: -agg[k][1])
    )
    if by == "category":
        keys = [c for c in rules.CATEGORIES if c in agg]
    out_rows = [
        {
            "key": "" if k is None else str(k),
            "label": labels.get(k, "—"),
            "count": agg[k][0],
            "amount": float(agg[k][1]),
            "weighted_amount": float(agg[k][2]),
        }
        for k in keys
    ]
    reached = dict(session.execute(select(rows.c.max_stage, func.count()).group_by(rows.c.max_stage)).all())
    by_cat = dict(session.execute(select(rows.c.category, func.count()).group_by(rows.c.category)).all())
    cycle = session.execute(
        select(func.avg(rows.c.cycle_days), func.count(rows.c.cycle_days)).where(rows.c.category == rules.WON)
    ).one()
    won, lost = by_cat.get(rules.WON, 0), by_cat.get(rules.LOST, 0)
    return {
        "period": period_label(yyyymm),
        "by": by,
        "rows": out_rows,
        "conversion": rules.stage_conversion({int(k): int(v) for k, v in reached.items()}),
        "totals": {
            "count": sum(r["count"] for r in out_rows),  # type: ignore[misc]
            "amount": sum(r["amount"] for r in out_rows),  # type: ignore[misc]
            "weighted_amount": sum(r["weighted_amount"] for r in out_rows),  # type: ignore[misc]
            "won": won,
            "lost": lost,
            "win_rate": round(won / (won + lost), 4) if won + lost else 0.0,
            "avg_cycle_days": round(float(cycle[0]), 1) if cycle[0] is not None else None,
        },
    }


def _labels(session: Session, by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if by == "stage":
        return {k: f"{k} · {probabilities(session).get(int(k), 0)}%" for k in keys}
    if by == "category":
        return {k: rules.CATEGORY_LABELS.get(k, k) for k in keys}
    if by == "owner":
        return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(keys))).all())
    return dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(keys))).all())


def trend(
    session: Session,
    user: User,
    *,
    period: str | None,
    months: int = 12,
    owner: int | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    """DEAL-9 by month: per month (DEAL-7 counting) deals and amount per category, won amount and
    average cycle time (days from creation to win) over the `months` months ending at `period`."""
    policy = get_policy(session)
    end = _period(period, policy)
    months = max(1, min(months, 36))
    start = rules.shift_month(end, -(months - 1))
    keys = [rules.shift_month(start, i) for i in range(months)]
    owners = _chart_owners(session, user, owner, team)
    current = rules.month_key(_today(policy))
    frozen = set(
        session.scalars(
            select(DealRollupState.yyyymm).where(
                DealRollupState.yyyymm.between(start, end), DealRollupState.totals_at.is_not(None)
            )
        )
    )
    frozen = {m for m in frozen if m < current}
    live = [k for k in keys if k not in frozen]
    table: dict[int, dict[str, Any]] = {
        k: {"count": {}, "amount": {}, "cycle_sum": 0, "cycle_n": 0} for k in keys
    }
    t, m = DealMonthTotal, DealMonth
    queries = []
    if frozen:  # finished months: the frozen totals (a few thousand rows per month)
        q = select(
            t.yyyymm,
            t.category,
            func.sum(t.deals),
            func.sum(t.amount),
            func.sum(t.cycle_sum),
            func.sum(t.cycle_n),
        ).where(t.yyyymm.in_(sorted(frozen)))
        if owners is not None:
            q = q.where(t.owner_id.in_(owners))
        queries.append(q.group_by(t.yyyymm, t.category))
    if live:  # the current month (and any month not frozen yet): the DEAL-7 rows themselves
        q = select(
            m.yyyymm,
            m.category,
            func.count(),
            func.sum(m.amount),
            func.sum(m.cycle_days),
            func.count(m.cycle_days),
        ).where(m.yyyymm.in_(live))
        if owners is not None:
            q = q.where(m.owner_id.in_(owners))
        queries.append(q.group_by(m.yyyymm, m.category))
    for q in queries:
        for yyyymm, category, count, amount, cycle_sum, cycle_n in session.execute(q).all():
            slot = table[int(yyyymm)]
            slot["count"][category] = slot["count"].get(category, 0) + int(count)
            slot["amount"][category] = slot["amount"].get(category, 0.0) + float(_dec(amount))
            slot["cycle_sum"] += int(cycle_sum or 0)
            slot["cycle_n"] += int(cycle_n or 0)
    return {
        "months": [period_label(k) for k in keys],
        "categories": list(rules.CATEGORIES),
        "count": {c: [table[k]["count"].get(c, 0) for k in keys] for c in rules.CATEGORIES},
        "amount": {c: [table[k]["amount"].get(c, 0.0) for k in keys] for c in rules.CATEGORIES},
        "avg_cycle_days": [
            round(table[k]["cycle_sum"] / table[k]["cycle_n"], 1) if table[k]["cycle_n"] else None
            for k in keys
        ],
    }


# ---------------------------------------------------------------- board


def board(
    session: Session, user: User, *, owner: int | None = None, limit_per_stage: int = 60
) -> dict[int, list[Deal]]:
    """The open pipeline by stage (the board's columns)."""
    f = DealFilter(owner=owner, state="open")
    q = _filtered(session, user, f, get_policy(session)).order_by(Deal.expected_close_on, Deal.id)
    columns: dict[int, list[Deal]] = {s: [] for s in range(rules.MIN_STAGE + 1, rules.MAX_STAGE + 1)}
    for deal in session.scalars(q.limit(limit_per_stage * 10)):
        if deal.stage in columns and len(columns[deal.stage]) < limit_per_stage:
            columns[deal.stage].append(deal)
    return columns


# ---------------------------------------------------------------- scorecard (VIO-4)


def scorecard(session: Session, user: User, *, rep_id: int | None = None) -> list[dict[str, Any]]:
    """VIO-4: per rep, core customers (≥ quota_core_customers; short deals contacted weekly, mid every
    2 weeks) and high-growth customers (≥ quota_high_growth_customers; contacted monthly)."""
    from poolcrm.followups.models import FollowUp

    policy = get_policy(session)
    today = _today(policy)
    scope = visible_owner_ids(session, user)
    reps_q = select(User).where(User.active.is_(True), User.role_rows.any(role="sales"))
    if scope is not None:
        reps_q = reps_q.where(User.id.in_(scope))
    if rep_id is not None:
        reps_q = reps_q.where(User.id == rep_id)
    reps = list(session.scalars(reps_q.order_by(User.id)))
    if not reps:
        return []
    rep_ids = [r.id for r in reps]
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.owner_id, Deal.category, func.min(Deal.expected_close_on))
        .join(Deal, Deal.customer_id == Customer.id)
        .where(
            Customer.owner_id.in_(rep_ids),
            Customer.pool == POOL_PRIVATE,
            Customer.customer_type == "direct",
            Deal.category.in_((*OPEN, rules.WON)),
        )
        .group_by(Customer.id, Customer.name, Customer.owner_id, Deal.category)
    ).all()
    per_customer: dict[int, dict[str, Any]] = {}
    for cid, name, owner_id, category, nearest in rows:
        slot = per_customer.setdefault(
            cid, {"name": name, "owner": owner_id, "cats": set(), "nearest": None, "won": False}
        )
        if category == rules.WON:
            slot["won"] = True
        else:
            slot["cats"].add(category)
            if category in (rules.MID, rules.SHORT) and (
                slot["nearest"] is None or nearest < slot["nearest"]
            ):
                slot["nearest"] = nearest
    last_contact: dict[int, date] = {}
    ids = list(per_customer)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for cid, at in session.execute(
            select(FollowUp.customer_id, func.max(FollowUp.created_at))
            .where(FollowUp.customer_id.in_(chunk), FollowUp.valid.is_(True))
            .group_by(FollowUp.customer_id)
        ).all():
            if at is not None:
                moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
                last_contact[cid] = _local_day(clock.as_utc(moment), policy)
    cards = {
        r.id: {
            "user": {"id": r.id, "display_name": r.display_name},
            "core": {"count": 0, "quota": policy.quota_core_customers, "contact_ok": 0, "customers": []},
            "high_growth": {
                "count": 0,
                "quota": policy.quota_high_growth_customers,
                "contact_ok": 0,
                "customers": [],
            },
        }
        for r in reps
    }
    for cid, slot in per_customer.items():
        facts = rules.CustomerDeals(
            cid, frozenset(slot["cats"]), slot["nearest"], slot["won"], last_contact.get(cid)
        )
        klass = rules.scorecard_class(facts, today, policy.core_deal_months)
        if klass is None:
            continue
        cadence = rules.contact_cadence_days(
            facts, klass, policy.core_contact_days, policy.high_growth_contact_days
        )
        ok = rules.contact_ok(facts.last_contact_on, today, cadence)
        part = cards[slot["owner"]][klass]
        part["count"] += 1
        part["contact_ok"] += int(ok)
        part["customers"].append(
            {
                "id": cid,
                "name": slot["name"],
                "cadence_days": cadence,
                "contact_ok": ok,
                "last_contact_on": facts.last_contact_on.isoformat() if facts.last_contact_on else None,
                "categories": sorted(slot["cats"]) + (["won"] if slot["won"] else []),
            }
        )
    out = []
    for card in cards.values():
        for part in (card["core"], card["high_growth"]):
            part["meets_quota"] = part["count"] >= part["quota"]
            part["customers"].sort(key=lambda c: (c["contact_ok"], c["name"]))
        out.append(card)
    return out


# ---------------------------------------------------------------- daily job (DEAL-2 reminders, DEAL-7 rollup)


def run_reminders(session: Session, as_of: date) -> dict[str, list[Any]]:
    """DEAL-2: every open deal reminds its owner `deal_reminder_days[category]` days after its last
    progress record (once per due date); the deals that became overdue on `as_of` are listed (all
    overdue deals are flagged wherever deals are shown).
    DEAL-7: carries open deals into the month of `as_of`."""
    policy = get_policy(session)
    ensure_month(session, rules.month_key(as_of))
    freeze_past_months(session, rules.month_key(as_of))
    reminded: list[int] = []
    overdue: list[int] = []
    for category in OPEN:
        cutoff = rules.reminder_cutoff(as_of, category, policy.deal_reminder_days)
        if cutoff is None:
            continue
        boundary = clock.start_of_local_day(cutoff + timedelta(days=1), policy.timezone)
        due_rows = session.execute(
            select(Deal.id, Deal.owner_id, Deal.number, Deal.name, Deal.last_activity_at).where(
                Deal.category == category, Deal.last_activity_at < boundary, Deal.owner_id.is_not(None)
            )
        ).all()
        for deal_id, owner_id, number, name, last in due_rows:
            due = rules.reminder_due_on(_local_day(last, policy), category, policy.deal_reminder_days)
            if due is not None and due == as_of - timedelta(days=1):
                overdue.append(deal_id)
            note = notify(
                session,
                owner_id,
                "deal_reminder",
                "跟单 {number}（{name}）已 {days} 天没有进展记录，请及时跟进并填写进展",
                link=f"/deals/{deal_id}",
                rule="DEAL-2",
                dedupe_key=f"deal-due:{deal_id}:{due}",
                number=number,
                name=name,
                days=policy.deal_reminder_days[category],
            )
            if note is not None:
                reminded.append(deal_id)
    session.flush()
    return {"deals_reminded": reminded, "deals_overdue": overdue}


# ---------------------------------------------------------------- export


EXPORT_COLUMNS = (
    "跟单编号",
    "跟单名称",
    "客户",
    "负责人",
    "分类",
    "阶段",
    "成交概率",
    "状态",
    "预计成交日期",
    "金额",
    "加权金额",
    "意向",
    "最近进展",
    "提醒日期",
    "超期",
)


def export_xlsx(session: Session, user: User, f: DealFilter) -> bytes:
    """Deal list export (ORG-5 scope; audited like every export of customer data)."""
    import xlsxwriter

    policy = get_policy(session)
    deals = list(session.scalars(_filtered(session, user, f, policy).order_by(Deal.id)))
    lk = lookups(session, deals)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("跟单")
    bold = book.add_format({"bold": True})
    for col, title in enumerate(EXPORT_COLUMNS):
        sheet.write(0, col, title, bold)
    for row, deal in enumerate(deals, start=1):
        d = deal_out(session, deal, lk, policy=policy)
        values = [
            d["number"],
            d["name"],
            (d["customer"] or {}).get("name", ""),
            (d["owner"] or {}).get("display_name", ""),
            rules.CATEGORY_LABELS[d["category"]],
            d["stage"],
            d["probability"] / 100,
            rules.STATUS_LABELS.get(d["status"], d["status"]),
            d["expected_close_on"],
            d["amount"],
            d["weighted_amount"],
            d["intention"],
            d["last_activity_at"][:10],
            d["due_on"] or "",
            "是" if d["overdue"] else "",
        ]
        sheet.write_row(row, 0, values)
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 2, 28)
    book.close()
    record(
        session,
        actor_id=user.id,
        action="deal.export",
        object_type="deal",
        object_id=None,
        after={"rows": len(deals), "filter": f.__dict__},
        rule="ORG-5",
    )
    return buf.getvalue()
