"""A customer's contacts (CUS-17)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers import rules
from poolcrm.customers.checks import clean_value, invalid_input, normalise_phone
from poolcrm.customers.models import (
    Contact,
)
from poolcrm.customers.output import phone_display
from poolcrm.customers.schemas import ContactIn, ContactPatch
from poolcrm.customers.visibility import get_editable, get_visible
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.i18n import translate
from poolcrm.org.models import User


def contact_out(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "customer_id": c.customer_id,
        "name": c.name,
        "department": c.department,
        "position": c.position,
        "phone": phone_display(c.phone),
        "mobile": phone_display(c.mobile),
        "email": c.email,
        "is_key_decision_maker": c.is_key_decision_maker,
        "active": c.active,
    }


def list_contacts(
    session: Session, user: User, customer_id: int, *, include_inactive: bool = False
) -> list[Contact]:
    c = get_visible(session, user, customer_id)
    q = (
        select(Contact)
        .where(Contact.customer_id == c.id)
        .order_by(Contact.is_key_decision_maker.desc(), Contact.id)
    )
    if not include_inactive:
        q = q.where(Contact.active.is_(True))
    return list(session.scalars(q))


def _contact_phones(values: dict[str, Any], lang: str) -> dict[str, Any]:
    problems = []
    for key in ("phone", "mobile"):
        if values.get(key):
            e164, problem = normalise_phone(values[key])
            if problem:
                problems.append(rules.Problem(key, "CUS-6", problem))
            else:
                values[key] = e164
    if problems:
        raise invalid_input(problems, lang)
    return values


def add_contact(
    session: Session, user: User, customer_id: int, data: ContactIn, *, lang: str = "zh"
) -> Contact:
    """CUS-17: many contacts per customer, with department and position as written."""
    c = get_editable(session, user, customer_id)
    values = _contact_phones({k: clean_value(v) for k, v in data.model_dump().items()}, lang)
    if not values.get("name"):
        raise InvalidInput({"name": translate("必填", lang)}, rule="CUS-17")
    contact = Contact(customer_id=c.id, active=True, created_at=clock.now(), **values)
    session.add(contact)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="contact.create",
        object_type="contact",
        object_id=contact.id,
        after=contact_out(contact),
        rule="CUS-17",
    )
    return contact


def update_contact(
    session: Session, user: User, customer_id: int, contact_id: int, patch: ContactPatch, *, lang: str = "zh"
) -> Contact:
    c = get_editable(session, user, customer_id)
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != c.id:
        raise NotFound()
    before = contact_out(contact)
    changes = _contact_phones(
        {k: clean_value(v) for k, v in patch.model_dump(exclude_unset=True).items()}, lang
    )
    if "name" in changes and not changes["name"]:
        raise InvalidInput({"name": translate("必填", lang)}, rule="CUS-17")
    for key, value in changes.items():
        setattr(contact, key, value)
    session.flush()
    record(
        session,
        actor_id=user.id,
        action="contact.update",
        object_type="contact",
        object_id=contact.id,
        before=before,
        after=contact_out(contact),
        rule="CUS-17",
    )
    return contact
