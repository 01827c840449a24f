"""The customer page's own sections: contacts (CUS-17), the record and its grade (CUS-11),
ownership history (POOL-12) and changes (CUS-13) — placed among the other domains' sections."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers import contacts, grading, history, visibility
from poolcrm.customers.models import Customer
from poolcrm.org.models import User
from poolcrm.web.customer_page import Action, Section, action, section


@section(order=20)
def contact_list(session: Session, user: User, customer: Customer, lang: str) -> Section:
    found = [contacts.contact_out(x) for x in contacts.list_contacts(session, user, customer.id)]
    return Section(
        key="contacts",
        title="联系人",
        template="customers/_sec_contacts.html",
        ctx={"contacts": found, "editable": visibility.can_edit(session, user, customer)},
        count=len(found) + 1,  # the main contact given at registration, then the others
    )


@section(order=60)
def record(session: Session, user: User, customer: Customer, lang: str) -> Section:
    return Section(
        key="profile",
        title="客户资料",
        template="customers/_sec_profile.html",
        ctx={"may_override_grade": grading.may_override(session, user, customer)},  # CUS-11
    )


@section(order=70)
def ownership(session: Session, user: User, customer: Customer, lang: str) -> Section:
    events = history.ownership_history(session, user, customer.id)
    return Section(
        key="ownership", title="归属历史", template="customers/_sec_ownership.html", ctx={"events": events}
    )


@section(order=80)
def change_log(session: Session, user: User, customer: Customer, lang: str) -> Section:
    found = history.change_history(session, user, customer.id)
    return Section(
        key="changes", title="修改记录", template="customers/_sec_changes.html", ctx={"changes": found}
    )


@action(order=80)
def edit(session: Session, user: User, customer: Customer) -> Action | None:
    if not visibility.can_edit(session, user, customer):
        return None
    return Action("编辑", f"/customers/{customer.id}/edit", testid="action-edit", rule="CUS-13")
