"""The customer page's cost (WORK-3): approved expenses on the customer and on its deals."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.org.models import User
from poolcrm.web.customer_page import Section, section
from poolcrm.work.expenses import spent_on_customer


@section(order=50)
def spent(session: Session, user: User, customer: Customer, lang: str) -> Section | None:
    total = spent_on_customer(session, customer.id)
    if not total:
        return None
    return Section(
        key="spent", title="费用合计", template="work/_customer_section.html", ctx={"spent": total}
    )
