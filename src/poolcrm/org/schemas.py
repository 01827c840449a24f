from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(pattern="^(sales|ka|cs|service|other)$")
    parent_id: int | None = None
    head_user_id: int | None = None


class DepartmentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: str | None = Field(default=None, pattern="^(sales|ka|cs|service|other)$")
    parent_id: int | None = None
    head_user_id: int | None = None
    active: bool | None = None


class DepartmentOut(BaseModel):
    id: int
    name: str
    kind: str
    parent_id: int | None
    head_user_id: int | None
    active: bool


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-@]+$")
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[str] = Field(min_length=1)
    department_id: int | None = None
    supervisor_id: int | None = None
    hired_on: date
    probation_end_on: date | None = None
    employee_code: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=32)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    roles: list[str] | None = Field(default=None, min_length=1)
    department_id: int | None = None
    supervisor_id: int | None = None
    hired_on: date | None = None
    probation_end_on: date | None = None
    employee_code: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=32)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserRef(BaseModel):
    id: int
    display_name: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    department_id: int | None
    department: DepartmentOut | None
    supervisor_id: int | None
    hired_on: date
    probation_end_on: date | None = None
    employee_code: str | None
    email: str | None
    mobile: str | None
    active: bool
    left_on: date | None
