"""Dashboard card: contracts waiting for my approval and overdue installments in my scope (CTR-1, CTR-3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.contracts import output
from poolcrm.contracts.models import LEVEL_SUPERVISOR, PENDING, Contract
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, subordinate_ids
from poolcrm.policy.service import company_today
from poolcrm.web.dashboard import widget


@widget(order=45)
def my_contracts(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if org_rules.system_only(user.roles):
        return None  # GOV-6: admin's dashboard is the system's
    today = company_today(session)
    overdue, overdue_total = output.list_contracts(session, user, output.ContractFilter(overdue=True), 1, 5)
    pending: list[Contract] = []
    if org_rules.may_approve_any(user.roles, bool(subordinate_ids(session, user.id))):
        pending, _ = output.list_contracts(session, user, output.ContractFilter(status=PENDING), 1, 50)
    mine = [
        c
        for c in pending
        if c.created_by != user.id
        and org_rules.may_approve(
            c.approval_level or LEVEL_SUPERVISOR,
            user.roles,
            c.owner_id is not None and is_supervisor_of(session, user.id, c.owner_id),
        )
    ]
    if not overdue and not mine:
        return None
    return "contracts/widget.html", {
        "overdue": output.contracts_out(session, overdue, today=today),
        "overdue_total": overdue_total,
        "to_approve": output.contracts_out(session, mine[:5], today=today),
        "to_approve_total": len(mine),
    }
