"""Deals API (API.md § Deals): parse, call the service, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import select

from poolcrm import clock
from poolcrm.contracts.service import sign_by_win
from poolcrm.deals import (
    access,
    analytics,
    closing,
    export,
    output,
    progress,
    rules,
    scorecard,
    service,
    tables,
    winloss,
)
from poolcrm.deals.schemas import (
    Analytics,
    CategoryRuleIn,
    CategoryRuleOut,
    DealIn,
    DealPatch,
    LoseIn,
    ProgressIn,
    StageIn,
    StageOut,
    WinIn,
)
from poolcrm.errors import InvalidInput
from poolcrm.org.models import User
from poolcrm.policy.service import company_today, get_policy
from poolcrm.sheets import attachment, stamped_name
from poolcrm.web.deps import DB, AdminUser, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import month_param, whole_number

router = APIRouter(route_class=OneStepRoute, tags=["deals"])


def parse_owner(owner: str | None, user: User) -> int | None:
    if owner in (None, ""):
        return None
    if owner == "me":
        return user.id
    owner_id = whole_number(owner)
    if owner_id is None:
        raise InvalidInput({"owner": "须为用户 ID 或 me"})
    return owner_id


def deal_filter(
    user: User,
    owner: str | None,
    category: str | None,
    stage: str | None,
    customer_id: int | None,
    state: str | None,
    overdue: bool | None,
    q: str | None,
) -> output.DealFilter:
    if category and category not in rules.CATEGORIES:
        raise InvalidInput({"category": "未知的跟单分类"})
    if stage not in (None, "") and not (
        (n := whole_number(stage)) is not None and rules.MIN_STAGE <= n <= rules.MAX_STAGE
    ):
        raise InvalidInput({"stage": f"跟单阶段须在 {rules.MIN_STAGE}–{rules.MAX_STAGE} 之间"})
    if state and state not in ("open", "closed"):
        raise InvalidInput({"state": "取值须为 open/closed"})
    return output.DealFilter(
        owner=parse_owner(owner, user),
        category=category or None,
        stage=int(stage) if stage else None,
        customer_id=customer_id,
        state=state or None,
        overdue=overdue,
        q=q or None,
    )


@router.post("/deals", status_code=201)
def create_deal(body: DealIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.deal_out(db, service.create_deal(db, user, body), warnings=True)


@router.get("/deals")
def list_deals(
    user: CurrentUser,
    db: DB,
    owner: str | None = None,
    category: str | None = None,
    stage: str | None = Query(None, description="0–10"),
    customer_id: int | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    f = deal_filter(user, owner, category, stage, customer_id, state, overdue, q)
    deals, total, capped = output.list_deals(db, user, f, page=page, page_size=page_size)
    lk = output.lookups(db, deals)
    policy = get_policy(db)
    items = [output.deal_out(db, d, lk, policy=policy) for d in deals]
    return {"items": items, "total": total, "total_capped": capped}  # LIST-2: "1000+"


@router.get("/deals/analytics", response_model=Analytics)
def deal_analytics(
    user: CurrentUser,
    db: DB,
    period: str | None = Query(None, description="YYYY-MM; default this month"),
    by: str = Query("stage", description="stage | owner | category | team"),
    owner: str | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    """DEAL-9 for one month, each deal counted once in its latest category of the month (DEAL-7)."""
    month = month_param(period, "period", company_today(db))
    return analytics.analytics(db, user, month=month, by=by, owner=parse_owner(owner, user), team=team)


@router.get("/deals/analytics/trend")
def deal_trend(
    user: CurrentUser,
    db: DB,
    period: str | None = None,
    months: int = Query(12, ge=1, le=36),
    owner: str | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    """DEAL-9 by month: deals and amounts per category and the average cycle time."""
    month = month_param(period, "period", company_today(db))
    return analytics.trend(db, user, month=month, months=months, owner=parse_owner(owner, user), team=team)


@router.get("/deals/analytics/win-loss")
def deal_win_loss(
    user: CurrentUser,
    db: DB,
    by: str = Query("source", description="source (DEAL-11) | competitor (DEAL-10)"),
    period: str | None = Query(None, description="the window's last month, YYYY-MM"),
    months: int = Query(12, ge=1, le=36),
) -> dict[str, Any]:
    """DEAL-10/DEAL-11: the deals created in the window by source or competitor — open, signed,
    won, lost, win rate and amount won."""
    return winloss.win_loss(db, user, by, month_param(period, "period", company_today(db)), months)


@router.get("/deals/scorecard")
def deal_scorecard(user: CurrentUser, db: DB, rep_id: int | None = None) -> dict[str, Any]:
    """VIO-4: core and high-growth customers per rep against the quotas, with contact cadence."""
    return {"reps": scorecard.scorecard(db, user, rep_id=rep_id)}


@router.get("/deals/export.xlsx")
def export_deals(
    user: CurrentUser,
    db: DB,
    owner: str | None = None,
    category: str | None = None,
    stage: str | None = Query(None, description="0–10"),
    state: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
) -> Response:
    f = deal_filter(user, owner, category, stage, None, state, overdue, q)
    content = export.export_xlsx(db, user, f)
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(stamped_name("deals", clock.local(clock.now(), get_policy(db).timezone))),
    )


@router.get("/deals/stages", response_model=list[StageOut])
def list_stages(user: CurrentUser, db: DB) -> list[StageOut]:
    """DEAL-3: the stage table (0–10, probability, customer track, agent track)."""
    return [StageOut(**s.__dict__) for s in tables.stage_table(db)]


@router.put("/deals/stages/{stage}", response_model=StageOut)
def update_stage(stage: int, body: StageIn, admin: AdminUser, db: DB) -> StageOut:
    s = tables.set_stage(db, admin, stage, body.probability, body.customer_desc, body.agent_desc)
    return StageOut(**s.__dict__)


def _category_out(db: DB, category: str, rule: rules.CategoryRule) -> CategoryRuleOut:
    return CategoryRuleOut(
        category=category,
        label=rules.CATEGORY_LABELS[category],
        min_stage=rule.min_stage,
        max_stage=rule.max_stage,
        reminder_days=get_policy(db).deal_reminder_days.get(category),
    )


@router.get("/deals/categories", response_model=list[CategoryRuleOut])
def list_categories(user: CurrentUser, db: DB) -> list[CategoryRuleOut]:
    """DEAL-2: categories with their stage floor/ceiling and reminder cadence (policy deal_reminder_days)."""
    table = tables.category_rules(db)
    return [_category_out(db, c, table[c]) for c in rules.CATEGORIES]


@router.put("/deals/categories/{category}", response_model=CategoryRuleOut)
def update_category(category: str, body: CategoryRuleIn, admin: AdminUser, db: DB) -> CategoryRuleOut:
    rule = tables.set_category_rule(db, admin, category, body.min_stage, body.max_stage)
    return _category_out(db, category, rule)


@router.get("/deals/{deal_id}")
def get_deal(deal_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.deal_out(db, access.get_deal(db, user, deal_id), warnings=True)


@router.patch("/deals/{deal_id}")
def update_deal(deal_id: int, body: DealPatch, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.deal_out(db, service.update_deal(db, user, deal_id, body), warnings=True)


@router.post("/deals/{deal_id}/progress", status_code=201)
def add_progress(deal_id: int, body: ProgressIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """DEAL-6: `{id, valid, invalid_reasons}` (201 even when invalid: it is kept with its reasons)."""
    return output.progress_out(progress.add_progress(db, user, deal_id, body), {user.id: user}, lang)


@router.get("/deals/{deal_id}/progress")
def list_progress(deal_id: int, user: CurrentUser, db: DB, lang: Lang) -> list[dict[str, Any]]:
    items = progress.list_progress(db, user, deal_id)
    ids = {p.author_id for p in items}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [output.progress_out(p, users, lang) for p in items]


@router.get("/deals/{deal_id}/history")
def category_history(deal_id: int, user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    """DEAL-7: every category / stage / status the deal took."""
    return output.category_history(db, access.get_deal(db, user, deal_id))


@router.post("/deals/{deal_id}/win")
def win_deal(deal_id: int, body: WinIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """DEAL-8/CTR-1a: records the contract and signs the deal; `won` once it is fully paid."""
    sign_by_win(db, user, deal_id, body.actual_amount, body.contract_no)
    return output.deal_out(db, access.get_deal(db, user, deal_id))


@router.post("/deals/{deal_id}/lose")
def lose_deal(deal_id: int, body: LoseIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.deal_out(db, closing.lose_deal(db, user, deal_id, body))
