"""Demo deals (DEAL-*): on the demo reps' private direct customers, across categories and stages,
with progress records, category changes over the last months, a few signed (contracts in two
installments, approved, paid — a third still owe the second, overdue), won and lost. Everything
goes through `deals.service` at the time it "happened" (the demo moves the clock, then restores it)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.contracts import service as contracts
from poolcrm.contracts.models import PENDING, Contract
from poolcrm.contracts.payments import record_payment
from poolcrm.contracts.rules import PAYMENT_METHODS
from poolcrm.contracts.schemas import ContractIn, InstallmentIn, PaymentIn
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.deals import closing, service
from poolcrm.deals import progress as deals_progress
from poolcrm.deals.schemas import (
    CompetitorIn,
    DealIn,
    DealPatch,
    DetailsIn,
    LoseIn,
    OpenCategory,
    ProductIn,
    ProgressIn,
)
from poolcrm.followups.service import refresh_last_valid, refresh_next_planned
from poolcrm.org.models import User
from poolcrm.policy.service import company_today, get_policy

ORDER = 50
SOURCES = ("展会", "网站表单", "客户推荐", "来电", "合作伙伴", "老客户")
REPS = ("zhangwei", "lina", "liuyang", "sunli", "ka1", "ka2", "sup1", "sup2", "wangfang", "zhaomin")
STORIES = 6  # deal stories per demo rep: one of each scenario (`_DealStory.steps`)
# `poolcrm demo --staff N`: deal stories per extra salesperson, on their first claimed customers,
# so that a larger sales force comes with deals, contracts and payments in proportion (issue 22)
STAFF_STORIES = 3

# (deal name, intention, products [(name, model, qty, unit price)], details)
PROJECTS: list[tuple[str, str, list[tuple[str, str, int, int]], dict[str, str]]] = [
    (
        "档案数字化扫描项目",
        "扫描仪",
        [("高速文档扫描仪", "FS-9120", 4, 12800), ("扫描管理软件", "DocCap 5", 1, 9800)],
        {
            "purchase_reason": "档案室纸质档案数字化",
            "purchase_form": "公开招标",
            "budget": "约6万元",
            "requirements": "双面120页/分钟，支持A3",
            "execution_time": "本季度内",
            "competitors": "富士通、柯达",
        },
    ),
    (
        "数据中心存储扩容",
        "存储系统",
        [("统一存储阵列", "US-5600", 2, 168000), ("扩展柜", "DE-24", 4, 26000)],
        {
            "purchase_reason": "业务数据增长，现有容量不足",
            "purchase_form": "竞争性谈判",
            "budget": "45万元",
            "requirements": "可用容量200TB，双活",
            "execution_time": "下半年",
            "competitors": "华为、浪潮",
        },
    ),
    (
        "办公打印集中采购",
        "打印机",
        [("A3彩色多功能一体机", "MX-3071", 12, 18500), ("硒鼓", "TN-320", 60, 480)],
        {
            "purchase_reason": "打印设备老化，统一管理",
            "purchase_form": "询价采购",
            "budget": "25万元",
            "requirements": "支持刷卡打印与用量统计",
            "execution_time": "两个月内",
            "competitors": "理光、京瓷",
        },
    ),
    (
        "影像归档软件升级",
        "软件",
        [("影像归档系统授权", "ImgArc 8", 1, 88000), ("实施服务", "人天", 20, 1800)],
        {
            "purchase_reason": "旧系统停止维护",
            "purchase_form": "单一来源",
            "budget": "12万元",
            "requirements": "与OA系统集成，国产化适配",
            "execution_time": "明年上半年",
            "competitors": "本地软件商",
        },
    ),
    (
        "年度耗材框架协议",
        "耗材",
        [("原装墨粉", "TN-4520", 200, 420), ("维护套件", "MK-110", 30, 1600)],
        {
            "purchase_reason": "年度耗材统一采购",
            "purchase_form": "框架协议",
            "budget": "13万元/年",
            "requirements": "48小时到货",
            "execution_time": "年初签约",
            "competitors": "耗材代理商",
        },
    ),
    (
        "分支机构综合设备配置",
        "综合设备",
        [("扫描打印一体站", "CS-200", 15, 9800), ("小型存储", "NAS-4", 15, 6200)],
        {
            "purchase_reason": "新设15个分支网点",
            "purchase_form": "公开招标",
            "budget": "25万元",
            "requirements": "统一交付、统一运维",
            "execution_time": "网点开业前",
            "competitors": "系统集成商",
        },
    ),
]

PROGRESS: list[tuple[str, str]] = [
    ("与{contact}电话沟通，对方确认{project}已列入今年采购计划，预算正在走审批流程", "发送产品资料和报价单"),
    ("上门拜访{contact}，演示了样机，客户对速度和稳定性表示认可，提出需要对接现有系统", "安排技术交流会"),
    ("与信息中心技术负责人开会讨论{project}方案细节，确认了配置清单和交付周期", "提交正式技术方案"),
    ("{contact}反馈竞争对手报价偏低，我方说明了售后服务优势，客户同意进入商务谈判", "准备商务报价与合同草案"),
    ("客户采购部召集{project}评审会，我方方案排名第一，等待领导最终审批", "跟进审批进度，准备合同"),
]

Step = tuple[int, int, Callable[[], None]]  # (days ago, order, action)


def _products(items: list[tuple[str, str, int, int]]) -> list[ProductIn]:
    return [ProductIn(name=n, model=m, quantity=Decimal(q), unit_price=Decimal(p)) for n, m, q, p in items]


class _DealStory:
    """One demo deal's life as dated steps: created, progressed, moved, won or lost (DEAL-2..8)."""

    def __init__(
        self, session: Session, rep: User, customer: Customer, n: int, deals: dict[str, int], serial: Any
    ) -> None:
        self.session, self.rep, self.customer, self.n, self.deals = session, rep, customer, n, deals
        self.contracts: dict[str, int] = {}
        # every third signed story still owes its second installment (overdue in the demo)
        self.owes_second = n % 6 == 3 and next(serial) % 3 == 1
        self.name, self.intention, self.items, self.details = PROJECTS[n % len(PROJECTS)]
        self.key = f"{customer.id}:{n}"
        self.contact = customer.contact_name or "客户"

    def create(self, category: OpenCategory, stage: int, close_in: int) -> Callable[[], None]:
        def run() -> None:
            data = DealIn(
                customer_id=self.customer.id,
                name=self.name,
                category=category,
                stage=stage,
                expected_close_on=company_today(self.session) + timedelta(days=close_in),
                intention=self.intention,
                products=_products(self.items),
                details=DetailsIn(**self.details),
                source=SOURCES[self.n % len(SOURCES)],
                competitor_evaluations=self.competitors(),
            )
            self.deals[self.key] = service.create_deal(self.session, self.rep, data).id

        return run

    def competitors(self) -> list[CompetitorIn]:
        """DEAL-10: the competitors named in the project's details that are on the company's list."""
        listed = get_policy(self.session).deal_competitors
        named = [c for c in self.details["competitors"].replace("，", "、").split("、") if c in listed]
        return [
            CompetitorIn(
                competitor=c,
                strengths="本地服务团队响应快，已有同类项目案例",
                weaknesses="设备单价高于对方报价约一成" if i == 0 else "",
                evaluated_on=company_today(self.session),
            )
            for i, c in enumerate(named)
        ]

    def progress(self, i: int) -> Callable[[], None]:
        def run() -> None:
            text, nxt = PROGRESS[i % len(PROGRESS)]
            said = text.format(contact=self.contact, project=self.name)
            details_text = f"{said}（{company_today(self.session):%m月%d日}）"
            deals_progress.add_progress(
                self.session, self.rep, self.deals[self.key], ProgressIn(details=details_text, next_plan=nxt)
            )

        return run

    def move(self, category: str | None, stage: int, close_in: int) -> Callable[[], None]:
        def run() -> None:
            fields: dict[str, Any] = {"stage": stage}
            if category:
                fields.update(
                    category=category,
                    status="focus" if category == "short" else "active",
                    expected_close_on=company_today(self.session) + timedelta(days=close_in),
                )
            service.update_deal(self.session, self.rep, self.deals[self.key], DealPatch(**fields))

        return run

    def sign(self, amount: int) -> Callable[[], None]:
        """CTR-1..3: the contract, from the deal's products, in two installments (half in a week, the
        rest a month after signing)."""

        def run() -> None:
            today = company_today(self.session)
            first = Decimal(amount // 2)
            data = ContractIn(
                customer_id=self.customer.id,
                deal_id=self.deals[self.key],
                number=f"HT{today:%Y%m%d}{self.customer.id:04d}",
                amount=Decimal(amount),
                signed_on=today,
                terms="货到验收合格后按分期付款；质保一年",
                lines=None,
                installments=[
                    InstallmentIn(due_on=today + timedelta(days=7), amount=first),
                    InstallmentIn(due_on=today + timedelta(days=30), amount=Decimal(amount) - first),
                ],
            )
            self.contracts[self.key] = contracts.record_contract(self.session, self.rep, data).id

        return run

    def approve(self) -> Callable[[], None]:
        def run() -> None:
            contract_id = self.contracts[self.key]
            approver = self.session.get(User, self.rep.supervisor_id) if self.rep.supervisor_id else None
            gm = self.session.scalar(select(User).where(User.username == "gm"))
            for who in (approver or gm, gm):
                contract = self.session.get(Contract, contract_id)
                if who is not None and contract is not None and contract.status == PENDING:
                    contracts.approve_contract(self.session, who, contract_id)

        return run

    def pay(self, seq: int) -> Callable[[], None]:
        def run() -> None:
            contract = self.session.get(Contract, self.contracts[self.key])
            assert contract is not None
            part = contract.installments[seq]
            method = PAYMENT_METHODS[self.n % 2]
            data = PaymentIn(
                received_on=company_today(self.session), amount=part.amount, method=method, note=None
            )
            record_payment(self.session, self.rep, contract.id, data)

        return run

    def lose(self, reason: str) -> Callable[[], None]:
        def run() -> None:
            closing.lose_deal(self.session, self.rep, self.deals[self.key], LoseIn(reason=reason))

        return run

    def steps(self) -> list[Step]:
        """Six scenarios in turn: mid → short moving well, mid early, a far lead, won, lost, overdue."""
        total = sum(q * p for _, _, q, p in self.items)
        scenarios: list[list[Step]] = [
            [
                (42, 0, self.create("mid", 2, 150)),
                (35, 1, self.progress(0)),
                (21, 1, self.move("short", 4, 60)),
                (14, 1, self.progress(1)),
                (4, 1, self.move(None, 5, 0)),
                (3, 2, self.progress(2)),
            ],
            [(26, 0, self.create("mid", 2, 200)), (12, 1, self.progress(0)), (5, 1, self.move(None, 3, 0))],
            [(11, 0, self.create("lead", 1, 450)), (6, 1, self.progress(0))],
            [
                (95, 0, self.create("short", 3, 70)),
                (80, 1, self.progress(1)),
                (60, 1, self.move(None, 6, 0)),
                (45, 1, self.progress(3)),
                (38, 1, self.move(None, 7, 0)),
                (36 - self.n % 5, 1, self.sign(int(total * 0.95))),
                (35 - self.n % 5, 1, self.approve()),
                (33 - self.n % 5, 1, self.pay(0)),
                # paid in full today: the GM's funnel shows a deal won this month on any day (GOV-6)
                *([] if self.owes_second else [(0, 1, self.pay(1))]),
            ],
            [
                (65, 0, self.create("mid", 2, 120)),
                (50, 1, self.progress(0)),
                (30, 1, self.move(None, 3, 0)),
                (12, 1, self.lose("客户最终选择了竞争对手的低价方案，预算被压缩")),
            ],
            [(33, 0, self.create("short", 3, 50)), (24, 1, self.progress(2)), (20, 1, self.move(None, 7, 0))],
        ]
        return scenarios[self.n % 6]


def _within(story: list[Step], days: int) -> list[Step]:
    """A story told within the `days` its customer has been the rep's: a longer one is told
    faster (its days scaled down, its order kept), so that no deal begins before its customer was
    claimed; a customer claimed today has no story yet."""
    longest = max(days_ago for days_ago, _, _ in story)
    if longest < days:
        return story
    if days < 1:
        return []
    return [(days_ago * (days - 1) // longest, order, action) for days_ago, order, action in story]


def populate(session: Session, ctx: Any) -> None:
    """ctx: poolcrm.demo.DemoContext (users by username). Each demo rep's first STORIES direct
    customers (each `--staff` salesperson's first STAFF_STORIES) get a deal story, played in date
    order with the clock moved back to each step's day."""
    reps = [(ctx.users[name], STORIES) for name in REPS if name in ctx.users]
    reps += [(rep, STAFF_STORIES) for rep in ctx.data.get("staff_reps", [])]
    if not reps:
        return
    was_overridden = clock.is_overridden()
    real_start = clock.now()
    steps: list[Step] = []
    deals: dict[str, int] = {}
    serial = itertools.count()
    for rep, stories in reps:
        customers = session.scalars(
            select(Customer)
            .where(
                Customer.owner_id == rep.id, Customer.pool == POOL_PRIVATE, Customer.customer_type == "direct"
            )
            .order_by(Customer.id)
            .limit(stories)
        ).all()
        for n, customer in enumerate(customers):
            story = _DealStory(session, rep, customer, n + rep.id, deals, serial).steps()
            claimed = customer.pool_entered_at or customer.created_at
            steps.extend(_within(story, (real_start - claimed).days))
    try:
        for days_ago, _, action in sorted(steps, key=lambda s: (-s[0], s[1])):
            clock.set_now(real_start - timedelta(days=days_ago), frozen=True)
            action()
            session.flush()
    finally:
        if was_overridden:
            clock.set_now(real_start)
        else:
            clock.reset()
    # the steps wrote follow-ups (progress counted as contact) in the past, after later ones:
    # the customers' anchors and next follow-up dates go back to their latest follow-up
    refresh_last_valid(session)  # POOL-6
    refresh_next_planned(session)  # FU-4
