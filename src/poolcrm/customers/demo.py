"""Demo customers: ~150 realistic companies across the public pool and the reps' private pools,
a few pending registrations, contacts, a member, an insurance and a securities company; plus
`ctx.customers` synthetic ones bulk-inserted (`poolcrm demo --customers N`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from poolcrm import clock, workers
from poolcrm.applications.models import (
    KIND_CLAIM,
    KIND_NEW_CUSTOMER,
    STATUS_APPROVED,
    STATUS_PENDING,
    Application,
)
from poolcrm.audit.service import record
from poolcrm.customers import bulk, checks, dedupe, registration, synth
from poolcrm.customers.models import POOL_PRIVATE, POOL_PUBLIC, Contact, Customer
from poolcrm.demo import STAFF_CLAIMED_DAYS_AGO, STAFF_PRIVATE, DemoContext, person_name
from poolcrm.org.models import User
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.moves import move_customer

ORDER = 20
CITIES = [
    ("北京", "北京市", "海淀区中关村大街", "010"),
    ("上海", "上海市", "浦东新区张江路", "021"),
    ("广州", "广州市", "天河区天河路", "020"),
    ("深圳", "深圳市", "南山区科技园路", "0755"),
    ("杭州", "杭州市", "西湖区文三路", "0571"),
    ("成都", "成都市", "高新区天府大道", "028"),
    ("南京", "南京市", "鼓楼区中山路", "025"),
    ("武汉", "武汉市", "洪山区珞喻路", "027"),
]
CORES = [
    "友好创达",
    "华信",
    "金桥",
    "恒通",
    "联创",
    "博远",
    "智达",
    "瑞丰",
    "东方润泽",
    "天成",
    "宏图",
    "新纪元",
    "中科汇联",
    "万象",
    "鼎盛",
    "海纳",
    "启明",
    "正元",
    "嘉禾",
    "远洋",
    "明德",
    "云帆",
    "睿思",
    "安泰",
]
TRADES = [
    ("科技", "软件"),
    ("信息技术", "软件"),
    ("贸易", "贸易"),
    ("电子", "电子制造"),
    ("档案管理", "档案"),
    ("数据服务", "软件"),
    ("办公设备", "办公设备"),
    ("印务", "印刷"),
]
SUFFIXES = ["有限公司", "有限公司", "有限责任公司", "股份有限公司"]
POSITIONS = ["采购经理", "信息中心主任", "行政主管", "总经理", "IT负责人", "办公室主任", "档案室主任"]
SOURCES = ["展会", "官网咨询", "老客户介绍", "电话开发", "招标网站", "渠道推荐"]
MOBILE_PREFIXES = ["138", "139", "136", "135", "158", "159", "186", "187", "188", "150", "151", "133", "177"]
PRIVATE_REPS = ["zhangwei", "lina", "wangfang", "liuyang", "zhaomin", "sunli", "ka1", "ka2", "sup1", "sup2"]


def _person(ctx: DemoContext) -> str:
    return person_name(ctx.rng)


def _mobile(ctx: DemoContext) -> str:
    return f"{ctx.rng.choice(MOBILE_PREFIXES)}{ctx.rng.randint(10000000, 99999999)}"


def _company(ctx: DemoContext, i: int) -> dict[str, Any]:
    short, city, street, area = CITIES[i % len(CITIES)]
    core = CORES[i % len(CORES)]
    trade, industry = TRADES[(i // len(CORES)) % len(TRADES)]
    name = f"{short}{core}{trade}{SUFFIXES[i % len(SUFFIXES)]}"
    rng = ctx.rng
    return {
        "name": name,
        "address": f"{city}{street}{rng.randint(1, 300)}号{rng.choice(['科技', '金融', '国际', '创新'])}大厦"
        f"{rng.randint(2, 28)}楼{rng.randint(1, 20):02d}室",
        "contact_name": _person(ctx),
        "phone": f"{area}-{rng.randint(5, 8)}{rng.randint(1000000, 9999999)}",
        "mobile": _mobile(ctx) if i % 2 else None,
        "contact_position": rng.choice(POSITIONS),
        "industry": industry,
        "region": short,
        "postal_code": f"{rng.randint(100000, 699999)}" if i % 3 else None,
        "customer_type": "distributor" if i % 7 == 0 else "direct",
        "source": rng.choice(SOURCES),
        "profile": f"{industry}行业客户，关注扫描与档案数字化" if i % 4 else None,
        "tier": rng.choice(["A", "B", "C", None]),
    }


SPECIAL: list[dict[str, Any]] = [
    {
        "name": "中国人民保险集团北京海淀支公司(代春燕)",
        "industry": "保险",
        "customer_type": "direct",
        "contact_name": "代春燕",
        "mobile": "13911112222",
        "address": "北京市海淀区中关村南大街5号理工科技大厦8楼801室",
        "phone": "010-68881234",
    },
    {
        "name": "华夏证券天仙桥营业部",
        "industry": "证券",
        "customer_type": "direct",
        "contact_name": "钱进",
        "address": "北京市东城区天仙桥路18号金融大厦3楼302室",
        "phone": "010-65551234",
    },
    {
        "name": "北京明德档案数字化服务有限公司",
        "industry": "档案",
        "customer_type": "direct",
        "contact_name": "孟静",
        "member_until": 400,
        "address": "北京市西城区西直门外大街1号华远大厦12楼1201室",
        "phone": "010-88886666",
        "tier": "A",
    },
]


def _create(session: Session, ctx: DemoContext, values: dict[str, Any], created_by: int | None) -> Customer:
    values = {k: v for k, v in values.items() if v is not None}
    if isinstance(values.get("member_until"), int):
        values["member_until"] = ctx.today + timedelta(days=values["member_until"])
    checked = checks.check_fields(session, values, registering=True)
    now = clock.now() - timedelta(days=ctx.rng.randint(20, 400))
    row = registration.new_customer_row(
        checked.values, code=checks.next_codes(session)[0], actor_id=created_by, at=now
    )
    customer = Customer(**row)
    session.add(customer)
    session.flush()
    dedupe.index_customer(session, customer.id, customer.name)
    return customer


def populate(session: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    cs = ctx.users["cs1"]
    reps = [ctx.users[u] for u in PRIVATE_REPS if u in ctx.users]
    created: list[Customer] = []
    specs = [_company(ctx, i) for i in range(150)]
    specs[3:3] = SPECIAL
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        key = spec["name"]
        if key in seen:
            continue
        seen.add(key)
        rep = reps[i % len(reps)]
        customer = _create(session, ctx, spec, rep.id)
        created.append(customer)
        if i % 20 == 5:  # waiting for CS (CUS-9)
            session.add(
                Application(
                    kind=KIND_NEW_CUSTOMER,
                    status=STATUS_PENDING,
                    customer_id=customer.id,
                    applicant_id=rep.id,
                    created_at=clock.now() - timedelta(hours=rng.randint(1, 30)),
                )
            )
            continue
        to = POOL_PRIVATE if i % 5 in (0, 1) or spec in SPECIAL else POOL_PUBLIC
        _approve_into(session, ctx, customer, rep, cs, to)
        if i % 3 == 0:
            _add_contacts(session, ctx, customer)
    session.flush()
    ctx.data["customers"] = [c.id for c in created]
    record(
        session,
        actor_id=None,
        action="demo.customers",
        object_type="demo",
        after={"count": len(created)},
        rule="CUS-9",
    )
    if ctx.customers:
        _staff_pools(session, ctx, _synthetic(session, ctx))


def _approve_into(
    session: Session,
    ctx: DemoContext,
    customer: Customer,
    rep: User,
    cs: User,
    to: str,
    *,
    kind: str = KIND_NEW_CUSTOMER,
) -> None:
    """A demo registration (CUS-9) or claim (POOL-4) approved by CS into the rep's pool; a public
    one then expired from the bin (POOL-7), a private one recently followed up."""
    rng = ctx.rng
    rule, reason = ("CUS-9", "新客户审核通过") if kind == KIND_NEW_CUSTOMER else ("POOL-4", "认领审核通过")
    session.add(
        Application(
            kind=kind,
            status=STATUS_APPROVED,
            customer_id=customer.id,
            applicant_id=rep.id,
            decided_by=cs.id,
            decided_at=customer.created_at,
            decision_rule=rule,
            created_at=customer.created_at,
        )
    )
    move_customer(
        session,
        customer,
        to_pool=POOL_PRIVATE,
        to_owner_id=rep.id,
        rule=rule,
        reason=reason,
        actor_id=cs.id,
        at=customer.created_at,
    )
    if to == POOL_PUBLIC:
        move_customer(
            session,
            customer,
            to_pool=POOL_PUBLIC,
            to_owner_id=None,
            rule="POOL-7",
            reason="待分配超期进入公海",
            actor_id=None,
            at=customer.created_at + timedelta(days=rng.randint(8, 15)),
        )
    else:
        customer.last_valid_followup_at = clock.now() - timedelta(days=rng.randint(0, 4))
        customer.status = rng.choice(["potential", "intent", "intent", "closed"])


def _add_contacts(session: Session, ctx: DemoContext, customer: Customer) -> None:
    rng = ctx.rng
    for _ in range(rng.randint(1, 3)):
        session.add(
            Contact(
                customer_id=customer.id,
                name=_person(ctx),
                department=rng.choice(["采购部", "信息中心", "行政部", "档案室"]),
                position=rng.choice(POSITIONS),
                mobile="+86" + _mobile(ctx),
                is_key_decision_maker=rng.random() < 0.3,
                active=True,
                created_at=customer.created_at,
            )
        )


def _staff_pools(session: Session, ctx: DemoContext, synthetic: list[int]) -> None:
    """Each `--staff` salesperson claims (POOL-4, approved by CS) up to STAFF_PRIVATE of the
    synthetic customers, so that a nationwide sales force works its own pools (the follow-ups,
    deals and service demos then write their history). The leads a salesperson holds came with the
    lead database months ago (STAFF_CLAIMED_DAYS_AGO) and were claimed then, so that their deal
    stories, which go back up to a quarter, begin after the customer was there and was theirs."""
    reps: list[User] = ctx.data.get("staff_reps", [])
    if not reps:
        return
    per_rep = min(STAFF_PRIVATE, len(synthetic) // (2 * len(reps)))  # half the synthetic stay public
    cs = ctx.users["cs1"]
    now = clock.now()
    for r, rep in enumerate(reps):
        ids = synthetic[r * per_rep : (r + 1) * per_rep]
        since = now - timedelta(days=ctx.rng.randint(*STAFF_CLAIMED_DAYS_AGO))
        # the bulk load recorded their entry into the public pool now (`bulk.bulk_create_columns`)
        session.execute(update(OwnershipEvent).where(OwnershipEvent.customer_id.in_(ids)).values(at=since))
        for customer in session.scalars(select(Customer).where(Customer.id.in_(ids))):
            customer.created_at = customer.updated_at = customer.pool_entered_at = since
            _approve_into(session, ctx, customer, rep, cs, POOL_PRIVATE, kind=KIND_CLAIM)
        session.flush()


def _synthetic(session: Session, ctx: DemoContext) -> list[int]:
    progress = ctx.data.get("progress")
    task = progress.add_task("synthetic customers", total=ctx.customers) if progress is not None else None

    def tick(done: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done)

    return create_synthetic(session, ctx.customers, progress=tick)


def create_synthetic(
    session: Session, n: int, *, seed: int = 2026, progress: Callable[[int], None] | None = None
) -> list[int]:
    """`n` synthetic companies (`synth.iter_companies`) bulk-created in the public pool. The
    generator runs in a forked worker process while this one writes (`workers.iter_in_worker`):
    making the rows is a third of the work, and the second core was idle. The rows come as
    batches of columns, which cost less to send and to write than dicts."""

    return bulk.bulk_create_columns(
        session,
        # batches of columns (fields, normal form and initials included), one batch per message
        workers.iter_in_worker(synth.iter_company_batches, n, seed, bulk.BATCH, chunk=1, ahead=8),
        at=clock.now(),
        rule="CUS-18",
        reason="演示数据",
        progress=progress,
        expected=n,
    )


def synth_record(company: Any) -> dict[str, Any]:
    """A synthetic company (dict or object) as customer fields."""
    fields = ("name", "address", "contact_name", "phone", "mobile", "industry", "region")
    if isinstance(company, str):
        return {"name": company, "address": "", "contact_name": "", "phone": ""}
    get = company.get if isinstance(company, dict) else (lambda k, d=None: getattr(company, k, d))
    out = {k: get(k) for k in fields}
    out["contact_name"] = out["contact_name"] or get("contact") or ""
    out["address"] = out["address"] or ""
    out["phone"] = out["phone"] or ""
    for precomputed in ("name_key", "name_initials"):  # the generator's, saves recomputing them
        if get(precomputed):
            out[precomputed] = get(precomputed)
    return out
