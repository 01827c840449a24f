from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from poolcrm.auth import service
from poolcrm.org.service import user_out
from poolcrm.ownership.usage import pool_usage
from poolcrm.web.deps import DB, CurrentUser, bearer_token, client_address, get_settings
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["auth"])


class TokenIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class PasswordIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


@router.post("/auth/token", response_model=TokenOut)
def token(body: TokenIn, request: Request, db: DB) -> TokenOut:
    address = client_address(request)
    user = service.authenticate(db, body.username, body.password, address)
    return TokenOut(access_token=service.issue_token(db, get_settings(request).secret_key, user, address))


@router.post("/auth/logout", status_code=204)
def logout(request: Request, user: CurrentUser, db: DB) -> None:
    """AUTH-6: end the bearer token's session on the server."""
    service.end_session(db, get_settings(request).secret_key, bearer_token(request) or "")


@router.get("/me")
def me(user: CurrentUser, db: DB) -> dict[str, Any]:
    out = user_out(user).model_dump(mode="json")
    out["pool"] = pool_usage(db, user)
    return out


@router.post("/me/password", status_code=204)
def change_password(body: PasswordIn, user: CurrentUser, db: DB) -> None:
    service.change_password(db, user, body.old_password, body.new_password)
