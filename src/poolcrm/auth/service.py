"""Login, tokens and password changes (AUTH-*)."""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.auth import rules
from poolcrm.auth.models import LoginFailure
from poolcrm.errors import AppError, InvalidInput, NotAuthenticated, TooManyRequests
from poolcrm.org.models import User
from poolcrm.org.passwords import hash_password, verify_password
from poolcrm.org.service import find_user
from poolcrm.policy.service import get_policy

TOKEN_MAX_AGE = 12 * 3600


class InvalidCredentials(AppError):
    status = 401
    code = "invalid_credentials"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="poolcrm-auth")


def issue_token(secret: str, user: User) -> str:
    return _serializer(secret).dumps({"uid": user.id, "v": user.token_version})


def user_from_token(session: Session, secret: str, token: str) -> User:
    try:
        data = _serializer(secret).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        raise NotAuthenticated("登录已过期，请重新登录") from exc
    except BadSignature as exc:
        raise NotAuthenticated() from exc
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or user.token_version != data.get("v"):
        raise NotAuthenticated()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """AUTH-1: check the password; too many recent failures answer 429 with Retry-After."""
    policy = get_policy(session)
    now = clock.now()
    window = now - timedelta(seconds=policy.login_lockout_seconds)
    key = username.lower()
    failures = list(
        session.scalars(select(LoginFailure.at).where(LoginFailure.username == key, LoginFailure.at > window))
    )
    wait = rules.login_retry_after(failures, now, policy.login_max_failures, policy.login_lockout_seconds)
    if wait:
        raise TooManyRequests(
            "登录失败次数过多，请 {seconds} 秒后再试",
            rule="AUTH-1",
            seconds=wait,
            headers={"Retry-After": str(wait)},
            details={"retry_after": wait},
        )
    user = find_user(session, username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        session.add(LoginFailure(username=key, at=now))
        # The refusal rolls the request back; the failure itself must survive it (AUTH-1).
        session.commit()
        raise InvalidCredentials("用户名或密码错误")
    session.execute(delete(LoginFailure).where(LoginFailure.username == key))
    return user


def change_password(session: Session, user: User, old_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, old_password):
        raise InvalidInput({"old_password": "原密码不正确"})
    problem = rules.password_problem(new_password, user.username)
    if problem:
        raise InvalidInput({"new_password": problem}, rule="AUTH-2")
    user.password_hash = hash_password(new_password)
    user.token_version += 1
    record(
        session,
        actor_id=user.id,
        action="user.password",
        object_type="user",
        object_id=user.id,
        rule="AUTH-2",
    )
