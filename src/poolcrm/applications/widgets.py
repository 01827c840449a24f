"""Dashboard card "客服待办" (GOV-6): customer service's queues with their ages — pending applications
in the CS inbox by kind (CUS-9, POOL-4, POOL-5), follow-ups awaiting the spot check (VIO-2) and tickets
waiting to be assigned (SVC-3) — each with the count and the age of the oldest, in one grouped query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import KIND_CLAIM, KIND_NEW_CUSTOMER, STATUS_PENDING, Application
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_ids
from poolcrm.pools.common import KIND_RELEASE
from poolcrm.service.models import PENDING as TICKET_PENDING
from poolcrm.service.models import Ticket
from poolcrm.violations.models import SPOT_PENDING, SpotCheck
from poolcrm.web.dashboard import widget

SPOT_CHECKS, TICKET_QUEUE = "spot_checks", "ticket_queue"
# key -> (label, link, rule); an application kind not listed shows under its own name.
QUEUES: dict[str, tuple[str, str, str]] = {
    KIND_NEW_CUSTOMER: ("新客户登记", "/applications", "CUS-9"),
    KIND_CLAIM: ("申请保护", "/applications", "POOL-4"),
    KIND_RELEASE: ("放弃保护", "/applications", "POOL-5"),
    SPOT_CHECKS: ("待抽查跟进", "/violations/spot-checks", "VIO-2"),
    TICKET_QUEUE: ("待分配工单", "/tickets?tab=queue", "SVC-3"),
}
OLD_HOURS = 24


def cs_queues(session: Session, user: User) -> list[dict[str, Any]]:
    """Each queue's count and oldest item (ORG-5: applications of the applicants the user may see)."""
    apps = select(Application.kind.label("key"), func.count().label("n"), func.min(Application.created_at))
    apps = apps.where(Application.status == STATUS_PENDING)
    scope = visible_owner_ids(session, user)
    if scope is not None:
        apps = apps.where(Application.applicant_id.in_(sorted(scope)))
    spot = select(literal(SPOT_CHECKS), func.count(), func.min(SpotCheck.created_at)).where(
        SpotCheck.status == SPOT_PENDING
    )
    tickets = select(literal(TICKET_QUEUE), func.count(), func.min(Ticket.created_at)).where(
        Ticket.status == TICKET_PENDING, Ticket.assignee_id.is_(None)
    )
    found = {
        key: (n, oldest)
        for key, n, oldest in session.execute(union_all(apps.group_by(Application.kind), spot, tickets))
    }
    now = clock.now()
    keys = list(QUEUES) + sorted(k for k in found if k not in QUEUES)
    out = []
    for key in keys:
        n, oldest = found.get(key, (0, None))
        label, link, rule = QUEUES.get(key, (key, "/applications", "CUS-9"))
        hours = int((now - clock.as_utc(oldest)).total_seconds() // 3600) if n and oldest else None
        out.append({"key": key, "label": label, "link": link, "rule": rule, "count": n, "hours": hours})
    return out


@widget(order=14)
def cs_inbox(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.serves_customers(user.roles):
        return None
    return "_queue_card.html", {
        "title": "客服待办",
        "testid": "widget-cs",
        "item": "queue",
        "queues": cs_queues(session, user),
        "old_hours": OLD_HOURS,
    }
