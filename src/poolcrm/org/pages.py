"""Organisation admin pages (ORG-1..7): users with their roles, department, supervisor, hire date
and employee code (disabled, never deleted), and the department tree. Every write goes through
`org.service`, exactly like the API, so it is validated and audited the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.datastructures import FormData

from poolcrm.errors import AppError
from poolcrm.org import rules, service
from poolcrm.org.models import Department, User
from poolcrm.org.schemas import DepartmentIn, DepartmentPatch, UserIn, UserPatch
from poolcrm.policy.service import company_today
from poolcrm.web.deps import DB, AdminUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import clean, form_errors, optional_int, page_number, text
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)

USER_TEXT_FIELDS = ("display_name", "employee_code", "email", "mobile")
STATUS_FILTERS = ("active", "disabled", "all")
NOTICES = {
    "created": "用户已创建",
    "saved": "已保存",
    "disabled": "账号已停用（记录保留，不会删除）",
    "enabled": "账号已启用",
    "dept_created": "部门已创建",
    "dept_saved": "部门已保存",
}


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


USERS_PAGE = 50
"""The user admin lists this many users a page (a company of 1,300 was one page of 635 KB)."""


def _org_choices(db: DB, *, people: bool = True) -> dict[str, Any]:
    """What the user and department forms offer: roles, kinds, departments (as a tree), people
    (the forms' choice of a supervisor or head; not read for the user list)."""
    return {
        "ROLES": rules.ROLES,
        "ROLE_NAMES": rules.ROLE_NAMES,
        "KINDS": rules.DEPARTMENT_KINDS,
        "KIND_NAMES": rules.KIND_NAMES,
        "dept_tree": service.department_tree(db),
        "people": service.list_users(db, active=True) if people else [],
    }


def _user_values(form: Mapping[str, Any], roles: list[str]) -> dict[str, Any]:
    """The submitted user form as the service's field names ('' → None for optional fields)."""
    values: dict[str, Any] = {key: text(form, key) or None for key in USER_TEXT_FIELDS}
    values["roles"] = roles
    values["department_id"] = optional_int(text(form, "department_id"))
    values["supervisor_id"] = optional_int(text(form, "supervisor_id"))
    values["hired_on"] = text(form, "hired_on") or None
    values["probation_end_on"] = text(form, "probation_end_on") or None
    return values


def _roles(form: FormData) -> list[str]:
    return [clean(r) for r in form.getlist("roles") if isinstance(r, str)]


# ------------------------------------------------------------------------------------ users


@router.get("/admin", include_in_schema=False)
def admin_home(admin: AdminUser) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, admin: AdminUser, db: DB) -> HTMLResponse:
    qp = request.query_params
    status = qp.get("status") or ""
    status = status if status in STATUS_FILTERS else "active"
    department_id = optional_int(qp.get("department", ""))
    role = qp.get("role") if qp.get("role") in rules.ROLES else ""
    q = clean(qp.get("q"))[:64]
    matching = service.users_query(
        active={"active": True, "disabled": False}.get(status),
        q=q or None,
        department_id=department_id,
        role=role or None,
    )
    total = db.scalar(select(func.count()).select_from(matching.with_only_columns(User.id).subquery())) or 0
    page_no, pages = page_number(qp.get("page", ""), total, USERS_PAGE)
    users = list(db.scalars(matching.limit(USERS_PAGE).offset((page_no - 1) * USERS_PAGE)))
    filters = {"status": status, "department": department_id or "", "role": role, "q": q}
    return page(
        request,
        "org/users.html",
        db=db,
        users=users,
        supervisors=service.people_by_id(db, [u.supervisor_id for u in users]),
        total=total,
        page_no=page_no,
        pages=pages,
        query=urlencode(filters),
        status=status,
        department_id=department_id,
        role=role,
        q=q,
        notice=_notice(request),
        **_org_choices(db, people=False),
    )


def _user_form(
    request: Request,
    db: DB,
    *,
    target: User | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "org/user_form.html",
        status_code=status_code,
        db=db,
        target=target,
        values=values,
        errors=errors,
        notice=_notice(request),
        **_org_choices(db),
    )


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, admin: AdminUser, db: DB) -> HTMLResponse:
    values = {"roles": ["sales"], "hired_on": company_today(db).isoformat()}
    return _user_form(request, db, target=None, values=values, errors={})


@router.post("/admin/users/new", response_class=HTMLResponse)
def new_user_submit(form: FormBody, request: Request, admin: AdminUser, db: DB, lang: Lang) -> Response:
    values = _user_values(form, _roles(form))
    values["username"] = text(form, "username")
    submitted = {**values, "password": text(form, "password")}
    try:
        # a blank field is a missing one, so that it reads "必填" (required) next to it
        user = service.create_user(db, admin.id, UserIn(**{k: v for k, v in submitted.items() if v}))
    except (AppError, ValidationError) as exc:
        db.rollback()
        return _user_form(
            request, db, target=None, values=values, errors=form_errors(exc, lang), status_code=_status(exc)
        )
    return RedirectResponse(f"/admin/users/{user.id}?done=created", status_code=303)


@router.get("/admin/users/{user_id:int}", response_class=HTMLResponse)
def edit_user_form(request: Request, user_id: int, admin: AdminUser, db: DB) -> HTMLResponse:
    target = service.get_user(db, user_id)
    values = service.user_out(target).model_dump()
    return _user_form(request, db, target=target, values=values, errors={})


@router.post("/admin/users/{user_id:int}", response_class=HTMLResponse)
def edit_user_submit(
    form: FormBody, request: Request, user_id: int, admin: AdminUser, db: DB, lang: Lang
) -> Response:
    target = service.get_user(db, user_id)
    values = _user_values(form, _roles(form))
    changes = dict(values)
    if text(form, "password"):
        changes["password"] = text(form, "password")
    try:
        service.update_user(db, admin.id, user_id, UserPatch(**changes))
    except (AppError, ValidationError) as exc:
        db.rollback()
        shown = {**service.user_out(target).model_dump(), **values}
        return _user_form(
            request, db, target=target, values=shown, errors=form_errors(exc, lang), status_code=_status(exc)
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=saved", status_code=303)


@router.post("/admin/users/{user_id:int}/active", response_class=HTMLResponse)
def set_user_active(
    form: FormBody, request: Request, user_id: int, admin: AdminUser, db: DB, lang: Lang
) -> Response:
    """ORG-7: disable (a departure) or re-enable an account — never delete it."""
    target = service.get_user(db, user_id)
    active = text(form, "active") == "1"
    try:
        service.update_user(db, admin.id, user_id, UserPatch(active=active))
    except AppError as exc:
        db.rollback()
        values = service.user_out(target).model_dump()
        return _user_form(
            request, db, target=target, values=values, errors=form_errors(exc, lang), status_code=exc.status
        )
    return RedirectResponse(
        f"/admin/users/{user_id}?done={'enabled' if active else 'disabled'}", status_code=303
    )


def _status(exc: AppError | ValidationError) -> int:
    return exc.status if isinstance(exc, AppError) else 422


# ------------------------------------------------------------------------------ departments


def _departments_page(
    request: Request,
    db: DB,
    *,
    editing: Department | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    members = select(User.department_id, func.count()).where(User.active.is_(True))
    counts = {d: n for d, n in db.execute(members.group_by(User.department_id)) if d is not None}
    choices = {**_org_choices(db, people=False), "people": service.active_people(db)}  # a head: names
    heads = service.people_by_id(db, [d.head_user_id for d, _ in choices["dept_tree"]])
    if values is None:
        values = service.department_out(editing).model_dump() if editing else {"kind": "sales"}
    return page(
        request,
        "org/departments.html",
        status_code=status_code,
        db=db,
        editing=editing,
        values=values,
        errors=errors or {},
        member_counts=counts,
        people_by_id=heads,
        notice=_notice(request),
        **choices,
    )


def _department_values(form: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "kind": text(form, "kind"),
        "parent_id": optional_int(text(form, "parent_id")),
        "head_user_id": optional_int(text(form, "head_user_id")),
    }


@router.get("/admin/departments", response_class=HTMLResponse)
def departments_page(request: Request, admin: AdminUser, db: DB) -> HTMLResponse:
    editing_id = optional_int(request.query_params.get("edit", ""))
    editing = service.get_department(db, editing_id) if editing_id is not None else None
    return _departments_page(request, db, editing=editing)


@router.post("/admin/departments", response_class=HTMLResponse)
def create_department_submit(
    form: FormBody, request: Request, admin: AdminUser, db: DB, lang: Lang
) -> Response:
    values = _department_values(form)
    try:
        service.create_department(db, admin.id, DepartmentIn(**values))
    except (AppError, ValidationError) as exc:
        db.rollback()
        return _departments_page(
            request, db, values=values, errors=form_errors(exc, lang), status_code=_status(exc)
        )
    return RedirectResponse("/admin/departments?done=dept_created", status_code=303)


@router.post("/admin/departments/{dept_id:int}", response_class=HTMLResponse)
def edit_department_submit(
    form: FormBody, request: Request, dept_id: int, admin: AdminUser, db: DB, lang: Lang
) -> Response:
    editing = service.get_department(db, dept_id)
    values = {**_department_values(form), "active": text(form, "active") != "0"}
    try:
        service.update_department(db, admin.id, dept_id, DepartmentPatch(**values))
    except (AppError, ValidationError) as exc:
        db.rollback()
        return _departments_page(
            request,
            db,
            editing=editing,
            values=values,
            errors=form_errors(exc, lang),
            status_code=_status(exc),
        )
    return RedirectResponse("/admin/departments?done=dept_saved", status_code=303)
