"""Dashboard card (SVC-3, SVC-4): the service supervisor, CS and the GM see the unassigned queue, the
open tickets and the breaches; service staff their own open tickets with the next deadline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.service import output, rules
from poolcrm.web.dashboard import widget


@widget(order=48)
def service_desk(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    oversees = rules.sees_all_tickets(user.roles)
    if (not oversees and not rules.takes_tickets(user.roles)) or org_rules.system_only(user.roles):
        return None
    mine, mine_total = output.list_tickets(
        session, user, output.TicketFilter(status="open", assignee_id=user.id), 1, 5
    )
    counts: dict[str, int] = {}
    if oversees:
        for key, f in (
            ("queue", output.TicketFilter(unassigned=True)),
            ("open", output.TicketFilter(status="open")),
            ("breached", output.TicketFilter(status="open", breached=True)),
        ):
            counts[key] = output.list_tickets(session, user, f, 1, 1)[1]
    return "service/widget.html", {
        "mine": output.tickets_out(session, mine),
        "mine_total": mine_total,
        "counts": counts,
    }
