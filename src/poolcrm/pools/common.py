"""Small helpers the pools use cases share: users as shown, refusals, CS notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.customers.models import (
    POOL_DELETED,
    POOL_MERGED,
    POOL_REJECTED,
)
from poolcrm.errors import RuleViolation
from poolcrm.org.models import User
from poolcrm.org.service import notify_role
from poolcrm.pools import rules

KIND_RELEASE = "release"


GONE_POOLS = (POOL_MERGED, POOL_DELETED, POOL_REJECTED)


def user_or_none(session: Session, user_id: int | None) -> User | None:
    return None if user_id is None else session.get(User, user_id)


def user_brief(session: Session, user_id: int | None) -> dict[str, Any] | None:
    u = user_or_none(session, user_id)
    return None if u is None else {"id": u.id, "display_name": u.display_name}


def notify_cs(session: Session, message: str, link: str, rule: str | None, **params: Any) -> None:
    """Every active CS user is told of an application or a plan waiting for them, in one INSERT."""
    notify_role(session, "cs", "approval_waiting", message, link=link, rule=rule, **params)


def refuse(refusal: rules.Refusal | None) -> None:
    if refusal is not None:
        raise RuleViolation(refusal.rule, refusal.message, details=dict(refusal.params), **refusal.params)
