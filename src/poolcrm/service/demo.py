"""Demo service desk (SVC-1..8): a month of tickets on the demo company's customers — repairs with
their scanned service sheets, installations with acceptance and commissioning records, online
support, return visits, training, complaints with their review — assigned by the service
supervisor, confirmed, worked, resolved and closed at the times they happened, most rated by the
customer; today's few still open, one of them past its deadline. Everything goes through the
services with the clock moved back to the moment, then restored."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import POOL_PRIVATE, POOL_PUBLIC, Contact, Customer
from poolcrm.service import files, ratings, rules, stats, tickets
from poolcrm.service.schemas import TicketIn
from poolcrm.service.sla import scan_breaches

ORDER = 75
TICKETS = 90
# `poolcrm demo --staff N`: tickets per extra salesperson, on their customers (issue 22: a larger
# company comes with a service desk's history in proportion)
STAFF_TICKETS = 1
SCAN = b"%PDF-1.4\n% demo scanned service document\n" + b"0" * 600
DEMO_SECRET = "demo-rating-links"
PRODUCTS = (
    "高速扫描仪 FS-9000",
    "档案管理系统 V5",
    "智能密集架 MJ-200",
    "扫描软件 ScanPro",
    "条码打印机 BP-80",
)
KINDS = (
    "in_warranty",
    "in_warranty",
    "out_warranty",
    "installation",
    "online",
    "online",
    "return_visit",
    "training",
)
TYPES = ("tech_support", "tech_support", "consultation", "suggestion", "tech_support", "complaint")
SYMPTOMS = (
    "设备开机后进纸异常，连续卡纸，影响档案室日常扫描",
    "系统升级后检索变慢，查询一次需要十几秒",
    "新到货设备需要安装调试并培训操作人员",
    "客户咨询批量导入旧档案目录的方法",
    "密集架电机异响，部分列无法移动",
    "条码打印模糊，贴标后无法识别",
)
RESULTS = (
    "更换进纸轮并清洁光路，测试连续扫描500页正常",
    "优化索引并清理历史日志，检索恢复到1秒内",
    "已安装调试完毕，客户签字验收",
    "远程指导完成导入",
)
COMMENTS = ("响应很快，工程师很专业", "问题解决了，谢谢", "上门及时，态度好", "处理时间有点长", "")


def _at(base: datetime, minutes: int) -> None:
    clock.set_now(base + timedelta(minutes=minutes), frozen=True)


def _one(session: Session, ctx: Any, n: int, customer: Customer, start: datetime, open_now: bool) -> None:
    rng = ctx.rng
    users = ctx.users
    staff = [users[u] for u in ("svc2", "svc3", "svc1") if u in users]
    opener = users.get("cs1" if n % 3 else "cs2") or staff[0]
    supervisor = users["svc1"]
    request_type = TYPES[n % len(TYPES)]
    kind = "online" if request_type == "complaint" and n % 2 else KINDS[n % len(KINDS)]
    contact = session.scalar(select(Contact.id).where(Contact.customer_id == customer.id).limit(1))
    _at(start, 0)
    ticket = tickets.open_ticket(
        session,
        opener,
        TicketIn(
            customer_id=customer.id,
            contact_id=contact,
            kind=kind,
            request_type=request_type,
            priority=("medium", "low", "high", "medium")[n % 4],
            description=SYMPTOMS[n % len(SYMPTOMS)],
            product=PRODUCTS[n % len(PRODUCTS)],
            emotion=("agitated", "disappointed", "calm")[n % 3] if request_type == "complaint" else None,
        ),
    )
    if open_now and n % 3 == 0:
        return  # still waiting in the queue
    worker = supervisor if ticket.assignee_id == supervisor.id and n % 2 else staff[n % len(staff)]
    urgent = ticket.priority == "high"
    _at(start, rng.randint(2, 12) if urgent else rng.randint(3, 40))
    if ticket.assignee_id != worker.id:
        tickets.assign_ticket(session, supervisor, ticket.id, worker.id, reassign=True)
    _at(start, rng.randint(14, 70) if urgent else rng.randint(45, 120))
    scan_breaches(session)  # a late confirmation is counted when it was late
    tickets.accept_ticket(session, worker, ticket.id)
    tickets.add_log(session, worker, ticket.id, "已电话联系客户，确认故障现象并约定处理时间")
    if open_now:
        return
    if n % 29 == 7:
        tickets.abandon_ticket(session, worker, ticket.id, "客户自行解决，取消服务")
        return
    _at(start, rng.randint(180, 60 * (22 if urgent else 40)))
    scan_breaches(session)
    for doc in rules.required_documents(kind):
        files.attach_file(session, worker, ticket.id, doc, f"{doc}.pdf", SCAN)
    tickets.resolve_ticket(session, worker, ticket.id, RESULTS[n % len(RESULTS)])
    _at(start, 60 * 32)
    tickets.close_ticket(session, opener, ticket.id, customer_confirmed=True)
    if request_type == "complaint":
        stats.review_complaint(
            session,
            supervisor,
            ticket.id,
            ("产品质量", "服务流程", "交付")[n % 3],
            "加强出厂检测与回访",
            n % 2 == 0,
        )
    if n % 10 < 7:
        token, _, _ = ratings.issue_link(session, opener, ticket.id, DEMO_SECRET)
        _at(start, 60 * 40)
        ratings.rate(
            session, token, DEMO_SECRET, (5, 5, 4, 3, 5, 4)[n % 6], COMMENTS[n % len(COMMENTS)], "demo"
        )


def populate(session: Session, ctx: Any) -> None:
    if "svc1" not in ctx.users:
        return
    customers = list(
        session.scalars(
            select(Customer)
            .where(Customer.pool.in_((POOL_PRIVATE, POOL_PUBLIC)))
            .order_by(Customer.id)
            .limit(40)
        )
    )
    if not customers:
        return
    targets = [customers[(n * 7) % len(customers)] for n in range(TICKETS)] + _staff_customers(session, ctx)
    was_overridden, real_start = clock.is_overridden(), clock.now()
    try:
        moments = sorted(
            real_start
            - timedelta(
                days=ctx.rng.randint(0, 29), hours=ctx.rng.randint(0, 8), minutes=ctx.rng.randint(0, 59)
            )
            for _ in targets
        )
        for n, start in enumerate(moments):
            open_now = real_start - start < timedelta(days=2)
            _one(session, ctx, n, targets[n], start, open_now)
            session.flush()
        clock.set_now(real_start, frozen=True)
        scan_breaches(session)
    finally:
        if was_overridden:
            clock.set_now(real_start)
        else:
            clock.reset()


def _staff_customers(session: Session, ctx: Any) -> list[Customer]:
    """STAFF_TICKETS customers of each `--staff` salesperson, in turn across them."""
    staff: list[Any] = ctx.data.get("staff_reps", [])
    if not staff:
        return []
    held: dict[int, list[Customer]] = {}
    rows = session.scalars(
        select(Customer)
        .where(Customer.owner_id.in_([u.id for u in staff]), Customer.pool == POOL_PRIVATE)
        .order_by(Customer.id)
    )
    for customer in rows:
        assert customer.owner_id is not None
        held.setdefault(customer.owner_id, []).append(customer)
    return [c for k in range(STAFF_TICKETS) for u in staff for c in held.get(u.id, [])[k : k + 1]]
