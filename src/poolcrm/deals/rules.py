"""Deal rules (DEAL-*, DSP-3, VIO-4): pure decisions — inputs in, verdict (with rule ID) out.

No database, no clock: the service loads the facts, asks these functions, and writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from poolcrm.calendar.rules import add_months

LEAD, MID, SHORT, SIGNED, WON, LOST = "lead", "mid", "short", "signed", "won", "lost"
OPEN_CATEGORIES: tuple[str, ...] = (LEAD, MID, SHORT)
CATEGORIES: tuple[str, ...] = (LEAD, MID, SHORT, SIGNED, WON, LOST)
# DEAL-8: signed (a contract is recorded, money outstanding) and won (收款完毕) carry the actual amount.
CONTRACTED: tuple[str, ...] = (SIGNED, WON)
CATEGORY_LABELS: dict[str, str] = {
    LEAD: "线索",
    MID: "中线",
    SHORT: "短线",
    SIGNED: "已签约",
    WON: "已成交",
    LOST: "放弃/丢单",
}

# DEAL-2 "跟单状态": the state of an open deal, reviewed with every change of category.
OPEN_STATUSES: tuple[str, ...] = ("active", "focus", "paused")
STATUS_LABELS: dict[str, str] = {
    "active": "正常跟进",
    "focus": "重点跟进",
    "paused": "暂缓跟进",
    SIGNED: "已签约",
    WON: "已成交",
    LOST: "已放弃",
}
DETAIL_FIELDS: tuple[str, ...] = (
    "purchase_reason",
    "purchase_form",
    "budget",
    "requirements",
    "execution_time",
    "competitors",
)
DETAIL_LABELS: dict[str, str] = {
    "purchase_reason": "采购原因",
    "purchase_form": "采购形式",
    "budget": "项目预算",
    "requirements": "项目要求",
    "execution_time": "项目执行时间",
    "competitors": "竞争对手情况",
}
MIN_STAGE, MAX_STAGE = 0, 10
CENT = Decimal("0.01")


@dataclass(frozen=True)
class StageDef:
    """DEAL-3: one row of the 0–10 stage table (seed 001 §4.1.2)."""

    stage: int
    probability: int
    customer_desc: str
    agent_desc: str


@dataclass(frozen=True)
class CategoryRule:
    """DEAL-2: the stages a category allows (its floor, and its ceiling)."""

    min_stage: int
    max_stage: int


# Seed 001 §4.1.2, "阶段 / 针对客户 / 针对代理商 / 阶段评估" — the company's own text.
DEFAULT_STAGES: tuple[StageDef, ...] = (
    StageDef(0, 0, "中途放弃或失败", "中途放弃或失败"),
    StageDef(1, 10, "有业务需求", "口头承诺合作"),
    StageDef(2, 20, "确定客户已报财务计划的大致时间安排", "对代理培训并已了解了产品"),
    StageDef(3, 30, "了解到预算的大小和执行时间", "已开始实际销售集成或推动产品"),
    StageDef(4, 40, "确定财务计划已批准", "代理商接受我公司的价格政策"),
    StageDef(5, 50, "锁定技术负责人并被认可", "代理商接受我公司的价格政策"),
    StageDef(6, 60, "锁定决策领导者并被认可", "产品排他性并与我公司合作"),
    StageDef(7, 70, "已排除竞争对手，投标中标", "开始协议供货"),
    StageDef(8, 80, "签订合同", "签订合同"),
    StageDef(9, 90, "开始执行合同发货实施", "开始执行合同发货实施"),
    StageDef(10, 100, "实施完毕并成功收款", "实施完毕并成功收款"),
)

# Seed 001 §4.1.3: lead = stage 1; mid = stage ≥ 2; short = stage ≥ 3; signed = 签订合同 / 执行
# (stages 8–9, DEAL-8); won = fully paid (stage 10); lost = stage 0.
DEFAULT_CATEGORY_RULES: dict[str, CategoryRule] = {
    LEAD: CategoryRule(1, 1),
    MID: CategoryRule(2, 10),
    SHORT: CategoryRule(3, 10),
    SIGNED: CategoryRule(8, 9),
    WON: CategoryRule(10, 10),
    LOST: CategoryRule(0, 0),
}


def stage_problem(category: str, stage: int, rules: Mapping[str, CategoryRule]) -> str | None:
    """DEAL-2/DEAL-3: the stage must lie within 0–10 and within the category's floor and ceiling
    (lead: 1; mid: ≥ 2; short: ≥ 3; lost: 0). Returns the Chinese message, or None when fine."""
    if not MIN_STAGE <= stage <= MAX_STAGE:
        return "跟单阶段须在 0–10 之间"
    rule = rules.get(category)
    if rule is None:
        return "未知的跟单分类"
    if stage < rule.min_stage:
        return "该分类的跟单阶段不能低于 {min_stage}"
    if stage > rule.max_stage:
        return "该分类的跟单阶段不能高于 {max_stage}"
    return None


def category_rules_problem(rules: Mapping[str, CategoryRule]) -> str | None:
    """DEAL-2: an edited category table stays coherent — every category present, 0 ≤ floor ≤ ceiling ≤ 10."""
    for category in CATEGORIES:
        rule = rules.get(category)
        if rule is None:
            return "缺少分类"
        if not MIN_STAGE <= rule.min_stage <= rule.max_stage <= MAX_STAGE:
            return "阶段下限须不大于上限，且在 0–10 之间"
    return None


def stage_table_problem(stages: Sequence[StageDef]) -> str | None:
    """DEAL-3: the stage table has exactly the stages 0–10, probabilities 0–100% never decreasing."""
    if [s.stage for s in stages] != list(range(MIN_STAGE, MAX_STAGE + 1)):
        return "阶段表须包含 0–10 全部阶段"
    previous = -1
    for s in stages:
        if not 0 <= s.probability <= 100:
            return "成交概率须在 0–100% 之间"
        if s.probability < previous:
            return "成交概率须随阶段递增"
        if not s.customer_desc.strip() or not s.agent_desc.strip():
            return "阶段描述不能为空"
        previous = s.probability
    return None


def default_close_date(created_on: date) -> date:
    """DEAL-5: the date the old system pre-filled (creation + 1 day)."""
    return created_on + timedelta(days=1)


def close_date_problem(expected_close_on: date, created_on: date, today: date) -> str | None:
    """DEAL-5: the expected close date is a real choice — the default (creation day + 1) is refused,
    and an open deal cannot be expected to close in the past."""
    if expected_close_on == default_close_date(created_on):
        return "预计成交日期不能使用系统默认值（建立次日），请如实填写"
    if expected_close_on < today:
        return "预计成交日期不能早于今天"
    return None


def close_horizon_months(category: str, *, short_months: int, mid_months: int) -> int | None:
    """DEAL-2: how many months ahead a deal of `category` closes at the latest — short 3, mid 12;
    None for a lead (more than a year away, or unknown) and a closed deal."""
    return {SHORT: short_months, MID: mid_months}.get(category)


def horizon_problem(
    category: str, expected_close_on: date, today: date, *, short_months: int, mid_months: int
) -> str | None:
    """DEAL-2: a short deal closes within `short_months` (3), a mid one within `mid_months` (12):
    an expected close date past its category's horizon contradicts the category and is refused
    (the rep picks the category that fits, or a nearer date)."""
    months = close_horizon_months(category, short_months=short_months, mid_months=mid_months)
    if months is None or expected_close_on <= add_months(today, months):
        return None
    return (
        "短线跟单预计 {months} 个月内成交，请确认分类"
        if category == SHORT
        else "中线跟单预计 {months} 个月内成交，请确认分类"
    )


def horizon_warning(
    category: str, expected_close_on: date, today: date, *, short_months: int, mid_months: int
) -> str | None:
    """DEAL-2: what the deal's page warns about its category — a lead expected within a year (leads
    are more than a year away or unknown, so it is not refused), or a short/mid deal whose date
    has drifted past its horizon since (a deal recorded before `horizon_problem` refused it)."""
    problem = horizon_problem(
        category, expected_close_on, today, short_months=short_months, mid_months=mid_months
    )
    if problem:
        return problem
    if category == LEAD and expected_close_on <= add_months(today, mid_months):
        return "线索预计 1 年以上或时间不明成交，请确认分类"
    return None


def category_change_missing(old_category: str, new_category: str | None, given: Iterable[str]) -> list[str]:
    """DEAL-2: changing the category requires stage, status and expected close date to be
    reviewed in the same change. Returns the fields that are missing."""
    if new_category is None or new_category == old_category:
        return []
    present = set(given)
    return [f for f in ("stage", "status", "expected_close_on") if f not in present]


@dataclass(frozen=True)
class ProductLine:
    name: str
    quantity: Decimal
    unit_price: Decimal
    model: str | None = None


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """DEAL-4: quantity × unit price, in cents."""
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def deal_amount(products: Iterable[ProductLine]) -> Decimal:
    """DEAL-4: the deal's amount is the sum of its product lines."""
    return sum((line_total(p.quantity, p.unit_price) for p in products), Decimal("0.00"))


def deal_content_problems(
    intention: str | None,
    product_categories: Sequence[str],
    products: Sequence[ProductLine],
    details: Mapping[str, str | None],
) -> dict[str, str]:
    """DEAL-4: intention (one of the configured product categories), at least one product with a
    name, a positive quantity and a price ≥ 0, and all six details are required."""
    problems: dict[str, str] = {}
    if not intention or intention not in product_categories:
        problems["intention"] = "请选择跟单意向（产品类别）"
    if not products:
        problems["products"] = "至少填写一个跟单产品"
    for i, p in enumerate(products):
        if not p.name.strip():
            problems[f"products.{i}.name"] = "必填"
        if p.quantity <= 0:
            problems[f"products.{i}.quantity"] = "数量须大于 0"
        if p.unit_price < 0:
            problems[f"products.{i}.unit_price"] = "单价不能为负数"
    for name in DETAIL_FIELDS:
        value = details.get(name)
        if value is None or not value.strip():
            problems[f"details.{name}"] = "必填"
    return problems


def deal_number(customer_code: str, sequence: int) -> str:
    """DEAL-8: deal number = customer code + `OP` + the customer's deal sequence (3 digits)."""
    return f"{customer_code}OP{sequence:03d}"


def reported_amount(category: str, amount: Decimal, actual_amount: Decimal | None) -> Decimal:
    """DEAL-8/DEAL-9: a signed or won deal counts with its contract amount, an open one with its estimate."""
    return actual_amount if category in CONTRACTED and actual_amount is not None else amount


def win_problems(actual_amount: Decimal | None, contract_no: str | None) -> dict[str, str]:
    """DEAL-8: a win needs the actual amount (> 0) and the contract number."""
    problems: dict[str, str] = {}
    if actual_amount is None or actual_amount <= 0:
        problems["actual_amount"] = "成交金额须大于 0"
    if not contract_no or not contract_no.strip():
        problems["contract_no"] = "必填"
    return problems


def lose_problems(reason: str | None) -> dict[str, str]:
    """DEAL-8 / DEAL-2: a lost deal needs its reason."""
    if not reason or not reason.strip():
        return {"reason": "请写明放弃或丢单原因"}
    return {}


@dataclass(frozen=True)
class WinCredit:
    credited_to: int | None
    dispute_needed: bool
    rule: str


def credit_for_win(
    *, winner_id: int, customer_owner_id: int | None, member_active: bool, open_for_redevelopment: bool
) -> WinCredit:
    """DSP-3 / DSP-1: who is credited with a win.

    - the customer's owner wins → the owner;
    - another rep wins on an active member customer open for redevelopment (MEM-1) → that rep (DSP-3);
    - another rep wins otherwise → credited to the owner until the dispute is decided (DSP-1)."""
    if customer_owner_id is None or winner_id == customer_owner_id:
        return WinCredit(winner_id, False, "DEAL-8")
    if member_active and open_for_redevelopment:
        return WinCredit(winner_id, False, "DSP-3")
    return WinCredit(customer_owner_id, True, "DSP-1")


@dataclass(frozen=True)
class CreateVerdict:
    allowed: bool
    owner_id: int | None
    rule: str
    message: str | None = None


def who_owns_new_deal(
    *,
    actor_id: int,
    actor_is_sales: bool,
    actor_manages_owner: bool,
    actor_sees_all: bool,
    customer_owner_id: int | None,
    open_for_redevelopment: bool,
) -> CreateVerdict:
    """DEAL-10 (ours; MEM-1, POOL-3): a deal is opened on a private customer by its owner, or on the
    owner's behalf by the owner's supervisors (or admin/GM); another rep may open one only on a
    member customer open for redevelopment — the deal is then theirs. Public/bin customers: claim first."""
    if customer_owner_id is None:
        return CreateVerdict(False, None, "DEAL-10", "请先将客户申请保护到私海，再建立跟单")
    if actor_id == customer_owner_id:
        return CreateVerdict(True, actor_id, "DEAL-10")
    if open_for_redevelopment and actor_is_sales and not actor_manages_owner:
        return CreateVerdict(True, actor_id, "MEM-1")
    if actor_manages_owner or actor_sees_all:
        return CreateVerdict(True, customer_owner_id, "DEAL-10")
    return CreateVerdict(False, None, "DEAL-10", "只能为自己私海中的客户建立跟单")


def reminder_due_on(last_activity_on: date, category: str, cadence_days: Mapping[str, int]) -> date | None:
    """DEAL-2: an open deal is due for a progress record `cadence_days[category]` days (lead 15,
    mid 15, short 7) after its last progress record (or its creation). Closed deals: never."""
    days = cadence_days.get(category)
    if category not in OPEN_CATEGORIES or days is None:
        return None
    return last_activity_on + timedelta(days=days)


def reminder_cutoff(today: date, category: str, cadence_days: Mapping[str, int]) -> date | None:
    """DEAL-2, set-based form of `reminder_due_on`: due today or earlier exactly when the last
    activity day is on or before this date."""
    days = cadence_days.get(category)
    if category not in OPEN_CATEGORIES or days is None:
        return None
    return today - timedelta(days=days)


def is_overdue(due_on: date | None, today: date) -> bool:
    """DEAL-2: past its due date without a progress record."""
    return due_on is not None and today > due_on


def weighted(amount: Decimal, probability: int) -> Decimal:
    """DEAL-9: weighted pipeline = amount × the stage's probability."""
    return (amount * Decimal(probability) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def stage_conversion(reached_by_max_stage: Mapping[int, int]) -> list[dict[str, float | int]]:
    """DEAL-9: conversion between stages. `reached_by_max_stage[s]` = deals whose furthest stage is s;
    a deal that reached s+1 also passed s. Rate s→s+1 = reached(≥ s+1) / reached(≥ s)."""
    reached: dict[int, int] = {}
    running = 0
    for s in range(MAX_STAGE, MIN_STAGE - 1, -1):
        running += reached_by_max_stage.get(s, 0)
        reached[s] = running
    out: list[dict[str, float | int]] = []
    for s in range(1, MAX_STAGE):
        base, nxt = reached[s], reached[s + 1]
        out.append(
            {
                "from": s,
                "to": s + 1,
                "reached": base,
                "advanced": nxt,
                "rate": round(nxt / base, 4) if base else 0.0,
            }
        )
    return out


def month_key(d: date) -> int:
    """DEAL-7: the month a date belongs to, as yyyymm."""
    return d.year * 100 + d.month


def shift_month(yyyymm: int, months: int) -> int:
    index = (yyyymm // 100) * 12 + (yyyymm % 100 - 1) + months
    return (index // 12) * 100 + index % 12 + 1


def monthly_category(history: Iterable[tuple[date, str]], yyyymm: int) -> str | None:
    """DEAL-7: in the statistics of month `yyyymm` a deal counts once, in its latest category of
    that month; a deal unchanged during the month counts in the category it entered the month with
    as long as that is an open one. `history` = (day, category) of every category the deal took."""
    latest: tuple[date, str] | None = None
    changed_in_month = False
    for day, category in history:
        key = month_key(day)
        if key > yyyymm:
            continue
        changed_in_month = changed_in_month or key == yyyymm
        if latest is None or day >= latest[0]:
            latest = (day, category)
    if latest is None:
        return None
    if changed_in_month or latest[1] in OPEN_CATEGORIES:
        return latest[1]
    return None


@dataclass(frozen=True)
class CustomerDeals:
    """What VIO-4 needs to know about one customer of a rep."""

    customer_id: int
    open_categories: frozenset[str]
    nearest_close_on: date | None
    has_won: bool
    last_contact_on: date | None


def scorecard_class(c: CustomerDeals, today: date, core_months: int) -> str | None:
    """VIO-4 / CUS-11: core = a mid or short deal expected to close within `core_months` (12);
    high growth = a lead or a past won deal; otherwise not on the scorecard."""
    has_core_deal = bool(c.open_categories & {MID, SHORT})
    if (
        has_core_deal
        and c.nearest_close_on is not None
        and c.nearest_close_on <= add_months(today, core_months)
    ):
        return "core"
    if LEAD in c.open_categories or c.has_won or has_core_deal:
        return "high_growth"
    return None


def contact_cadence_days(
    c: CustomerDeals, klass: str, core_contact_days: Mapping[str, int], high_growth_days: int
) -> int:
    """VIO-4: core customers with a short deal are contacted weekly, with a mid deal every 2 weeks;
    high-growth customers monthly."""
    if klass == "core":
        if SHORT in c.open_categories:
            return core_contact_days.get(SHORT, 7)
        return core_contact_days.get(MID, 14)
    return high_growth_days


def contact_ok(last_contact_on: date | None, today: date, cadence_days: int) -> bool:
    """VIO-4: contacted within the cadence (a valid follow-up no older than `cadence_days`)."""
    return last_contact_on is not None and (today - last_contact_on).days <= cadence_days


OTHER_SOURCE = "其他"


def default_source(customer_source: str | None, sources: Sequence[str]) -> str:
    """DEAL-11a: a deal created without a source takes its customer's source when it is one of the
    listed sources, else 其他 — every deal records one."""
    return customer_source if customer_source is not None and customer_source in sources else OTHER_SOURCE


def source_problem(source: str, sources: Sequence[str]) -> str | None:
    """DEAL-11: the source is one of the editable list."""
    return None if source in sources else "商机来源须从列表中选择"


@dataclass(frozen=True)
class CompetitorEval:
    competitor: str
    strengths: str
    weaknesses: str
    evaluated_on: date


def competitor_problems(evals: Sequence[CompetitorEval], names: Sequence[str], today: date) -> dict[str, str]:
    """DEAL-10: each competitor comes from the list, once per deal, with our strengths or weaknesses
    against it, evaluated on a day that is not in the future."""
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for i, e in enumerate(evals):
        if e.competitor not in names:
            problems[f"competitor_evaluations.{i}.competitor"] = "竞争对手须从列表中选择"
        elif e.competitor in seen:
            problems[f"competitor_evaluations.{i}.competitor"] = "同一竞争对手只能评估一次"
        seen.add(e.competitor)
        if not e.strengths.strip() and not e.weaknesses.strip():
            problems[f"competitor_evaluations.{i}.strengths"] = "请写明我方相对该竞争对手的优势或劣势"
        if e.evaluated_on > today:
            problems[f"competitor_evaluations.{i}.evaluated_on"] = "评估日期不能晚于今天"
    return problems
