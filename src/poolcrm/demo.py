"""`poolcrm demo`: a realistic demo company. The organisation is made here; each domain adds its
part through `<domain>/demo.py` exposing `ORDER: int` and `populate(session, ctx) -> None`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.calendar.rules import add_months
from poolcrm.customers.grading import refresh_grades
from poolcrm.db import Database
from poolcrm.domains import domain_modules
from poolcrm.org.models import User
from poolcrm.org.schemas import DepartmentIn, UserIn
from poolcrm.org.service import create_department, create_user
from poolcrm.policy.service import company_today

DEMO_PASSWORD = "demo12345"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
]


# `--staff N`: N more salespeople in groups of STAFF_GROUP, each group a department with its own
# supervisor; one more customer-service person per STAFF_PER_CS salespeople; each new salesperson
# owns up to STAFF_PRIVATE synthetic customers (customers/demo.py)
STAFF_GROUP = 8
STAFF_PER_CS = 40
STAFF_PRIVATE = 30
STAFF_CLAIMED_DAYS_AGO = (100, 400)  # when a salesperson's synthetic customers came and were claimed


def person_name(rng: random.Random) -> str:
    """A Chinese personal name: surname and given name."""
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


class DemoPresent(RuntimeError):
    """The database already holds the demo company."""


@dataclass
class DemoContext:
    today: date
    rng: random.Random
    users: dict[str, User] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    customers: int = 0  # extra synthetic customers asked for with --customers
    staff: int = 0  # extra salespeople asked for with --staff
    data: dict[str, Any] = field(default_factory=dict)

    def reps(self) -> list[User]:
        return [u for u in self.users.values() if u.has_role("sales")]


# (username, display name, roles, department, supervisor username, months of tenure, employee code)
DEMO_USERS: list[tuple[str, str, list[str], str, str | None, int, str]] = [
    ("gm", "刘总", ["gm"], "总经办", None, 60, "BJ0001"),
    ("manager", "穆经理", ["sales_manager", "supervisor"], "销售一部", "gm", 48, "BJ0002"),
    ("sup1", "王主管", ["supervisor", "sales"], "销售一部", "manager", 30, "BJ0101"),
    ("sup2", "陈主管", ["supervisor", "sales"], "销售二部", "manager", 26, "BJ0201"),
    ("zhangwei", "张伟", ["sales"], "销售一部", "sup1", 14, "BJ0102"),
    ("lina", "李娜", ["sales"], "销售一部", "sup1", 8, "BJ0103"),
    ("wangfang", "王芳", ["sales"], "销售一部", "sup1", 1, "BJ0104"),
    ("liuyang", "刘洋", ["sales"], "销售二部", "sup2", 20, "BJ0202"),
    ("zhaomin", "赵敏", ["sales"], "销售二部", "sup2", 2, "BJ0203"),
    ("sunli", "孙丽", ["sales"], "销售二部", "sup2", 11, "BJ0204"),
    ("ka1", "周杰", ["sales", "supervisor"], "KA部", "manager", 36, "KA0001"),
    ("ka2", "吴倩", ["sales"], "KA部", "ka1", 5, "KA0002"),
    ("cs1", "郑客服", ["cs"], "客服部", "gm", 24, "CS0001"),
    ("cs2", "冯客服", ["cs"], "客服部", "cs1", 6, "CS0002"),
    ("svc1", "何工", ["service", "supervisor"], "服务部", "gm", 18, "FW0001"),
    ("svc2", "马工", ["service"], "服务部", "svc1", 12, "FW0002"),
    ("svc3", "秦工", ["service"], "服务部", "svc1", 4, "FW0003"),
    ("hr1", "韩人事", ["hr"], "总经办", "gm", 40, "HR0001"),
    ("fin1", "钱会计", ["finance"], "总经办", "gm", 30, "CW0001"),
]
DEMO_DEPARTMENTS = [
    ("总经办", "other"),
    ("销售一部", "sales"),
    ("销售二部", "sales"),
    ("KA部", "ka"),
    ("客服部", "cs"),
    ("服务部", "service"),
]


def _months_ago(today: date, months: int) -> date:
    return add_months(today, -months) - timedelta(days=3)


def _add_user(session: Session, ctx: DemoContext, admin_id: int | None, **fields: Any) -> User:
    """A demo person (password DEMO_PASSWORD) through the org service, kept by username."""
    user = create_user(session, admin_id, UserIn(password=DEMO_PASSWORD, **fields))
    ctx.users[user.username] = user
    return user


def populate_org(session: Session, ctx: DemoContext, admin_id: int | None) -> None:
    for name, kind in DEMO_DEPARTMENTS:
        ctx.departments[name] = create_department(session, admin_id, DepartmentIn(name=name, kind=kind)).id
    for username, display, roles, dept, sup, months, code in DEMO_USERS:
        _add_user(
            session,
            ctx,
            admin_id,
            username=username,
            display_name=display,
            roles=roles,
            department_id=ctx.departments[dept],
            supervisor_id=ctx.users[sup].id if sup else None,
            hired_on=_months_ago(ctx.today, months),
            employee_code=code,
        )
    if ctx.staff:
        populate_staff(session, ctx, admin_id)


def staff_usernames(staff: int) -> tuple[list[str], list[str], list[str]]:
    """The accounts `--staff N` makes: salespeople, group supervisors, customer service."""
    groups = -(-staff // STAFF_GROUP)
    return (
        [f"sales{i:04d}" for i in range(1, staff + 1)],
        [f"lead{g:03d}" for g in range(1, groups + 1)],
        [f"kefu{k:03d}" for k in range(1, staff // STAFF_PER_CS + 1)],
    )


def populate_staff(session: Session, ctx: DemoContext, admin_id: int | None) -> None:
    """A nationwide sales force (`poolcrm demo --staff N`): N salespeople in departments of
    STAFF_GROUP under a supervisor each (reporting to the sales manager), and customer service
    to match. Their own random source, so that the company's own people and customers come out the
    same with or without them (their claims, made later, draw on the demo's)."""
    rng = random.Random(f"staff-{ctx.staff}")
    sales, leads, kefu = staff_usernames(ctx.staff)

    def person(
        username: str, number: int, roles: list[str], department: int, supervisor: str, code: str
    ) -> User:
        return _add_user(
            session,
            ctx,
            admin_id,
            username=username,
            display_name=person_name(rng),
            roles=roles,
            department_id=department,
            supervisor_id=ctx.users[supervisor].id,
            hired_on=_months_ago(ctx.today, rng.randint(1, 48)),
            employee_code=f"{code}{number:04d}" if number < 10_000 else None,  # ORG-6's pattern
        )

    staff_reps: list[User] = []
    for g, lead in enumerate(leads):
        department = create_department(
            session, admin_id, DepartmentIn(name=f"销售{g + 1}组", kind="sales")
        ).id
        person(lead, g + 1, ["supervisor", "sales"], department, "manager", "XZ")
        for i in range(g * STAFF_GROUP, min((g + 1) * STAFF_GROUP, len(sales))):
            staff_reps.append(person(sales[i], i + 1, ["sales"], department, lead, "XS"))
    for k, username in enumerate(kefu):
        person(username, k + 1, ["cs"], ctx.departments["客服部"], "cs1", "KF")
    ctx.data["staff_reps"] = staff_reps


def _domain_demos() -> list[Any]:
    return sorted(domain_modules("demo"), key=lambda m: getattr(m, "ORDER", 100))


def run_demo(
    db: Database, *, customers: int = 0, staff: int = 0, seed: int = 2026, progress: Any = None
) -> DemoContext:
    """Fill an initialised database with the demo company, in one unit of work (under SQLite's
    rollback journal when nothing else has the file open: `Database.load_transaction`).
    Refuses to run twice."""
    with db.load_transaction() as session:
        return populate_demo(session, customers=customers, staff=staff, seed=seed, progress=progress)


def populate_demo(
    session: Session, *, customers: int = 0, staff: int = 0, seed: int = 2026, progress: Any = None
) -> DemoContext:
    """The demo company, written in the caller's transaction (also seeds the browser tests)."""
    if session.scalar(select(User.id).where(User.username == "gm")) is not None:
        raise DemoPresent("demo data already present")
    admin = session.scalar(select(User).where(User.username == "admin"))

    ctx = DemoContext(today=company_today(session), rng=random.Random(seed), customers=customers, staff=staff)
    populate_org(session, ctx, admin.id if admin else None)
    if admin is not None:
        ctx.users["admin"] = admin
    ctx.data["progress"] = progress
    for module in _domain_demos():
        module.populate(session, ctx)
        session.flush()
    refresh_grades(session)  # CUS-11: every demo customer shows the grade its facts give
    return ctx
