"""Deciding several applications in one action (CUS-9, POOL-4): each through the single
`service.approve` / `service.reject` — the same rules (nobody decides their own request) — in one
transaction, with a per-application answer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.applications import service
from poolcrm.applications.models import Application
from poolcrm.customers.models import Customer
from poolcrm.db import for_update, selection
from poolcrm.errors import AppError, InvalidInput
from poolcrm.org.models import User
from poolcrm.org.service import lock_users


@dataclass(frozen=True)
class Decision:
    """One selected application: decided, or the refusal (its rule, or not found)."""

    application_id: int
    application: Application | None = None
    refusal: AppError | None = None


def _lock_all(session: Session, ids: list[int]) -> None:
    """The fixed order for the whole batch: every customer, then every applicant, each in id order
    (each single decision then re-locks rows it already holds)."""
    pairs = session.execute(
        select(Application.customer_id, Application.applicant_id).where(Application.id.in_(ids))
    ).all()
    customer_ids = sorted({c for c, _ in pairs if c is not None})
    if customer_ids:
        list(
            session.scalars(
                for_update(select(Customer).where(Customer.id.in_(customer_ids)).order_by(Customer.id))
            )
        )
    lock_users(session, sorted({a for _, a in pairs if a is not None}))


def decide_many(
    session: Session, user: User, application_ids: list[int], *, approve: bool, reason: str | None = None
) -> list[Decision]:
    """CUS-9: approve or reject each selected application (a rejection needs a reason: blank → 422
    naming `reason`). A refused item rolls back only its own savepoint and is listed with its rule;
    an application the decider cannot see answers not found, like a missing one."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="CUS-9")
    ids = sorted(selection(application_ids, "application_ids", "请至少选择一个申请", "CUS-9"))
    _lock_all(session, ids)
    out = []
    for app_id in ids:
        try:
            with session.begin_nested():
                if approve:
                    decided = service.approve(session, app_id, user)
                else:
                    decided = service.reject(session, app_id, user, reason)
        except AppError as exc:
            out.append(Decision(app_id, refusal=exc))
        else:
            out.append(Decision(app_id, application=decided))
    return out
