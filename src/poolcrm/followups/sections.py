"""The customer page's follow-ups (FU-6) with the quick form (FU-1/FU-2), and its 写跟进 action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.errors import AppError
from poolcrm.followups import rules, service
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.web.customer_page import Action, Section, action, section

RECENT_FOLLOWUPS = 20
"""The latest follow-ups the customer page shows; the follow-up page has them all."""


@section(order=10)
def followups(session: Session, user: User, customer: Customer, lang: str) -> Section | None:
    try:
        rows = service.list_followups(session, user, customer.id, limit=RECENT_FOLLOWUPS + 1)
    except AppError:  # FU-6/POOL-15: the viewer reads none of this customer's follow-ups
        return None
    return Section(
        key="followups",
        title="跟进记录",
        template="followups/_customer_section.html",
        ctx={
            "customer": customer,
            "rows": [service.followup_out(session, f, lang) for f in rows[:RECENT_FOLLOWUPS]],
            "more": len(rows) > RECENT_FOLLOWUPS,
            "can_write": service.may_write(session, user, customer),
            "subjects": rules.SUBJECTS,
            "attitudes": rules.ATTITUDES,
            "results": rules.RESULT_STATUSES,
            "template_text": rules.TEMPLATE,
            "min_chars": get_policy(session).followup_min_chars,
        },
        count=len(rows) if len(rows) <= RECENT_FOLLOWUPS else None,
    )


@action(order=10)
def write_followup(session: Session, user: User, customer: Customer) -> Action | None:
    if not service.may_write(session, user, customer):
        return None
    return Action("写跟进", "#followups", testid="action-followup", primary=True, rule="FU-1")
