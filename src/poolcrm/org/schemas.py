from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from poolcrm.db import Id


def _not_blank(value: str) -> str:
    """A name as stored: trimmed, and never only spaces (`" "` is no name: 422 naming the field)."""
    value = value.strip()
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    return value


Name = Annotated[str, Field(max_length=100), AfterValidator(_not_blank)]


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    kind: str = Field(pattern="^(sales|ka|cs|service|other)$")
    parent_id: Id | None = None
    head_user_id: Id | None = None


class DepartmentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    kind: str | None = Field(default=None, pattern="^(sales|ka|cs|service|other)$")
    parent_id: Id | None = None
    head_user_id: Id | None = None
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
    display_name: Name
    roles: list[str] = Field(min_length=1)
    department_id: Id | None = None
    supervisor_id: Id | None = None
    hired_on: date
    probation_end_on: date | None = None
    employee_code: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=32)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: Name | None = None
    roles: list[str] | None = Field(default=None, min_length=1)
    department_id: Id | None = None
    supervisor_id: Id | None = None
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
