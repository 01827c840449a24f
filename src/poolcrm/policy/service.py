"""Load and change policy parameters (validated, audited)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, overload

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import reference
from poolcrm.errors import InvalidInput
from poolcrm.policy.models import PolicyValue
from poolcrm.policy.rules import Policy

log = logging.getLogger("poolcrm")
_CACHE_KEY = "poolcrm.policy"
POLICY_MESSAGES = {
    "greater_than_equal": "数值超出范围",
    "less_than_equal": "数值超出范围",
    "greater_than": "数值超出范围",
    "less_than": "数值超出范围",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "string_type": "应为文字",
    "string_too_short": "不能为空或太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "list_type": "应为列表",
    "dict_type": "应为“名称: 数值”的对照表",
}
"""Parameter errors in the product's words (422 details name the parameter, SPEC intro)."""


def get_policy(session: Session) -> Policy:
    """The policy in force: defaults overridden by stored values — reference data (`db.reference`):
    validated once per process while nobody has changed a stored value, a change made in another
    process counting from the next request on."""
    return reference(session, _CACHE_KEY, lambda: _load_policy(session))


def _load_policy(session: Session) -> Policy:
    """The stored values over the defaults. A value stored before today's bounds (a pool limit of 0)
    that they refuse gives way to its default, said in the log, rather than failing every request;
    the admin sees the default on the policy page and may set it again."""
    stored = {
        row.name: row.value
        for row in session.execute(select(PolicyValue.name, PolicyValue.value))
        if row.name in Policy.model_fields
    }
    while True:
        try:
            return Policy.model_validate(stored)  # frozen, and nothing changes its lists in place
        except ValidationError as exc:
            refused = {str(err["loc"][0]) for err in exc.errors() if err["loc"]} & stored.keys()
            if not refused:
                raise
            log.warning("policy values out of bounds, defaults used: %s", ", ".join(sorted(refused)))
            stored = {name: value for name, value in stored.items() if name not in refused}


def company_today(session: Session) -> date:
    """CAL-2: the calendar day it is now in the company's zone (policy `timezone`) — the one
    "today" every rule uses, never the server's zone or UTC."""
    return clock.today(get_policy(session).timezone)


@overload
def company_date(session: Session, moment: datetime) -> date: ...
@overload
def company_date(session: Session, moment: None) -> None: ...
@overload
def company_date(session: Session, moment: datetime | None) -> date | None: ...
def company_date(session: Session, moment: datetime | None) -> date | None:
    """CAL-2: the company-zone calendar day of a stored (UTC) instant."""
    return None if moment is None else clock.local(moment, get_policy(session).timezone).date()


def company_day_start(session: Session, day: date) -> datetime:
    """CAL-2: the UTC instant at which `day` begins in the company's zone."""
    return clock.start_of_local_day(day, get_policy(session).timezone)


def company_moment(session: Session, day: date, hhmm: str) -> datetime:
    """CAL-2/NOTE-3: the UTC instant of `hhmm` company time on `day` (a reminder's 09:00)."""
    return clock.local_moment(day, hhmm, get_policy(session).timezone)


def validate_changes(current: Policy, changes: dict[str, Any]) -> Policy:
    """Apply `changes` to `current`, raising 422 naming every bad parameter."""
    unknown = [k for k in changes if k not in Policy.model_fields]
    if unknown:
        raise InvalidInput({k: "不允许的字段" for k in unknown})
    try:
        return Policy.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "policy"
            fields.setdefault(name, POLICY_MESSAGES.get(err["type"], "取值无效"))
        raise InvalidInput(fields) from exc


def update_policy(
    session: Session, actor_id: int, changes: dict[str, Any], reason: str | None = None
) -> Policy:
    current = get_policy(session)
    new = validate_changes(current, changes)
    now = clock.now()
    for name in changes:
        before = getattr(current, name)
        after = getattr(new, name)
        if before == after:
            continue
        row = session.get(PolicyValue, name)
        if row is None:
            session.add(PolicyValue(name=name, value=after, updated_at=now, updated_by=actor_id))
        else:
            row.value, row.updated_at, row.updated_by = after, now, actor_id
        record(
            session,
            actor_id=actor_id,
            action="policy.update",
            object_type="policy",
            object_id=name,
            before={name: before},
            after={name: after},
            rule=_rule_of(name),
            reason=reason,
        )
    session.flush()
    return new


def _rule_of(name: str) -> str | None:
    extra = Policy.model_fields[name].json_schema_extra
    return extra.get("rule") if isinstance(extra, dict) else None  # type: ignore[return-value]
