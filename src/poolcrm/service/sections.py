"""The customer page's service history (SVC-8) and its 新建工单 action (SVC-1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.org.models import User
from poolcrm.service.output import customer_tickets
from poolcrm.service.rules import ticket_customer_problem
from poolcrm.web.customer_page import Action, Section, action, section


@section(order=40)
def tickets(session: Session, user: User, customer: Customer, lang: str) -> Section | None:
    rows = customer_tickets(session, user, customer.id)  # SVC-8: the ones the viewer may see
    if not rows and ticket_customer_problem(customer.pool):
        return None
    return Section(
        key="tickets",
        title="服务工单",
        template="service/_customer_section.html",
        ctx={"rows": rows},
        count=len(rows),
    )


@action(order=40)
def new_ticket(session: Session, user: User, customer: Customer) -> Action | None:
    if ticket_customer_problem(customer.pool):  # SVC-1: whoever sees the customer may open one
        return None
    return Action(
        "新建工单", f"/tickets/new?customer_id={customer.id}", testid="customer-new-ticket", rule="SVC-1"
    )
