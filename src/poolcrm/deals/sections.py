"""The customer page's deals (DEAL-1..3) the viewer may see, and its 新建跟单 action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.deals import output, rules, service, tables
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.web.customer_page import Action, Section, action, section

CUSTOMER_DEALS = 20


@section(order=30)
def deals(session: Session, user: User, customer: Customer, lang: str) -> Section | None:
    found, total, _ = output.list_deals(
        session, user, output.DealFilter(customer_id=customer.id), page_size=CUSTOMER_DEALS
    )
    if not found and customer.customer_type != "direct":
        return None  # DEAL-1: a distributor has no deals of its own
    lk = output.lookups(session, found)
    policy = get_policy(session)
    return Section(
        key="deals",
        title="跟单",
        template="deals/_customer_section.html",
        ctx={
            "customer": customer,
            "deals": [output.deal_out(session, d, lk, policy=policy) for d in found],
            "total": total,
            "CATEGORY_LABELS": rules.CATEGORY_LABELS,
            "stages": {s.stage: s for s in tables.stage_table(session)},
        },
        count=total,
    )


@action(order=30)
def new_deal(session: Session, user: User, customer: Customer) -> Action | None:
    if not service.may_open_deal(session, user, customer):
        return None
    return Action(
        "新建跟单", f"/deals/new?customer_id={customer.id}", testid="action-new-deal", rule="DEAL-1"
    )
