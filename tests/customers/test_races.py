"""CUS-7 (revised): the duplicate check and the insert are atomic on every engine — parallel
registrations of one company (or of one phone, without confirmation) create exactly one record."""

from __future__ import annotations

from sqlalchemy import func, select

from poolcrm.customers import registration
from poolcrm.customers.models import Customer
from poolcrm.customers.schemas import CustomerIn
from poolcrm.org.models import User
from tests.concurrency import run_all

VARIANTS = [
    "北京友好创达科技有限公司",
    "北京市友好創達科技有限公司",
    "友好创达科技有限公司",
    "北京 友好创达科技 有限公司",
    "友好创达科技（北京）有限公司",
    "北京友好创达科技股份有限公司",
]


def _register(user_id: int, name: str, phone: str):
    def fn(s):
        data = CustomerIn(
            name=name,
            address="北京市海淀区中关村大街1号海龙大厦5楼501室",
            contact_name="张三",
            phone=phone,
            industry="IT",
            customer_type="direct",
            confirm_warnings=True,
        )
        registration.register(s, s.get(User, user_id), data)

    return fn


def test_cus7_twenty_parallel_registrations_of_one_company_make_one_record(database, make_user):
    reps = [make_user(f"r{i}", ["sales"]) for i in range(24)]
    fns = [_register(r, VARIANTS[i % len(VARIANTS)], f"010-6{i:07d}") for i, r in enumerate(reps)]
    outcomes = run_all(database, fns)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) == {"ok", "CUS-7"}
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_cus7_twenty_parallel_registrations_with_one_phone_make_one_record(database, make_user):
    reps = [make_user(f"p{i}", ["sales"]) for i in range(20)]
    fns = [_register(r, f"上海第{i}号测试贸易有限公司", "021-61234567") for i, r in enumerate(reps)]
    outcomes = run_all(database, fns)
    assert outcomes.count("ok") == 1, outcomes
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_cus7_a_name_with_invisible_characters_is_an_exact_duplicate(database, make_user):
    rep = make_user("inv", ["sales"])
    assert run_all(database, [_register(rep, "北京友好创达科技有限公司", "010-62345678")]) == ["ok"]
    twin = run_all(database, [_register(rep, "北京友好\u200b创达\ufe0f科技有限公司", "010-68889999")])
    assert twin == ["CUS-7"]
