"""Organisation use cases: departments, users, the supervisor tree, visibility (ORG-1..7)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import MAX_ID, for_update, lock_rows_clause, reference
from poolcrm.errors import Conflict, InvalidInput, NotFound, RuleViolation
from poolcrm.notify.service import notify_many
from poolcrm.org import rules, scope
from poolcrm.org.models import Department, User, UserRole
from poolcrm.org.passwords import hash_password
from poolcrm.org.schemas import DepartmentIn, DepartmentOut, DepartmentPatch, UserIn, UserOut, UserPatch
from poolcrm.org.signals import user_changed
from poolcrm.policy.service import company_today, get_policy


def department_out(d: Department) -> DepartmentOut:
    return DepartmentOut(
        id=d.id, name=d.name, kind=d.kind, parent_id=d.parent_id, head_user_id=d.head_user_id, active=d.active
    )


def user_out(u: User) -> UserOut:
    return UserOut(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        roles=u.roles,
        department_id=u.department_id,
        department=department_out(u.department) if u.department else None,
        supervisor_id=u.supervisor_id,
        hired_on=u.hired_on,
        probation_end_on=u.probation_end_on,
        employee_code=u.employee_code,
        email=u.email,
        mobile=u.mobile,
        active=u.active,
        left_on=u.left_on,
    )


def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.id)))


_REQUIRED_USER_FIELDS = ("display_name", "roles", "hired_on", "active", "password")
_REQUIRED_DEPARTMENT_FIELDS = ("name", "kind", "active")


def _missing(fields: dict[str, Any], required: tuple[str, ...]) -> dict[str, str]:
    """Fields a patch may leave out but not blank out (they are never empty in the database)."""
    return {name: "必填" for name in required if name in fields and fields[name] is None}


def _get(session: Session, model: type[Any], row_id: int) -> Any:
    return session.get(model, row_id) if abs(row_id) <= MAX_ID else None


def get_department(session: Session, dept_id: int) -> Department:
    dept = _get(session, Department, dept_id)
    if dept is None:
        raise NotFound()
    return dept


def department_tree(session: Session) -> list[tuple[Department, int]]:
    """ORG-3: every department with its depth, parents before their children."""
    departments = {d.id: d for d in list_departments(session)}
    order = rules.tree_order({d.id: d.parent_id for d in departments.values()})
    return [(departments[dept_id], depth) for dept_id, depth in order]


def _check_department_fields(session: Session, fields: dict[str, Any], dept_id: int | None) -> None:
    """ORG-3: the parent and the head exist, and the departments stay a tree (422 naming the field)."""
    errors = _missing(fields, _REQUIRED_DEPARTMENT_FIELDS)
    parent_id = fields.get("parent_id")
    if parent_id is not None:
        if _get(session, Department, parent_id) is None:
            errors["parent_id"] = "上级部门不存在"
        elif dept_id is not None:
            parents = dict(session.execute(select(Department.id, Department.parent_id)).all())
            if rules.department_cycle(dept_id, parent_id, parents):
                errors["parent_id"] = "部门上下级不能形成循环"
    if fields.get("head_user_id") is not None and _get(session, User, fields["head_user_id"]) is None:
        errors["head_user_id"] = "负责人不存在"
    if errors:
        raise InvalidInput(errors, rule="ORG-3")


def create_department(session: Session, actor_id: int | None, data: DepartmentIn) -> Department:
    if session.scalar(select(Department.id).where(Department.name == data.name)):
        raise Conflict("部门名称已存在", rule="ORG-3", details={"fields": {"name": "部门名称已存在"}})
    _check_department_fields(session, data.model_dump(), None)
    dept = Department(
        name=data.name,
        kind=data.kind,
        parent_id=data.parent_id,
        head_user_id=data.head_user_id,
        active=True,
        created_at=clock.now(),
    )
    session.add(dept)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="department.create",
        object_type="department",
        object_id=dept.id,
        after=department_out(dept).model_dump(),
        rule="ORG-3",
    )
    return dept


def update_department(session: Session, actor_id: int, dept_id: int, patch: DepartmentPatch) -> Department:
    dept = get_department(session, dept_id)
    before = department_out(dept).model_dump()
    changes = patch.model_dump(exclude_unset=True)
    if (
        "name" in changes
        and changes["name"] != dept.name
        and session.scalar(select(Department.id).where(Department.name == changes["name"]))
    ):
        raise Conflict("部门名称已存在", rule="ORG-3", details={"fields": {"name": "部门名称已存在"}})
    _check_department_fields(session, changes, dept_id)
    for key, value in changes.items():
        setattr(dept, key, value)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="department.update",
        object_type="department",
        object_id=dept.id,
        before=before,
        after=department_out(dept).model_dump(),
        rule="ORG-3",
    )
    return dept


def get_user(session: Session, user_id: int) -> User:
    user = _get(session, User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def users_query(
    *,
    active: bool | None = None,
    q: str | None = None,
    department_id: int | None = None,
    role: str | None = None,
) -> Select[User]:
    """The users matching the admin's filters, by id."""
    query = select(User).order_by(User.id)
    if active is not None:
        query = query.where(User.active.is_(active))
    if department_id is not None:
        query = query.where(User.department_id == department_id)
    if role:
        query = query.where(User.role_rows.any(UserRole.role == role))
    if q:
        like = f"%{q}%"
        query = query.where(User.username.ilike(like) | User.display_name.ilike(like))
    return query


def list_users(
    session: Session,
    *,
    active: bool | None = None,
    q: str | None = None,
    department_id: int | None = None,
    role: str | None = None,
) -> list[User]:
    return list(session.scalars(users_query(active=active, q=q, department_id=department_id, role=role)))


def _employment_dates_problems(session: Session, fields: dict[str, Any], user: User | None) -> dict[str, str]:
    """ORG-4a on the dates a create or a patch leaves the user with (checked when it sets one); a
    patch's refusal names the field it sent."""
    if not fields.keys() & {"hired_on", "probation_end_on"}:
        return {}
    dates = {"hired_on": user.hired_on, "probation_end_on": user.probation_end_on} if user else {}
    dates.update({k: v for k, v in fields.items() if k in ("hired_on", "probation_end_on")})
    policy = get_policy(session)
    problems = rules.employment_dates_problems(
        dates.get("hired_on"),
        dates.get("probation_end_on"),
        company_today(session),
        hire_days_ahead=policy.hire_days_ahead,
        probation_max_months=policy.probation_max_months,
    )
    if "probation_end_on" in problems and "probation_end_on" not in fields:
        problems.setdefault("hired_on", problems.pop("probation_end_on"))
    return problems


def _check_user_fields(session: Session, fields: dict[str, Any], user: User | None) -> None:
    user_id = user.id if user is not None else None
    errors = _missing(fields, _REQUIRED_USER_FIELDS)
    if "roles" in fields and fields["roles"] is not None:
        bad = rules.unknown_roles(fields["roles"])
        if bad:
            errors["roles"] = f"未知角色：{', '.join(bad)}"
    if fields.get("department_id") is not None and _get(session, Department, fields["department_id"]) is None:
        errors["department_id"] = "部门不存在"
    if fields.get("supervisor_id") is not None:
        if _get(session, User, fields["supervisor_id"]) is None:
            errors["supervisor_id"] = "上级不存在"
        elif user_id is not None:
            tree = dict(session.execute(select(User.id, User.supervisor_id)).all())
            if rules.supervisor_cycle(user_id, fields["supervisor_id"], tree):
                errors["supervisor_id"] = "上下级关系不能形成循环"
    code = fields.get("employee_code")
    if code:
        problem = rules.employee_code_problem(code, get_policy(session).employee_code_pattern)
        if problem:
            errors["employee_code"] = problem
        else:
            clash = session.scalar(select(User.id).where(User.employee_code == code))
            if clash and clash != user_id:
                errors["employee_code"] = "员工编号已被使用"
    dates = _employment_dates_problems(session, fields, user)
    for name, problem in dates.items():
        errors.setdefault(name, problem)
    if errors:
        rule = "ORG-6" if "employee_code" in errors else "ORG-4a" if dates else None
        raise InvalidInput(errors, rule=rule)


def create_user(session: Session, actor_id: int | None, data: UserIn) -> User:
    if find_user(session, data.username):
        raise Conflict("用户名已存在", rule="ORG-1", details={"fields": {"username": "用户名已存在"}})
    fields = data.model_dump()
    _check_user_fields(session, fields, None)
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        display_name=data.display_name,
        department_id=data.department_id,
        supervisor_id=data.supervisor_id,
        hired_on=data.hired_on,
        probation_end_on=data.probation_end_on,
        employee_code=data.employee_code or None,
        email=data.email,
        mobile=data.mobile,
        active=True,
        created_at=clock.now(),
    )
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(data.roles)]
    session.add(user)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="user.create",
        object_type="user",
        object_id=user.id,
        after=user_out(user).model_dump(mode="json"),
        rule="ORG-1",
    )
    return user


def update_user(session: Session, actor_id: int, user_id: int, patch: UserPatch) -> User:
    user = get_user(session, user_id)
    before = user_out(user).model_dump(mode="json")
    changes = patch.model_dump(exclude_unset=True)
    lockout = rules.self_lockout_problem(actor_id, user_id, changes)
    if lockout:
        raise RuleViolation("ORG-7a", lockout)
    _check_user_fields(session, changes, user)
    for key, value in changes.items():
        if key == "roles":
            wanted = list(dict.fromkeys(value))
            user.role_rows = [r for r in user.role_rows if r.role in wanted] + [
                UserRole(role=r) for r in wanted if r not in user.roles
            ]
        elif key == "password":
            user.password_hash = hash_password(value)
            user.token_version += 1
        elif key == "active":
            if user.active and not value:
                user.left_on = company_today(session)
                user.token_version += 1
            elif value:
                user.left_on = None
            user.active = value
        elif key == "employee_code":
            user.employee_code = value or None
        else:
            setattr(user, key, value)
    session.flush()
    after = user_out(user).model_dump(mode="json")
    action = "user.disable" if before["active"] and not after["active"] else "user.update"
    record(
        session,
        actor_id=actor_id,
        action=action,
        object_type="user",
        object_id=user.id,
        before=before,
        after=after,
        rule="ORG-7" if action == "user.disable" else "ORG-1",
    )
    user_changed.send(session, actor_id=actor_id, before=before, after=after)
    return user


def visible_owner_ids(session: Session, user: User) -> frozenset[int] | None:
    """ORG-2/ORG-5: the owners whose private records `user` may see; None means everyone. Read
    from `org_scope` (the user's rows only; org.scope); a list joins `visible_owner_clause`."""
    if rules.sees_everyone(user.roles):
        return None
    return scope.subtree_of(session, user.id)


def visible_owner_clause(
    user: User, column: ColumnElement[Any] | QueryableAttribute[Any]
) -> ColumnElement[bool] | None:
    """ORG-2/ORG-5 as SQL: `column` (an owner) within `user`'s subtree, joined through the
    `org_scope` index rather than bound as a list of ids; None when the user sees everyone."""
    if rules.sees_everyone(user.roles):
        return None
    return column.in_(scope.visible_owners(user.id))


def subordinate_ids(session: Session, user_id: int) -> frozenset[int]:
    """Everyone below `user_id` in the tree (not including the user)."""
    return scope.subtree_of(session, user_id) - {user_id}


def is_supervisor_of(session: Session, supervisor_id: int, user_id: int) -> bool:
    return user_id in subordinate_ids(session, supervisor_id)


def acts_for(session: Session, user: User, owner_id: int | None) -> bool:
    """ORG-5: the owner, the owner's supervisors, admin and the GM may act on a rep's records."""
    if rules.manages_everyone(user.roles):
        return True
    return owner_id is not None and (owner_id == user.id or is_supervisor_of(session, user.id, owner_id))


def role_holders(session: Session, role: str) -> list[int]:
    """The active users holding `role`, in id order."""
    return list(
        session.scalars(
            select(User.id).where(User.active.is_(True), User.role_rows.any(role=role)).order_by(User.id)
        )
    )


def notify_role(
    session: Session, role: str, kind: str, message: str, *, link: str, rule: str | None, **params: Any
) -> None:
    """Every active holder of `role` (CS: an application waiting for them) is told at once, in one
    INSERT — not one each with its outbox lookup (issue 22: a registration wrote 16 statements for
    8 CS users)."""
    notify_many(
        session, dict.fromkeys(role_holders(session, role), params), kind, message, link=link, rule=rule
    )


def lock_users(session: Session, ids: Iterable[int]) -> None:
    """Serialise per-rep decisions (POOL-2 counted atomically): lock the users' rows in id order,
    after any customer rows (the fixed order avoids deadlocks)."""
    if lock_rows_clause(session):  # SQLite: writers are serialised already; the SELECT would only cost
        session.execute(for_update(select(User.id).where(User.id.in_(sorted(set(ids)))).order_by(User.id)))


def sales_rep_condition() -> ColumnElement[bool]:
    """ORG-1/ORG-3, the one definition of a sales rep: an active user holding `sales` in a sales or
    KA department (select from User joined to Department)."""
    return and_(
        User.active.is_(True),
        Department.kind.in_(rules.SALES_DEPARTMENT_KINDS),
        User.role_rows.any(role="sales"),
    )


@dataclass(frozen=True)
class Person:
    """A user as a list row names them: no roles, no department (one light query for a page)."""

    id: int
    display_name: str


def active_people(session: Session) -> list[Person]:
    """Every active user as a name, by id (a department head's choice: 1,300 at a nationwide company)."""
    return [Person(uid, name) for uid, name in session.execute(_ACTIVE_NAMES)]


_ACTIVE_NAMES = select(User.id, User.display_name).where(User.active.is_(True)).order_by(User.id)


def sales_rep_people(session: Session) -> list[Person]:
    """Every sales rep (`sales_rep_condition`) as a name, by id: a page that only names the reps
    of a nationwide company (thousands) reads two columns, not users with roles and department."""
    q = select(User.id, User.display_name).join(Department, Department.id == User.department_id)
    rows = session.execute(q.where(sales_rep_condition()).order_by(User.id))
    return [Person(uid, name) for uid, name in rows]


def subordinate_rep_people(session: Session, user_id: int) -> list[Person]:
    """ORG-2: the sales users below `user_id` in the tree (`subordinate_reps`), as names, by id."""
    q = select(User.id, User.display_name).where(
        User.id.in_(scope.visible_owners(user_id)), User.id != user_id, User.role_rows.any(role="sales")
    )
    return [Person(uid, name) for uid, name in session.execute(q.order_by(User.id))]


def sales_rep_ids(session: Session) -> frozenset[int]:
    """The ids of every sales rep (`sales_rep_condition`), without loading them (a dashboard card
    asks whether today's duty reps are still reps; a nationwide company has thousands) —
    reference data (`db.reference`)."""
    q = select(User.id).join(Department, Department.id == User.department_id).where(sales_rep_condition())
    return reference(session, "poolcrm.sales_rep_ids", lambda: frozenset(session.scalars(q)))


def sales_reps(session: Session) -> list[User]:
    """Every sales rep (`sales_rep_condition`), by id."""
    q = select(User).join(Department, Department.id == User.department_id).where(sales_rep_condition())
    return list(session.scalars(q.order_by(User.id)))


def subordinate_reps(session: Session, user_id: int) -> list[User]:
    """ORG-2: the sales users below `user_id` in the tree (a supervisor's team), by id."""
    ids = sorted(subordinate_ids(session, user_id))
    team: Iterable[User] = (
        session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)) if ids else []
    )
    return [u for u in team if u.has_role("sales")]


def people_by_id(
    session: Session, ids: Iterable[int | None], known: Iterable[User] = ()
) -> dict[int, Person]:
    """The users with these ids, by id, as names (None and unknown ids skipped). `known`: users
    this request has read already (the signed-in one): named from them, without a statement — a
    rep's own pool names nobody else."""
    wanted = {i for i in ids if i is not None}
    people = {u.id: Person(u.id, u.display_name) for u in known if u.id in wanted}
    rest = sorted(wanted - people.keys())
    if rest:
        people.update((uid, Person(uid, name)) for uid, name in session.execute(_NAMES, {"ids": rest}))
    return people


_NAMES = select(User.id, User.display_name).where(User.id.in_(bindparam("ids", expanding=True)))
"""Built once: every list names its people (building a statement costs more than running it)."""


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    """The users with these ids (None and unknown ids skipped), by id."""
    wanted = sorted({i for i in ids if i is not None})
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def sales_departments(session: Session) -> list[Department]:
    """ORG-3: the sales groups (departments of kind sales or KA), by name."""
    q = select(Department).where(Department.kind.in_(rules.SALES_DEPARTMENT_KINDS)).order_by(Department.name)
    return list(session.scalars(q))
