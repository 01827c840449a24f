from __future__ import annotations

from fastapi import APIRouter

from poolcrm.org import service
from poolcrm.org.schemas import DepartmentIn, DepartmentOut, DepartmentPatch, UserIn, UserOut, UserPatch
from poolcrm.web.deps import DB, AdminUser, CurrentUser
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["organisation"])


@router.post("/departments", status_code=201, response_model=DepartmentOut)
def create_department(body: DepartmentIn, admin: AdminUser, db: DB) -> DepartmentOut:
    return service.department_out(service.create_department(db, admin.id, body))


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(user: CurrentUser, db: DB) -> list[DepartmentOut]:
    return [service.department_out(d) for d in service.list_departments(db)]


@router.patch("/departments/{dept_id}", response_model=DepartmentOut)
def update_department(dept_id: int, body: DepartmentPatch, admin: AdminUser, db: DB) -> DepartmentOut:
    return service.department_out(service.update_department(db, admin.id, dept_id, body))


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserIn, admin: AdminUser, db: DB) -> UserOut:
    return service.user_out(service.create_user(db, admin.id, body))


@router.get("/users", response_model=list[UserOut])
def list_users(user: CurrentUser, db: DB, active: bool | None = None, q: str | None = None) -> list[UserOut]:
    return [service.user_out(u) for u in service.list_users(db, active=active, q=q)]


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: int, user: CurrentUser, db: DB) -> UserOut:
    return service.user_out(service.get_user(db, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserPatch, admin: AdminUser, db: DB) -> UserOut:
    return service.user_out(service.update_user(db, admin.id, user_id, body))
